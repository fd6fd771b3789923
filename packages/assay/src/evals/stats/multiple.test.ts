import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benjaminiHochberg } from './multiple.js';

test('Benjamini–Hochberg by hand: the step-up rejects a p-value above its own threshold', () => {
  // input      [0.30, 0.036, 0.004, 0.030], m = 4, q = 0.05
  // sorted     p(1)=0.004  p(2)=0.030  p(3)=0.036  p(4)=0.30
  // thresholds     0.0125      0.025       0.0375      0.05      (i/4 · 0.05)
  // passes?        yes         no          yes         no   → largest i = 3 → reject 1..3 (0.030 too)
  // adjusted   p(4): 4/4·0.30 = 0.30; p(3): 4/3·0.036 = 0.048; p(2): min(4/2·0.030 = 0.06, 0.048) = 0.048;
  //            p(1): min(4·0.004 = 0.016, 0.048) = 0.016
  const r = benjaminiHochberg([0.3, 0.036, 0.004, 0.03]);
  assert.deepEqual(r.rejected, [false, true, true, true]);
  const expected = [0.3, 0.048, 0.016, 0.048];
  r.adjusted.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-12, `${i}: ${a}`));
});

test('Benjamini–Hochberg: nothing passes, everything passes, capped at 1, empty, bad input', () => {
  // [0.02, 0.5, 0.9] at q = 0.05: thresholds 0.0167, 0.033, 0.05 → none
  // adjusted: 0.9; min(3/2·0.5 = 0.75, 0.9) = 0.75; min(3·0.02 = 0.06, 0.75) = 0.06
  const none = benjaminiHochberg([0.02, 0.5, 0.9]);
  assert.deepEqual(none.rejected, [false, false, false]);
  none.adjusted.forEach((a, i) => assert.ok(Math.abs(a - [0.06, 0.75, 0.9][i]) < 1e-12));
  assert.deepEqual(benjaminiHochberg([0.001, 0.002]).rejected, [true, true]);
  // at q = 0.25 the 0.02 passes (0.02 ≤ 0.0833) but 0.5 does not (0.5 > 0.1667)
  assert.deepEqual(benjaminiHochberg([0.02, 0.5, 0.9], 0.25).rejected, [true, false, false]);
  assert.deepEqual(benjaminiHochberg([1, 1]).adjusted, [1, 1]);
  assert.deepEqual(benjaminiHochberg([]), { rejected: [], adjusted: [] });
  assert.throws(() => benjaminiHochberg([1.2]), RangeError);
  assert.throws(() => benjaminiHochberg([0.1], 0), RangeError);
});

test('Benjamini–Hochberg: rejected ⇔ adjusted ≤ q on random vectors', () => {
  let s = 7;
  const next = () => ((s = (s * 48271) % 2147483647) / 2147483647) ** 3; // skewed toward small p
  for (let t = 0; t < 200; t++) {
    const ps = Array.from({ length: 1 + (t % 12) }, next);
    const r = benjaminiHochberg(ps, 0.1);
    r.adjusted.forEach((a, i) => {
      assert.equal(r.rejected[i], a <= 0.1 + 1e-12, `trial ${t}`);
      assert.ok(a >= ps[i] * (1 - 1e-15) && a <= 1);
    });
  }
});
