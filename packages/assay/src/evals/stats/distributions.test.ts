import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chiSquareSf, erfc, logGamma, normalCdf, normalQuantile, regularizedGammaP, regularizedGammaQ } from './distributions.js';
import { rng, seedOf } from './random.js';

const close = (actual: number, expected: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${msg ?? ''} expected ${expected}, got ${actual} (tol ${tol})`);
const rel = (actual: number, expected: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.abs(expected), `${msg ?? ''} expected ${expected}, got ${actual} (rel ${tol})`);

test('logGamma: factorials and Γ(½) = √π', () => {
  rel(logGamma(5), Math.log(24), 1e-14); // Γ(5) = 4! = 24
  rel(logGamma(11), Math.log(3628800), 1e-14); // 10!
  rel(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14);
  close(logGamma(1), 0, 1e-14);
  close(logGamma(2), 0, 1e-14);
});

test('erfc against tabulated values (Abramowitz & Stegun 7.1)', () => {
  assert.equal(erfc(0), 1);
  rel(erfc(0.5), 0.4795001221869535, 1e-14);
  rel(erfc(1), 0.15729920705028513, 1e-14);
  rel(erfc(2), 0.004677734981047266, 1e-14);
  rel(erfc(3), 2.209049699858544e-5, 1e-13);
  rel(erfc(6), 2.1519736712498913e-17, 1e-13); // deep tail keeps its relative accuracy
  rel(erfc(-1), 2 - 0.15729920705028513, 1e-15); // erfc(−x) = 2 − erfc(x)
});

test('regularized gamma: P + Q = 1; Q(1, x) = e^−x', () => {
  for (const [a, x] of [[0.5, 0.3], [2.5, 1], [3, 10], [10, 9], [50, 70]]) {
    close(regularizedGammaP(a, x) + regularizedGammaQ(a, x), 1, 1e-14, `a=${a} x=${x}`);
  }
  // Γ(1, x) = ∫ₓ^∞ e^−t dt = e^−x, and Γ(1) = 1
  for (const x of [0.1, 1, 2, 5, 30]) rel(regularizedGammaQ(1, x), Math.exp(-x), 1e-13, `x=${x}`);
  assert.throws(() => regularizedGammaP(0, 1), RangeError);
});

test('χ² survival: df 1 is erfc(√(x/2)), df 2 is e^(−x/2), the 5 % critical value', () => {
  // McNemar b=10, c=25: χ² = (15 − 1)²/35 = 196/35 = 5.6; p = erfc(√2.8) = erfc(1.67332) ≈ 0.0179605
  rel(chiSquareSf(5.6, 1), 0.017960477526078766, 1e-12);
  rel(chiSquareSf(3.841458820694124, 1), 0.05, 1e-12); // 1.959964² is the df-1 critical value at 5 %
  for (const x of [0.5, 2, 7, 40]) rel(chiSquareSf(x, 2), Math.exp(-x / 2), 1e-13, `x=${x}`);
  assert.equal(chiSquareSf(0, 1), 1);
  assert.equal(chiSquareSf(-1, 3), 1);
});

test('normal CDF and quantile round-trip; z values used by the power calculation', () => {
  rel(normalCdf(1.96), 0.9750021048517795, 1e-14);
  assert.equal(normalCdf(0), 0.5);
  rel(normalQuantile(0.975), 1.959963984540054, 1e-14);
  rel(normalQuantile(0.8), 0.8416212335729143, 1e-14);
  rel(normalQuantile(0.001), -3.090232306167813, 1e-14);
  rel(normalQuantile(1 - 1e-10), 6.361340889697422, 1e-13); // upper tail keeps its digits
  assert.equal(normalQuantile(0.5), 0);
  assert.equal(normalQuantile(0), -Infinity);
  assert.equal(normalQuantile(1), Infinity);
  for (const p of [1e-12, 0.01, 0.2, 0.5, 0.7, 0.99]) rel(normalCdf(normalQuantile(p)), p, 1e-12, `p=${p}`);
  assert.throws(() => normalQuantile(1.5), RangeError);
});

test('rng: deterministic per seed, in [0, 1), roughly uniform; string seeds hash', () => {
  const a = rng(42);
  const b = rng(42);
  const xs = Array.from({ length: 10_000 }, () => a());
  assert.deepEqual(Array.from({ length: 10_000 }, () => b()), xs);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  close(m, 0.5, 0.01); // sd of the mean of 10,000 uniforms is 0.0029
  assert.notEqual(rng(43)(), rng(42)());
  assert.equal(seedOf('exp-1'), seedOf('exp-1'));
  assert.notEqual(seedOf('exp-1'), seedOf('exp-2'));
  assert.equal(rng('exp-1')(), rng('exp-1')());
});
