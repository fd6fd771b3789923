import { test } from 'node:test';
import assert from 'node:assert/strict';
import { krippendorffAlpha } from './krippendorff.js';

const close = (actual: number | null, expected: number, tol = 1e-12, msg = '') =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${msg} expected ${expected}, got ${actual}`);

const _ = null;
// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the 4 observers × 12 units
// example with missing values. Published: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
const A = [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _];
const B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3];
const C = [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _];
const D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _];
const UNITS = A.map((_v, i) => [A[i], B[i], C[i], D[i]]);

test("Krippendorff's α: his own 2011 example at all four levels", () => {
  // Unit 12 has a single value and is dropped; the other 11 hold n = 40 pairable values.
  const nominal = krippendorffAlpha(UNITS, 'nominal');
  assert.equal(nominal.n, 40);
  assert.equal(nominal.units, 11);
  assert.equal(nominal.unitsDropped, 1);
  close(nominal.alpha, 0.743, 5e-4);
  // By hand: the off-diagonal coincidences are unit 2 [2,3,2,2] (3·1/3 each way = 2), unit 6 [1,2,3,4]
  //   (12 ordered pairs · 1/3 = 4) and unit 8 [1,1,2,1] (2): Σ = 8, so D_o = 8/40 = 0.2.
  //   D_e = 1 − Σ n_c(n_c − 1)/(n(n−1)) with
  //   n_c = 9, 13, 10, 5, 3 (values 1..5): Σ n_c(n_c−1) = 72 + 156 + 90 + 20 + 6 = 344; D_e = 1 − 344/1560 = 1216/1560
  close(nominal.Do, 8 / 40);
  close(nominal.De, 1216 / 1560);
  close(nominal.alpha, 1 - (8 / 40) / (1216 / 1560)); // = 0.7434211
  close(krippendorffAlpha(UNITS, 'ordinal').alpha, 0.815, 5e-4);
  close(krippendorffAlpha(UNITS, 'interval').alpha, 0.849, 5e-4);
  close(krippendorffAlpha(UNITS, 'ratio').alpha, 0.797, 5e-4);
  assert.deepEqual(nominal.categories, [1, 2, 3, 4, 5]);
  assert.equal(nominal.interpretation.band, 'tentative');
});

test("Krippendorff's α nominal with missing data by hand", () => {
  // u1 = [a, a, –]: m = 2, o_aa += 2·1/1 = 2
  // u2 = [a, b, b]: m = 3, o_ab += 1·2/2 = 1, o_ba += 1, o_bb += 2·1/2 = 1
  // u3 = [b, –, –]: one value, dropped
  // n_a = 2 + 1 = 3, n_b = 1 + 1 = 2, n = 5
  // D_o = (o_ab + o_ba)/5 = 2/5; D_e = (n_a n_b + n_b n_a)/(5·4) = 12/20 = 3/5; α = 1 − (2/5)/(3/5) = 1/3
  const r = krippendorffAlpha([['a', 'a', null], ['a', 'b', 'b'], ['b', undefined, null]], 'nominal');
  close(r.Do, 0.4);
  close(r.De, 0.6);
  close(r.alpha, 1 / 3, 1e-12);
  assert.equal(r.n, 5);
  assert.equal(r.units, 2);
  assert.equal(r.unitsDropped, 1);
});

test("Krippendorff's α ordinal and interval on a small table by hand", () => {
  // Units [1,2], [2,3], [1,1] (two raters): o_12 = o_21 = 1, o_23 = o_32 = 1, o_11 = 2
  // n_1 = 3, n_2 = 2, n_3 = 1, n = 6
  // Ordinal δ²(c,k) = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²:
  //   δ²(1,2) = (5 − 2.5)² = 6.25, δ²(2,3) = (3 − 1.5)² = 2.25, δ²(1,3) = (6 − 2)² = 16
  //   D_o = (2·6.25 + 2·2.25)/6 = 17/6
  //   D_e = 2·(3·2·6.25 + 2·1·2.25 + 3·1·16)/(6·5) = 2·90/30 = 6
  //   α = 1 − (17/6)/6 = 19/36 = 0.5277778
  const units = [[1, 2], [2, 3], [1, 1]];
  const ord = krippendorffAlpha(units, 'ordinal');
  close(ord.Do, 17 / 6);
  close(ord.De, 6);
  close(ord.alpha, 19 / 36);
  // Interval δ² = (c − k)²: D_o = (2·1 + 2·1)/6 = 2/3; D_e = 2·(6·1 + 2·1 + 3·4)/30 = 4/3; α = 0.5
  const int = krippendorffAlpha(units, 'interval');
  close(int.Do, 2 / 3);
  close(int.De, 4 / 3);
  close(int.alpha, 0.5);
  // The same ordinal data as text, ordered by `categories`, gives the same α.
  const names = ['bad', 'ok', 'good'];
  const text = units.map((u) => u.map((v) => names[v - 1]));
  close(krippendorffAlpha(text, 'ordinal', { categories: names }).alpha, 19 / 36);
  assert.throws(() => krippendorffAlpha(text, 'ordinal'), /categories/);
  assert.throws(() => krippendorffAlpha(text, 'interval'), /needs numbers/);
});

test("Krippendorff's α ratio: δ² = ((c − k)/(c + k))², and 0 vs 0 is no disagreement", () => {
  // Units [1,3], [0,0]: o_13 = o_31 = 1, o_00 = 2; n_0 = 2, n_1 = 1, n_3 = 1, n = 4
  // δ²(1,3) = (2/4)² = 0.25, δ²(0,1) = δ²(0,3) = 1
  // D_o = 2·0.25/4 = 0.125; D_e = 2·(2·1·1 + 2·1·1 + 1·1·0.25)/(4·3) = 8.5/12
  // α = 1 − 0.125/(8.5/12) = 1 − 1.5/8.5 = 0.8235294
  const r = krippendorffAlpha([[1, 3], [0, 0]], 'ratio');
  close(r.alpha, 1 - 1.5 / 8.5);
  assert.throws(() => krippendorffAlpha([[-1, 2]], 'ratio'), /≥ 0/);
});

test("Krippendorff's α: perfect → 1, systematic disagreement → negative, degenerate → null", () => {
  close(krippendorffAlpha([['a', 'a', 'a'], ['b', 'b', null], ['c', 'c', 'c']]).alpha, 1);
  // [a,b] ×2 and [b,a] ×2: o_ab = o_ba = 4, n_a = n_b = 4, n = 8
  // D_o = 8/8 = 1; D_e = 2·16/56 = 4/7; α = 1 − 7/4 = −0.75
  const opp = krippendorffAlpha([['a', 'b'], ['b', 'a'], ['a', 'b'], ['b', 'a']]);
  close(opp.alpha, -0.75);
  assert.equal(opp.interpretation.band, 'unreliable');
  const few = krippendorffAlpha([['a', null], [null, 'b']]);
  assert.equal(few.alpha, null);
  assert.equal(few.n, 0);
  assert.match(few.reason as string, /fewer than 2/);
  const same = krippendorffAlpha([['a', 'a'], ['a', 'a', 'a']]);
  assert.equal(same.alpha, null);
  assert.match(same.reason as string, /same/);
  assert.ok(!JSON.stringify([few, same]).includes('NaN'));
  assert.equal(krippendorffAlpha([]).alpha, null);
  assert.throws(() => krippendorffAlpha([[1, 2]], 'cardinal' as 'nominal'), /level/);
});
