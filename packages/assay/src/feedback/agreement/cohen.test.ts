import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cohenKappa, type RatingPair } from './cohen.js';

const close = (actual: number | null, expected: number, tol = 1e-12, msg = '') =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${msg} expected ${expected}, got ${actual}`);

/** Expands a confusion table (rows rater a, columns rater b) into pairs. */
function fromTable(categories: (string | number)[], table: number[][]): RatingPair[] {
  const out: RatingPair[] = [];
  table.forEach((row, i) => row.forEach((count, j) => {
    for (let c = 0; c < count; c++) out.push({ a: categories[i], b: categories[j] });
  }));
  return out;
}

test('Cohen κ: the classic 2×2 by hand', () => {
  // a\b     yes  no
  // yes      20   5   (row 25)
  // no       10  15   (row 25)
  // cols     30  20   N = 50
  // p_o = (20 + 15)/50 = 0.7
  // p_e = (25/50)(30/50) + (25/50)(20/50) = 0.30 + 0.20 = 0.5
  // κ = (0.7 − 0.5)/(1 − 0.5) = 0.4
  const r = cohenKappa(fromTable(['yes', 'no'], [[20, 5], [10, 15]]), { categories: ['yes', 'no'] });
  close(r.observed, 0.7);
  close(r.expected, 0.5);
  close(r.kappa, 0.4);
  assert.equal(r.n, 50);
  assert.equal(r.dropped, 0);
  assert.deepEqual(r.categories, ['yes', 'no']);
  assert.deepEqual(r.matrix, [[20, 5], [10, 15]]);
  assert.equal(r.weights, 'none');
  assert.equal(r.interpretation.band, 'fair'); // 0.21–0.40 (0.4 is the top of "fair")
  assert.equal(r.reason, null);
});

// A 3-category ordinal table, N = 40 (rows a, columns b):
//            low mid high | row
//   low       10   4    1 |  15
//   mid        3   8    3 |  14
//   high       1   2    8 |  11
//   col       14  14   12 |  40
// Expected counts × N (n_i· n_·j):
//   low   210 210 180
//   mid   196 196 168
//   high  154 154 132     (sum 1600 = 40²)
const ORD = ['low', 'mid', 'high'];
const ORD_TABLE = [[10, 4, 1], [3, 8, 3], [1, 2, 8]];

test('Cohen κ unweighted on the 3×3 table by hand', () => {
  // p_o = (10 + 8 + 8)/40 = 0.65; p_e = (210 + 196 + 132)/1600 = 538/1600 = 0.33625
  // κ = (0.65 − 0.33625)/(1 − 0.33625) = 0.31375/0.66375 = 0.4726930
  const r = cohenKappa(fromTable(ORD, ORD_TABLE), { categories: ORD });
  close(r.observed, 0.65);
  close(r.expected, 0.33625);
  close(r.kappa, 0.31375 / 0.66375);
  assert.equal(r.interpretation.band, 'moderate');
});

test('Cohen κ weighted, linear and quadratic, on the 3×3 table by hand', () => {
  // Linear w = |i−j|: Σ w·o = 1·(4 + 3 + 3 + 2) + 2·(1 + 1) = 12 + 4 = 16
  //   Σ w·(n_i· n_·j) = 1·(210 + 196 + 168 + 154) + 2·(180 + 154) = 728 + 668 = 1396
  //   κ_w = 1 − (16/40)/(1396/1600) = 1 − 640/1396 = 756/1396 = 0.5415473
  //   p_o(w) = 1 − 16/(2·40) = 0.8; p_e(w) = 1 − 1396/(2·1600) = 0.56375; (0.8 − 0.56375)/(0.43625) = same κ
  const lin = cohenKappa(fromTable(ORD, ORD_TABLE), { categories: ORD, weights: 'linear' });
  close(lin.kappa, 756 / 1396);
  close(lin.observed, 0.8);
  close(lin.expected, 0.56375);
  close(((lin.observed as number) - (lin.expected as number)) / (1 - (lin.expected as number)), lin.kappa as number, 1e-12);
  assert.equal(lin.weights, 'linear');
  // Quadratic w = (i−j)²: Σ w·o = 12 + 4·2 = 20; Σ w·e = 728 + 4·334 = 2064
  //   κ_w = 1 − 20·40/2064 = 1264/2064 = 0.6124031
  const quad = cohenKappa(fromTable(ORD, ORD_TABLE), { categories: ORD, weights: 'quadratic' });
  close(quad.kappa, 1264 / 2064);
  close(quad.observed, 1 - 20 / (4 * 40));
  assert.equal(quad.interpretation.band, 'substantial');
});

test('Cohen weighted κ: numeric labels need no order; text labels do; unknown labels throw', () => {
  const nums = fromTable([1, 2, 3], ORD_TABLE);
  close(cohenKappa(nums, { weights: 'linear' }).kappa, 756 / 1396);
  assert.throws(() => cohenKappa(fromTable(ORD, ORD_TABLE), { weights: 'linear' }), /categories/);
  assert.throws(() => cohenKappa([{ a: 'x', b: 'y' }], { categories: ['x'] }), /not in the given categories/);
  // Unused categories still take a position: with 1..5 the distance low→high is 2 of a maximum 4.
  const wide = cohenKappa(nums, { weights: 'linear', categories: [1, 2, 3, 4, 5] });
  close(wide.kappa, 756 / 1396); // κ_w does not change (weights scale away)…
  close(wide.observed, 1 - 16 / (4 * 40)); // …but the credit-weighted p_o uses w_max = 4
  assert.deepEqual(wide.matrix[4], [0, 0, 0, 0, 0]);
});

test('Cohen κ: missing ratings are dropped and counted', () => {
  const r = cohenKappa([
    { a: 'yes', b: 'yes' },
    { a: 'no', b: 'no' },
    { a: 'yes', b: null },
    { a: undefined, b: 'no' },
  ]);
  assert.equal(r.n, 2);
  assert.equal(r.dropped, 2);
  close(r.kappa, 1);
  const none = cohenKappa([{ a: null, b: 'x' }]);
  assert.equal(none.kappa, null);
  assert.equal(none.observed, null);
  assert.match(none.reason as string, /no item/);
});

test('Cohen κ: perfect agreement → 1; systematic disagreement → −1; one category → null, not NaN', () => {
  const perfect = cohenKappa([{ a: 1, b: 1 }, { a: 2, b: 2 }, { a: 3, b: 3 }]);
  close(perfect.kappa, 1);
  assert.equal(perfect.interpretation.band, 'almost perfect');
  // Always opposite: p_o = 0, p_e = 0.5·0.5 + 0.5·0.5 = 0.5, κ = −0.5/0.5 = −1
  const opposite = cohenKappa([{ a: true, b: false }, { a: false, b: true }, { a: true, b: false }, { a: false, b: true }]);
  close(opposite.kappa, -1);
  assert.equal(opposite.interpretation.band, 'poor');
  assert.deepEqual(opposite.categories, [false, true]);
  // Both raters say "ok" every time: p_o = p_e = 1, κ = 0/0.
  for (const weights of [undefined, 'linear', 'quadratic'] as const) {
    const same = cohenKappa([{ a: 'ok', b: 'ok' }, { a: 'ok', b: 'ok' }], { weights, categories: weights ? ['ok'] : undefined });
    assert.equal(same.kappa, null);
    assert.equal(same.observed, 1);
    assert.equal(same.expected, 1);
    assert.match(same.reason as string, /chance agreement is 1/);
    assert.equal(same.interpretation.band, 'undefined');
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(same)));
    assert.ok(!JSON.stringify(same).includes('NaN'));
  }
});

test('Cohen κ: bad input throws', () => {
  assert.throws(() => cohenKappa([{ a: Number.NaN, b: 1 }]), RangeError);
  assert.throws(() => cohenKappa([{ a: {} as unknown as string, b: 1 }]), TypeError);
  assert.throws(() => cohenKappa([], { weights: 'cubic' as 'linear' }), RangeError);
  assert.throws(() => cohenKappa([], { categories: ['a', 'a'] }), /repeat/);
});

test('Cohen κ: an always-"pass" judge is 90 % accurate on a 90 % pass set, yet κ = 0', () => {
  // human: 9 pass, 1 fail; judge: 10 pass. p_o = 9/10; p_e = (9/10)(10/10) + (1/10)(0/10) = 0.9; κ = 0/0.1 = 0
  const pairs = Array.from({ length: 10 }, (_, i) => ({ a: i < 9 ? 'pass' : 'fail', b: 'pass' }));
  const r = cohenKappa(pairs);
  close(r.observed, 0.9);
  close(r.expected, 0.9);
  close(r.kappa, 0);
});
