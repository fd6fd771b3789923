/** parseJson / checkJson: the depth cap at the HTTP edge, well-formed strings, own "__proto__" keys. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../errors.js';
import { checkJson, MAX_JSON_DEPTH, parseJson } from './body.js';

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

test('JSON nested up to the limit parses; one level more is a 400 naming where', () => {
  assert.ok(Array.isArray(parseJson(deep(MAX_JSON_DEPTH))));
  assert.throws(() => parseJson(`{"a":{"b":${deep(MAX_JSON_DEPTH)}}}`), (err: AssayError) => {
    assert.equal(err.status, 400);
    assert.equal(err.code, 'json_too_deep');
    assert.match(err.message, new RegExp(`deeper than ${MAX_JSON_DEPTH} levels \\(at a\\.b(\\[0\\])+\\)`));
    return true;
  });
});

test('50,000 levels are refused without overflowing the stack', () => {
  assert.throws(() => parseJson(deep(50_000)), /nested deeper than/);
  assert.throws(() => parseJson('{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)), /nested deeper than/);
});

test('lone surrogates in strings and keys become U+FFFD; well-formed text is untouched', () => {
  const v = parseJson('{"a\\ud800":"x\\udc00y","ok":["\\ud83d\\ude00","\\ud800"]}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['ok', 'a\ufffd']);
  assert.equal(v['a\ufffd'], 'x\ufffdy');
  assert.deepEqual(v.ok, ['😀', '\ufffd']);
});

test('a "__proto__" key stays an own property and never becomes the prototype', () => {
  const v = parseJson('{"__proto__":{"polluted":"\\ud800"},"b":1}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, { polluted: '\ufffd' });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('maxDepth: null leaves the depth to the caller, who checks each part', () => {
  const batch = parseJson(`{"batch":[{"id":"ok"},${deep(1000)}]}`, { maxDepth: null }) as { batch: unknown[] };
  assert.deepEqual(checkJson(batch.batch[0], 10), { id: 'ok' });
  assert.throws(() => checkJson(batch.batch[1], 10), /deeper than 10 levels/);
});
