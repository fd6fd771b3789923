/**
 * Pass/fail statistics: the Wilson score interval for one variant's pass rate, and McNemar's test for
 * two variants run on the same items (exact binomial when there are fewer than 25 discordant items,
 * χ² with continuity correction otherwise). Formulas: evals-and-feedback reference §7; explained in
 * docs/evals-statistics.md.
 */
import { chiSquareSf } from './distributions.js';

/** A proportion with its interval. All three are null when there are no trials (n = 0): nothing is known. */
export type ProportionInterval = { p: number; low: number; high: number } | { p: null; low: null; high: null };

function checkCount(x: number, what: string): void {
  if (!Number.isInteger(x) || x < 0) throw new RangeError(`${what} must be a non-negative integer, got ${x}`);
}

/**
 * Wilson score interval for x passes out of n (z = 1.96 gives 95 %):
 *   centre = (p̂ + z²/2n) / (1 + z²/n),  half = z/(1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²).
 * Bounds are clamped to [0, 1] (they only stray by rounding); low is 0 at x = 0 and high is 1 at x = n.
 * n = 0 gives {p: null, low: null, high: null}.
 */
export function wilson(x: number, n: number, z = 1.96): ProportionInterval {
  checkCount(x, 'x');
  checkCount(n, 'n');
  if (x > n) throw new RangeError(`x (${x}) cannot exceed n (${n})`);
  if (!(z > 0)) throw new RangeError(`z must be > 0, got ${z}`);
  if (n === 0) return { p: null, low: null, high: null };
  const p = x / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At x = 0 (x = n) the bound is exactly 0 (1) in exact arithmetic; rounding must not move it.
  return { p, low: x === 0 ? 0 : Math.max(0, centre - half), high: x === n ? 1 : Math.min(1, centre + half) };
}

/** One shared item's outcome under variant A and variant B (true = passed). */
export interface PassPair {
  a: boolean;
  b: boolean;
}

/** McNemar's test of A vs B on the same items. */
export interface McNemarResult {
  /** Items A passed and B failed. */
  b: number;
  /** Items A failed and B passed. */
  c: number;
  /** b + c: only these items carry information about the difference. */
  n_discordant: number;
  /** All shared items (the denominator of the effect). */
  n: number;
  /** The χ² statistic (continuity-corrected); null for the exact test. */
  statistic: number | null;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'chi2';
  effect: {
    /** (c − b)/n: B's pass rate minus A's on the shared items; null when n = 0. */
    diff: number | null;
    /** c/b, the odds that a discordant item favours B; null when b = 0 (undefined or infinite). */
    odds_ratio: number | null;
  };
}

/** Below this many discordant items the exact binomial test is used (reference §7). */
export const MCNEMAR_EXACT_BELOW = 25;

/**
 * McNemar's test from the discordant counts: b (A passed, B failed), c (A failed, B passed) and n,
 * the number of shared items. Exact when b + c < 25: p = min(1, 2·Σ_{i≤min(b,c)} C(b+c, i)/2^(b+c));
 * otherwise χ² = (|b − c| − 1)²/(b + c) with 1 degree of freedom.
 */
export function mcnemarCounts(b: number, c: number, n: number = b + c): McNemarResult {
  checkCount(b, 'b');
  checkCount(c, 'c');
  checkCount(n, 'n');
  const m = b + c;
  if (m > n) throw new RangeError(`b + c (${m}) cannot exceed the number of shared items n (${n})`);
  const effect = { diff: n === 0 ? null : (c - b) / n, odds_ratio: b === 0 ? null : c / b };
  if (m < MCNEMAR_EXACT_BELOW) {
    // Binomial(m, ½) tail: terms C(m, i)/2^m built up by the ratio C(m, i+1)/C(m, i) = (m − i)/(i + 1).
    let term = Math.pow(0.5, m);
    let tail = 0;
    for (let i = 0; i <= Math.min(b, c); i++) {
      tail += term;
      term = (term * (m - i)) / (i + 1);
    }
    return { b, c, n_discordant: m, n, statistic: null, p: Math.min(1, 2 * tail), method: 'exact', effect };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / m;
  return { b, c, n_discordant: m, n, statistic, p: chiSquareSf(statistic, 1), method: 'chi2', effect };
}

/**
 * McNemar's test on paired pass/fail outcomes (one pair per shared item; with repeats, reduce each
 * item to one outcome first, e.g. majority or all-passed). See mcnemarCounts.
 */
export function mcnemar(pairs: readonly PassPair[]): McNemarResult {
  let b = 0;
  let c = 0;
  for (const pr of pairs) {
    if (pr.a && !pr.b) b++;
    else if (!pr.a && pr.b) c++;
  }
  return mcnemarCounts(b, c, pairs.length);
}
