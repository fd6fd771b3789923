import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregatePassK, flaky, passAtK, passHatK } from './passk.js';

const close = (actual: number | null, expected: number, tol = 1e-12, msg?: string) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${msg ?? ''} expected ${expected}, got ${actual}`);

/** C(n, k) by the product formula, for checking on small numbers. */
function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

test('pass@k by hand: n=5, c=2', () => {
  // k = 1: 1 − C(3,1)/C(5,1) = 1 − 3/5 = 0.4;  product form 1 − (1 − 1/4)(1 − 1/5) = 1 − 0.75·0.8 = 0.4
  close(passAtK(5, 2, 1), 0.4);
  // k = 2: 1 − C(3,2)/C(5,2) = 1 − 3/10 = 0.7;  product form 1 − (1 − 2/4)(1 − 2/5) = 1 − 0.5·0.6 = 0.7
  close(passAtK(5, 2, 2), 0.7);
  // n − c = 1 < k = 2: any 2 samples include a pass
  assert.equal(passAtK(5, 4, 2), 1);
  assert.equal(passAtK(5, 0, 3), 0);
});

test('pass^k by hand: n=5, c=3, k=2', () => {
  // C(3,2)/C(5,2) = 3/10 = 0.3;  product (3/5)(2/4) = 0.3
  close(passHatK(5, 3, 2), 0.3);
  assert.equal(passHatK(5, 1, 2), 0); // c < k
  assert.equal(passHatK(5, 5, 5), 1);
});

test('pass@k and pass^k match the binomial formulas; monotone in k; pass@1 = pass^1 = c/n', () => {
  for (let n = 1; n <= 12; n++) {
    for (let c = 0; c <= n; c++) {
      let prevAt = -1;
      let prevHat = 2;
      for (let k = 1; k <= n; k++) {
        const at = passAtK(n, c, k);
        const hat = passHatK(n, c, k);
        close(at, 1 - choose(n - c, k) / choose(n, k), 1e-12, `pass@k n=${n} c=${c} k=${k}`);
        close(hat, choose(c, k) / choose(n, k), 1e-12, `pass^k n=${n} c=${c} k=${k}`);
        assert.ok(at >= prevAt - 1e-15 && hat <= prevHat + 1e-15, 'pass@k grows and pass^k shrinks with k');
        assert.ok(hat <= c / n + 1e-15 && c / n <= at + 1e-15);
        prevAt = at;
        prevHat = hat;
      }
      close(passAtK(n, c, 1), c / n);
      close(passHatK(n, c, 1), c / n);
    }
  }
  // large n stays finite (no factorials): n = 200, c = 1, k = 100 → 1 − C(199,100)/C(200,100) = 1 − 100/200 = 0.5
  close(passAtK(200, 1, 100), 0.5);
  close(passHatK(1000, 999, 500), 0.5); // C(999,500)/C(1000,500) = 500/1000
});

test('pass@k arguments are checked; flaky is 0 < c < n', () => {
  assert.throws(() => passAtK(3, 4, 1), RangeError);
  assert.throws(() => passAtK(3, 1, 4), RangeError); // k > n
  assert.throws(() => passHatK(3, 1, 0), RangeError);
  assert.throws(() => passAtK(3.5, 1, 1), RangeError);
  assert.equal(flaky(5, 0), false);
  assert.equal(flaky(5, 5), false);
  assert.equal(flaky(5, 2), true);
  assert.equal(flaky(1, 1), false);
});

test('aggregatePassK: means over items, items with fewer than k runs skipped', () => {
  // k = 2 over {5,2} {5,3} {5,5} {1,1} (the last has 1 run < 2: skipped)
  // pass@1: (0.4 + 0.6 + 1)/3 = 2/3
  // pass@2: {5,2} 0.7; {5,3} 1 − (1 − 2/3)(1 − 2/4)(1 − 2/5) = 1 − 0.1 = 0.9; {5,5} 1 → 2.6/3
  // pass^2: {5,2} (2/5)(1/4) = 0.1; {5,3} 0.3; {5,5} 1 → 1.4/3
  const r = aggregatePassK([{ n: 5, c: 2 }, { n: 5, c: 3 }, { n: 5, c: 5 }, { n: 1, c: 1 }], 2);
  assert.equal(r.k, 2);
  close(r.pass_at_1, 2 / 3);
  close(r.pass_at_k, 2.6 / 3);
  close(r.pass_hat_k, 1.4 / 3);
  assert.equal(r.items, 3);
  assert.equal(r.skipped, 1);
  assert.equal(r.flaky, 2);
  assert.deepEqual(aggregatePassK([], 3), { k: 3, pass_at_1: null, pass_at_k: null, pass_hat_k: null, items: 0, skipped: 0, flaky: 0 });
  assert.throws(() => aggregatePassK([], 0), RangeError);
});
