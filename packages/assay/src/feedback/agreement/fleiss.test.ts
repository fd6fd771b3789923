import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleissKappa } from './fleiss.js';

const close = (actual: number | null, expected: number, tol = 1e-12, msg = '') =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${msg} expected ${expected}, got ${actual}`);

test("Fleiss' κ: 4 items × 3 raters by hand", () => {
  // item   ratings   n_a n_b   P_i = (Σ n_ij² − 3)/(3·2)
  //   1    a a a      3   0    (9 − 3)/6 = 1
  //   2    a a b      2   1    (4 + 1 − 3)/6 = 1/3
  //   3    b b b      0   3    1
  //   4    a b b      1   2    1/3
  // P̄ = (1 + 1/3 + 1 + 1/3)/4 = 2/3
  // p_a = (3 + 2 + 0 + 1)/12 = 0.5, p_b = 0.5, P̄_e = 0.25 + 0.25 = 0.5
  // κ = (2/3 − 1/2)/(1 − 1/2) = 1/3
  const r = fleissKappa([['a', 'a', 'a'], ['a', 'a', 'b'], ['b', 'b', 'b'], ['a', 'b', 'b']]);
  close(r.pBar, 2 / 3);
  close(r.pBarE, 0.5);
  close(r.kappa, 1 / 3);
  assert.equal(r.n, 4);
  assert.equal(r.raters, 3);
  assert.deepEqual(r.perCategory, [{ category: 'a', p: 0.5 }, { category: 'b', p: 0.5 }]);
  assert.equal(r.interpretation.band, 'fair');
});

test("Fleiss' κ: the 10 items × 14 raters example of Fleiss (1971) as tabulated on Wikipedia: κ ≈ 0.210", () => {
  // Counts per item over categories 1..5; published P̄ = 0.378, P̄_e = 0.213, κ = 0.210.
  const table = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
  ];
  const ratings = table.map((row) => row.flatMap((count, j) => new Array<number>(count).fill(j + 1)));
  const r = fleissKappa(ratings);
  close(r.pBar, 0.378, 5e-4);
  close(r.pBarE, 0.213, 5e-4);
  close(r.kappa, 0.210, 5e-4);
  // p_j = column totals / 140 = 20, 28, 39, 21, 32
  assert.deepEqual(r.perCategory.map((c) => Math.round(c.p * 140)), [20, 28, 39, 21, 32]);
});

test("Fleiss' κ: perfect agreement → 1; all one category → null; systematic split → negative", () => {
  close(fleissKappa([['x', 'x'], ['y', 'y'], ['z', 'z']]).kappa, 1);
  const same = fleissKappa([['x', 'x'], ['x', 'x']]);
  assert.equal(same.kappa, null);
  assert.match(same.reason as string, /same category/);
  // Two raters who always disagree on a/b: P_i = 0, P̄_e = 0.5, κ = (0 − 0.5)/0.5 = −1
  close(fleissKappa([['a', 'b'], ['b', 'a'], ['a', 'b']]).kappa, -1);
});

test("Fleiss' κ: unequal rater counts or missing ratings point to Krippendorff's α", () => {
  assert.throws(() => fleissKappa([['a', 'b'], ['a', 'b', 'a']]), /Krippendorff/);
  assert.throws(() => fleissKappa([['a', 'b'], ['a', null]]), /Krippendorff/);
  assert.throws(() => fleissKappa([['a'], ['b']]), /at least 2/);
  assert.throws(() => fleissKappa([]), RangeError);
});
