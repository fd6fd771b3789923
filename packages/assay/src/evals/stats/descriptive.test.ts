import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mean, percentile, sampleSd, summarize } from './descriptive.js';
import { interpolate } from '../../metrics/percentiles.js';

test('percentile: linear interpolation between the closest ranks, position q·(n − 1)', () => {
  const v = [5, 1, 4, 2, 3]; // sorted 1 2 3 4 5
  assert.equal(percentile(v, 0.5), 3); // position 2
  assert.equal(percentile(v, 0), 1);
  assert.equal(percentile(v, 1), 5);
  assert.ok(Math.abs(percentile(v, 0.95)! - 4.8) < 1e-12); // position 3.8 → 4 + 0.8·(5 − 4)
  assert.equal(percentile([10, 20], 0.5), 15); // position 0.5
  assert.equal(percentile([7], 0.95), 7);
  assert.equal(percentile([], 0.5), null);
  assert.throws(() => percentile([1], 95), RangeError);
  assert.deepEqual(v, [5, 1, 4, 2, 3], 'input left unsorted');
});

test('percentile agrees with the gateway metrics interpolation', () => {
  const latencies = [120, 80, 450, 95, 300, 210, 99, 1000, 130];
  const sorted = [...latencies].sort((a, b) => a - b);
  const ranked = { n: sorted.length, byRank: new Map(sorted.map((x, i) => [i + 1, x])) };
  for (const q of [0, 0.1, 0.5, 0.9, 0.95, 0.99, 1]) assert.equal(percentile(latencies, q), interpolate(ranked, q), `q=${q}`);
});

test('mean, sample sd and the per-variant summary', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  assert.equal(mean([]), null);
  // [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, Σ(x − 5)² = 9+1+1+1+0+0+4+16 = 32, sd = √(32/7) = 2.13809
  assert.ok(Math.abs(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])! - Math.sqrt(32 / 7)) < 1e-12);
  assert.equal(sampleSd([3]), null);
  // costs 0.002 0.004 0.001 0.003: mean 0.0025, p50 = (0.002 + 0.003)/2, p95 at position 2.85
  const s = summarize([0.002, 0.004, 0.001, 0.003]);
  assert.equal(s.n, 4);
  assert.ok(Math.abs(s.mean! - 0.0025) < 1e-15);
  assert.ok(Math.abs(s.p50! - 0.0025) < 1e-15);
  assert.ok(Math.abs(s.p95! - (0.003 + 0.85 * 0.001)) < 1e-15);
  assert.equal(s.min, 0.001);
  assert.equal(s.max, 0.004);
  assert.deepEqual(summarize([]), { n: 0, mean: null, p50: null, p95: null, min: null, max: null });
});
