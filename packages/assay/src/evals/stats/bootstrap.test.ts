import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapMean, pairedBootstrap } from './bootstrap.js';

const close = (actual: number | null, expected: number, tol: number, msg?: string) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${msg ?? ''} expected ${expected}, got ${actual}`);

const scores = [0.62, 0.91, 0.35, 0.78, 0.5, 0.99, 0.12, 0.66, 0.7, 0.83, 0.41, 0.58];

test('bootstrapMean: the same seed gives the same interval; another seed a slightly different one', () => {
  const a = bootstrapMean(scores, { seed: 1, resamples: 2000 });
  assert.deepEqual(bootstrapMean(scores, { seed: 1, resamples: 2000 }), a);
  const b = bootstrapMean(scores, { seed: 2, resamples: 2000 });
  assert.notDeepEqual(b, a);
  assert.equal(b.mean, a.mean);
  close(b.low, a.low!, 0.03);
  // the default seed is fixed too
  assert.deepEqual(bootstrapMean(scores), bootstrapMean(scores));
  assert.deepEqual(bootstrapMean(scores, { seed: 'exp-7' }), bootstrapMean(scores, { seed: 'exp-7' }));
});

test('bootstrapMean: the interval contains the mean, is about ±1.96·sd/√n, and narrows with the level', () => {
  // mean = 7.45/12 = 0.620833; sample sd = 0.246, so the normal interval is 0.6208 ± 1.96·0.246/√12 = ± 0.139
  const r = bootstrapMean(scores);
  close(r.mean, 7.45 / 12, 1e-12);
  assert.equal(r.n, 12);
  assert.ok(r.low! < r.mean! && r.mean! < r.high!);
  close(r.high! - r.low!, 2 * 0.139, 0.04); // the percentile bootstrap is a bit narrower for small n
  const r80 = bootstrapMean(scores, { level: 0.8 });
  assert.ok(r80.low! > r.low! && r80.high! < r.high!);
});

test('bootstrapMean: identical values give a zero-width interval; empty input gives nulls', () => {
  const r = bootstrapMean([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
  assert.equal(r.low, r.mean);
  assert.equal(r.high, r.mean);
  assert.deepEqual(bootstrapMean([]), { mean: null, low: null, high: null, n: 0 });
  assert.deepEqual(bootstrapMean([[], []]), { mean: null, low: null, high: null, n: 0 });
  assert.throws(() => bootstrapMean([1, NaN]), RangeError);
  assert.throws(() => bootstrapMean([1], { resamples: 0 }), RangeError);
  assert.throws(() => bootstrapMean([1], { level: 1 }), RangeError);
});

test('bootstrapMean with repeats: groups stay together, the mean pools all runs', () => {
  // pooled mean of [[1,1,1],[0]] = (1+1+1+0)/4 = 0.75 (not the 0.5 of the item means)
  close(bootstrapMean([[1, 1, 1], [0]]).mean, 0.75, 1e-15);
  // 4 items, each run 3 times with the same result: resampling runs one by one would pretend
  // there are 12 independent results; resampling items keeps the interval as wide as 4 items warrant
  const grouped = bootstrapMean([[1, 1, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0]]);
  const flat = bootstrapMean([1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
  assert.equal(grouped.mean, 0.5);
  assert.equal(grouped.n, 4);
  assert.ok(grouped.high! - grouped.low! > flat.high! - flat.low!);
  // with 4 items the resampled means are k/4: the 95 % interval is [0, 1] (P(all four the same) = 2/16)
  assert.equal(grouped.low, 0);
  assert.equal(grouped.high, 1);
});

test('pairedBootstrap: B always better → p = 0, interval above 0, Cohen dz by hand', () => {
  const a = [0.2, 0.4, 0.5, 0.6, 0.3, 0.1, 0.7, 0.5];
  const d = [0.1, 0.2, 0.3, 0.2, 0.1, 0.2, 0.3, 0.2];
  const b = a.map((x, i) => x + d[i]);
  // mean d = 1.6/8 = 0.2; deviations −0.1, 0, 0.1, 0, −0.1, 0, 0.1, 0 → Σ² = 0.04; sd = √(0.04/7) = 0.0755929
  // dz = 0.2/0.0755929 = 2.645751 (= √7)
  const r = pairedBootstrap(a, b, { seed: 3 });
  assert.equal(r.n, 8);
  close(r.mean_diff, 0.2, 1e-12);
  assert.equal(r.p, 0); // no resampled mean reaches 0: read as p < 1/10,000
  assert.ok(r.low! > 0 && r.low! <= 0.2 && r.high! >= 0.2 && r.high! <= 0.3);
  close(r.effect_size, Math.sqrt(7), 1e-9);
  // swapping the variants flips the sign, not the p-value
  const s = pairedBootstrap(b, a, { seed: 3 });
  close(s.mean_diff, -0.2, 1e-12);
  assert.equal(s.p, 0);
  assert.ok(s.high! < 0);
  close(s.effect_size, -Math.sqrt(7), 1e-9);
});

test('pairedBootstrap: no difference → p = 1; noise → large p; nulls and errors', () => {
  const same = pairedBootstrap(scores, scores);
  assert.equal(same.mean_diff, 0);
  assert.equal(same.p, 1); // every resampled mean is exactly 0: 2·min(1, 1) capped at 1
  assert.equal(same.low, 0);
  assert.equal(same.high, 0);
  assert.equal(same.effect_size, null); // no spread in the differences
  // differences that cancel out: +0.1, −0.1 alternating → mean 0, p far from significant
  const noisy = pairedBootstrap(scores, scores.map((x, i) => x + (i % 2 ? -0.1 : 0.1)));
  close(noisy.mean_diff, 0, 1e-12);
  assert.ok(noisy.p! > 0.5 && noisy.low! < 0 && noisy.high! > 0);
  assert.deepEqual(pairedBootstrap([], []), { n: 0, mean_diff: null, low: null, high: null, p: null, effect_size: null });
  assert.throws(() => pairedBootstrap([1, 2], [1]), RangeError);
  assert.equal(pairedBootstrap([0.5], [0.7]).effect_size, null); // n = 1: no sd
});
