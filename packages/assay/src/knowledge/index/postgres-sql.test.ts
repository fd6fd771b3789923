import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idsFromBytes } from './postgres-search.js';
import { withoutNul } from '../../store/json.js';
import { metadataFilterSql, tsqueryOf, tsvectorOf, TSV_MAX_POSITION, TSV_MAX_POSITIONS } from './postgres-sql.js';
import { queryTerms } from './fts-query.js';

test('tsvector literal: folded words with positions, quoted, within PostgreSQL limits', () => {
  const v = tsvectorOf("Crème brûlée, CRÈME! it's a_b 42");
  assert.equal(v.literal, "'creme':1,3 'brulee':2 'it':4 's':5 'a':6 'b':7 '42':8");
  assert.deepEqual(v.lexemes, ['creme', 'brulee', 'it', 's', 'a', 'b', '42']);
  // The query side folds the same way, so every query word can meet its stored lexeme.
  assert.deepEqual(queryTerms("CRÈME Brûlée it's"), ['creme', 'brulee', 'it', 's']);
  assert.deepEqual(tsvectorOf('').lexemes, []);
  const long = tsvectorOf(`${'y'.repeat(2048)} short`);
  assert.equal(long.literal, "'short':2"); // a word over 2,047 bytes is skipped; positions still count it
  const many = tsvectorOf(Array.from({ length: 20_000 }, () => 'w').join(' '));
  const positions = many.literal.split(':')[1].split(',').map(Number);
  assert.equal(positions.length, TSV_MAX_POSITIONS);
  const late = tsvectorOf(`${'x '.repeat(TSV_MAX_POSITION + 10)}end more`);
  assert.match(late.literal, new RegExp(`'end':${TSV_MAX_POSITION} 'more':${TSV_MAX_POSITION}$`));
});

test('tsquery literal: quoted terms joined by |, nothing else', () => {
  assert.equal(tsqueryOf(queryTerms(`a & b | !c:* ' " <-> (x)`)), "'a' | 'b' | 'c' | 'x'");
  assert.equal(tsqueryOf(["it's", 'back\\slash']), "'it''s' | 'back\\\\slash'");
  assert.equal(tsqueryOf([]), null);
  assert.equal(tsqueryOf(['z'.repeat(3000)]), null);
});

test('metadata filter: one containment per key, parameters numbered from the first', () => {
  const f = metadataFilterSql([['lang', ['en']], ['n', [1, 2]], ['gone', [null]], ['ok', [true]]], 3);
  assert.equal(f.sql, 'c.metadata @> $3::jsonb AND c.metadata @> ANY($4::jsonb[]) AND c.metadata @> $5::jsonb AND c.metadata @> $6::jsonb');
  assert.deepEqual(f.params, ['{"lang":"en"}', ['{"n":1}', '{"n":2}'], '{"gone":null}', '{"ok":true}']);
  assert.deepEqual(metadataFilterSql([['k', ['a\u0000b']]], 1).params, ['{"k":"a\uFFFDb"}']);
  assert.deepEqual(metadataFilterSql([], 1), { sql: 'true', params: [] });
});

test('withoutNul replaces U+0000 in strings and keys, keeps typed arrays and other values', () => {
  const vec = Float32Array.from([1, 2]);
  const out = withoutNul({ 'a\u0000': ['x\u0000', 1, null, true, { b: 'c\u0000' }], vec });
  assert.deepEqual(out, { 'a\uFFFD': ['x\uFFFD', 1, null, true, { b: 'c\uFFFD' }], vec });
  assert.equal(out.vec, vec);
});

test('chunk ids from int8send bytes', () => {
  const b = Buffer.alloc(24);
  b.writeBigInt64BE(1n, 0);
  b.writeBigInt64BE(2n ** 40n + 7n, 8);
  b.writeBigInt64BE(9007199254740991n, 16);
  assert.deepEqual(Array.from(idsFromBytes(b)), [1, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]);
  assert.deepEqual(Array.from(idsFromBytes(null)), []);
});
