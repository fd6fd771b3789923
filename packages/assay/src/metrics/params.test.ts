import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketCount, bucketStart, defaultInterval, formatInterval, minimumInterval, parseInterval, parsePromptFilter, percentileOf, MAX_BUCKETS } from './params.js';
import { interpolate, rankPosition } from './percentiles.js';

test('parseInterval: units and plain milliseconds; junk is null', () => {
  assert.equal(parseInterval('1m'), 60_000);
  assert.equal(parseInterval('5m'), 300_000);
  assert.equal(parseInterval('1h'), 3_600_000);
  assert.equal(parseInterval('1d'), 86_400_000);
  assert.equal(parseInterval('30s'), 30_000);
  assert.equal(parseInterval('250ms'), 250);
  assert.equal(parseInterval('90000'), 90_000);
  for (const bad of ['', '0', '0m', '1x', '-5m', '1.5h', 'm']) assert.equal(parseInterval(bad), null, bad);
  assert.equal(formatInterval(300_000), '5m');
  assert.equal(formatInterval(44_000), '44s');
  assert.equal(formatInterval(1500), '1500ms');
});

test('buckets are aligned to the interval; the default keeps them at 200 or fewer', () => {
  assert.equal(bucketStart(125_000, 60_000), 120_000);
  assert.equal(bucketCount(61_000, 180_000, 60_000), 2); // 60k (partial), 120k
  assert.equal(bucketCount(61_000, 180_001, 60_000), 3);
  const day = 86_400_000;
  assert.equal(defaultInterval(0, day), 10 * 60_000); // 144 buckets: 5m would make 288
  assert.equal(defaultInterval(0, 3_600_000), 30_000); // 120 buckets
  for (const span of [1000, 60_000, day, 7 * day, 400 * day, 40 * 365 * day]) {
    assert.ok(bucketCount(5, 5 + span, defaultInterval(5, 5 + span)) <= 200, String(span));
  }
  const m = minimumInterval(0, day);
  assert.equal(m, 44_000);
  assert.ok(bucketCount(0, day, m) <= MAX_BUCKETS && bucketCount(0, day, m - 1000) > MAX_BUCKETS);
});

test('percentile names and prompt filters', () => {
  assert.deepEqual(percentileOf('latency_p95'), { column: 'latency_ms', p: 0.95 });
  assert.deepEqual(percentileOf('ttft_p50'), { column: 'ttft_ms', p: 0.5 });
  assert.equal(percentileOf('cost'), null);
  assert.deepEqual(parsePromptFilter('greet@3'), { name: 'greet', version: 3 });
  assert.deepEqual(parsePromptFilter('greet'), { name: 'greet', version: null });
  assert.deepEqual(parsePromptFilter('a@b@2'), { name: 'a@b', version: 2 });
  assert.deepEqual(parsePromptFilter('@2'), { name: '@2', version: null });
});

/** Reference: percentile_cont over the whole sorted array. */
function reference(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
}

test('interpolate with only the ranks near the position equals the whole-array percentile', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1000;
  for (const n of [1, 2, 3, 10, 21, 100, 101, 1000]) {
    const values = Array.from({ length: n }, rnd);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [0.5, 0.95, 0.99]) {
      const pos = rankPosition(p, n);
      const byRank = new Map<number, number>();
      sorted.forEach((v, i) => { if (Math.abs(i - p * (n - 1)) <= 1) byRank.set(i + 1, v); });
      assert.ok(byRank.size <= 3);
      assert.ok(Math.abs(interpolate({ n, byRank }, p)! - reference(values, p)) < 1e-9, `n=${n} p=${p} pos=${pos}`);
    }
  }
  assert.equal(interpolate(undefined, 0.5), null);
  assert.equal(interpolate({ n: 0, byRank: new Map() }, 0.5), null);
  assert.equal(rankPosition(0.95, 21), 19); // 0.95 * 20 is 19 up to float error
});
