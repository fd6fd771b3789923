import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mcnemar, mcnemarCounts, wilson } from './proportions.js';

const close = (actual: number | null, expected: number, tol: number, msg?: string) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${msg ?? ''} expected ${expected}, got ${actual}`);

test('Wilson x=8, n=10 by hand', () => {
  // p̂ = 0.8; z² = 1.96² = 3.8416; z²/n = 0.38416; 1 + z²/n = 1.38416
  // centre = (0.8 + 3.8416/20)/1.38416 = 0.99208/1.38416 = 0.7167379
  // half = 1.96/1.38416 · √(0.8·0.2/10 + 3.8416/400) = 1.4160213 · √0.025604 = 1.4160213 · 0.1600125 = 0.2265811
  const w = wilson(8, 10);
  assert.equal(w.p, 0.8);
  close(w.low, 0.7167379 - 0.2265811, 1e-6); // 0.4901568
  close(w.high, 0.7167379 + 0.2265811, 1e-6); // 0.9433191
});

test('Wilson x=0, n=5 by hand: the lower bound is 0, the upper one is not', () => {
  // p̂ = 0; z²/n = 3.8416/5 = 0.76832; centre = (0 + 3.8416/10)/1.76832 = 0.38416/1.76832
  // half = 1.96/1.76832 · √(0 + 3.8416/100) = 1.96·0.196/1.76832 = 0.38416/1.76832 (= centre)
  // so low = 0 and high = 0.76832/1.76832 = 0.4344915
  const w = wilson(0, 5);
  assert.equal(w.p, 0);
  assert.equal(w.low, 0); // clamped: rounding leaves −2.8e-17
  close(w.high, 0.76832 / 1.76832, 1e-12);
  // x = n mirrors it: [1 − 0.4344915, 1]
  const all = wilson(5, 5);
  assert.equal(all.high, 1);
  close(all.low, 1 - 0.76832 / 1.76832, 1e-12);
});

test('Wilson: n = 0 is all null; bad counts throw; bounds stay within [0, 1] and around p̂', () => {
  assert.deepEqual(wilson(0, 0), { p: null, low: null, high: null });
  assert.throws(() => wilson(3, 2), RangeError);
  assert.throws(() => wilson(-1, 2), RangeError);
  assert.throws(() => wilson(1.5, 2), RangeError);
  for (let n = 1; n <= 40; n++) {
    for (let x = 0; x <= n; x++) {
      const w = wilson(x, n);
      assert.ok(w.p !== null && w.low !== null && w.high !== null);
      assert.ok(w.low >= 0 && w.low <= w.p && w.p <= w.high && w.high <= 1, `x=${x} n=${n}`);
      assert.ok(w.high - w.low > 0, 'never zero width');
    }
  }
  // a wider z gives a wider interval
  const a = wilson(8, 10, 1.96);
  const b = wilson(8, 10, 2.576);
  assert.ok(b.low! < a.low! && b.high! > a.high!);
});

test('McNemar exact, b=1, c=6 by hand', () => {
  // m = b + c = 7 < 25 → exact: p = 2·(C(7,0) + C(7,1))/2⁷ = 2·(1 + 7)/128 = 0.125
  const r = mcnemarCounts(1, 6, 20);
  assert.equal(r.method, 'exact');
  assert.equal(r.statistic, null);
  assert.equal(r.n_discordant, 7);
  close(r.p, 0.125, 1e-15);
  // effect: (c − b)/n = (6 − 1)/20 = 0.25 (B passes 25 points more); odds ratio c/b = 6
  assert.equal(r.effect.diff, 0.25);
  assert.equal(r.effect.odds_ratio, 6);
});

test('McNemar χ², b=10, c=25 by hand', () => {
  // m = 35 ≥ 25 → χ² = (|10 − 25| − 1)²/35 = 14²/35 = 196/35 = 5.6
  // p = P(χ²₁ ≥ 5.6) = erfc(√(5.6/2)) = erfc(1.6733201) ≈ 0.0179605
  const r = mcnemarCounts(10, 25, 100);
  assert.equal(r.method, 'chi2');
  close(r.statistic, 5.6, 1e-12);
  close(r.p, 0.0179605, 1e-7);
  close(r.effect.diff, 0.15, 1e-15); // (25 − 10)/100
  close(r.effect.odds_ratio, 2.5, 1e-15);
});

test('McNemar edges: no discordant items, a balanced table, the 24/25 switch', () => {
  // b = c = 0: 2·C(0,0)/1 = 2 → capped at 1
  const none = mcnemarCounts(0, 0, 10);
  assert.equal(none.p, 1);
  assert.equal(none.effect.diff, 0);
  assert.equal(none.effect.odds_ratio, null);
  // b = c = 3: 2·(1 + 6 + 15 + 20)/64 = 84/64 → capped at 1
  assert.equal(mcnemarCounts(3, 3).p, 1);
  // b = 0, c = 5: 2·C(5,0)/32 = 0.0625; odds ratio undefined (b = 0)
  const oneSided = mcnemarCounts(0, 5);
  close(oneSided.p, 0.0625, 1e-15);
  assert.equal(oneSided.effect.odds_ratio, null);
  assert.equal(mcnemarCounts(12, 12).method, 'exact'); // 24
  assert.equal(mcnemarCounts(12, 13).method, 'chi2'); // 25
  assert.equal(mcnemarCounts(0, 0, 0).effect.diff, null);
  assert.throws(() => mcnemarCounts(5, 6, 10), RangeError); // b + c > n
});

test('mcnemar counts discordant pairs from outcomes', () => {
  // 3 both pass, 2 both fail, 1 A-only (b), 6 B-only (c): 12 shared items
  const pairs = [
    ...Array.from({ length: 3 }, () => ({ a: true, b: true })),
    ...Array.from({ length: 2 }, () => ({ a: false, b: false })),
    { a: true, b: false },
    ...Array.from({ length: 6 }, () => ({ a: false, b: true })),
  ];
  const r = mcnemar(pairs);
  assert.equal(r.b, 1);
  assert.equal(r.c, 6);
  assert.equal(r.n, 12);
  close(r.p, 0.125, 1e-15);
  close(r.effect.diff, 5 / 12, 1e-15); // B 9/12 − A 4/12
  assert.equal(mcnemar([]).p, 1);
});
