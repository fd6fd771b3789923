import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reciprocalRankFusion } from './rrf.js';
import { ftsMatchExpression, pruneCommonTerms, queryTerms } from './fts-query.js';

test('RRF: scores are Σ 1/(60 + rank), computed by hand', () => {
  const fused = reciprocalRankFusion([
    [10, 20, 30],
    [30, 40, 10],
  ]);
  // 10: 1/61 + 1/63; 30: 1/63 + 1/61 (equal: first seen wins → 10); 20: 1/62; 40: 1/62 (20 seen first)
  assert.deepEqual(fused.map((f) => f.id), [10, 30, 20, 40]);
  assert.equal(fused[0].score, 1 / 61 + 1 / 63);
  assert.equal(fused[1].score, 1 / 63 + 1 / 61);
  assert.equal(fused[2].score, 1 / 62);
  assert.deepEqual(fused[0].ranks, [1, 3]);
  assert.deepEqual(fused[3].ranks, [undefined, 2]);
});

test('RRF: a duplicate id in one list counts once, other k values, empty lists', () => {
  const fused = reciprocalRankFusion([[1, 1, 2], []], 1);
  assert.deepEqual(fused.map((f) => [f.id, f.score]), [[1, 1 / 2], [2, 1 / 4]]);
  assert.deepEqual(reciprocalRankFusion([[], []]), []);
});

test('FTS expression quotes every folded word and ORs them; common terms are pruned', () => {
  const terms = queryTerms('NEAR("fox" jump*) AND c:d Ünïcode ünicode');
  assert.deepEqual(terms, ['near', 'fox', 'jump', 'and', 'c', 'd', 'unicode']);
  assert.equal(ftsMatchExpression(terms), '"near" OR "fox" OR "jump" OR "and" OR "c" OR "d" OR "unicode"');
  assert.equal(ftsMatchExpression(queryTerms(' -- ')), null);
  const df = new Map([['the', 90_000], ['how', 9_000], ['proxy', 3_000], ['timeout', 100]]);
  // limit = max(2,000, 10% of 100,000) = 10,000: only "the" is common
  assert.deepEqual(pruneCommonTerms(['the', 'how', 'proxy', 'timeout', 'unseen'], df, 100_000), ['how', 'proxy', 'timeout', 'unseen']);
  // limit = max(2,000, 10% of 20,000) = 2,000: "how" and "proxy" are common too
  assert.deepEqual(pruneCommonTerms(['the', 'how', 'proxy', 'timeout'], df, 20_000), ['timeout']);
  assert.deepEqual(pruneCommonTerms(['the', 'how'], df, 20_000), ['the', 'how']); // all common: keep all
});
