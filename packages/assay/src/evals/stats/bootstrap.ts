/**
 * Bootstrap intervals (reference §7): the mean score of one variant, and the paired difference of
 * two variants' scores on the same items. Resamples draw whole items with replacement from a seeded
 * generator (./random.ts), so the same seed gives the same interval; the interval is the percentiles
 * (1−level)/2 and (1+level)/2 of the resampled statistic (linear interpolation, ./descriptive.ts).
 */
import { mean, percentileSorted, sampleSd } from './descriptive.js';
import { DEFAULT_SEED, rng } from './random.js';

export interface BootstrapOptions {
  /** Number of resamples B (default 10,000; use at least 2,000). */
  resamples?: number;
  /** Seed of the generator (default DEFAULT_SEED): a number or a string such as an experiment id. */
  seed?: number | string;
  /** Confidence level of the interval (default 0.95). */
  level?: number;
}

function resolve(opts: BootstrapOptions): { resamples: number; seed: number | string; level: number } {
  const resamples = opts.resamples ?? 10_000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  return { resamples, seed: opts.seed ?? DEFAULT_SEED, level };
}

function checkFinite(v: number): number {
  if (!Number.isFinite(v)) throw new RangeError(`scores must be finite numbers, got ${v}`);
  return v;
}

/** A mean with its bootstrap interval; null when there is nothing to average. */
export interface MeanInterval {
  mean: number | null;
  low: number | null;
  high: number | null;
  /** Items resampled (groups, when repeats are grouped). */
  n: number;
}

function interval(stats: Float64Array, level: number): { low: number; high: number } {
  stats.sort();
  return { low: percentileSorted(stats, (1 - level) / 2) as number, high: percentileSorted(stats, (1 + level) / 2) as number };
}

/**
 * Mean score with a bootstrap interval. `values` is one score per item, or one array per item
 * holding that item's repeats: groups are resampled whole so repeats stay together, and the mean is
 * taken over all scores in the resample (items with more repeats weigh more; with equal repeats this
 * is the mean of the item means). Empty groups are ignored.
 */
export function bootstrapMean(values: readonly number[] | readonly (readonly number[])[], opts: BootstrapOptions = {}): MeanInterval {
  const { resamples, seed, level } = resolve(opts);
  const sums: number[] = [];
  const counts: number[] = [];
  for (const v of values as readonly (number | readonly number[])[]) {
    if (typeof v === 'number') {
      sums.push(checkFinite(v));
      counts.push(1);
    } else if (v.length > 0) {
      let s = 0;
      for (const x of v) s += checkFinite(x);
      sums.push(s);
      counts.push(v.length);
    }
  }
  const k = sums.length;
  if (k === 0) return { mean: null, low: null, high: null, n: 0 };
  let total = 0;
  let count = 0;
  for (let j = 0; j < k; j++) {
    total += sums[j];
    count += counts[j];
  }
  const rand = rng(seed);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    let cnt = 0;
    for (let j = 0; j < k; j++) {
      const idx = Math.floor(rand() * k);
      s += sums[idx];
      cnt += counts[idx];
    }
    stats[r] = s / cnt;
  }
  return { mean: total / count, ...interval(stats, level), n: k };
}

/** The paired comparison of scores B − A on the shared items. */
export interface PairedBootstrapResult {
  /** Shared items. */
  n: number;
  /** Mean of dᵢ = bᵢ − aᵢ: positive means B scored higher. */
  mean_diff: number | null;
  low: number | null;
  high: number | null;
  /** Two-sided p = min(1, 2·min(P(mean d* ≤ 0), P(mean d* ≥ 0))); 0 means below 1/resamples. */
  p: number | null;
  /** Cohen's dz = mean_diff / sd(d) (sample sd); null when n < 2 or every difference is the same. */
  effect_size: number | null;
}

/**
 * Paired bootstrap of the mean difference B − A: a[i] and b[i] are the two variants' scores on the
 * same item i (average repeats per item first). Indices are resampled with replacement, the same
 * for both variants.
 */
export function pairedBootstrap(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): PairedBootstrapResult {
  const { resamples, seed, level } = resolve(opts);
  if (a.length !== b.length) throw new RangeError(`paired scores need the same items: ${a.length} vs ${b.length}`);
  const n = a.length;
  if (n === 0) return { n: 0, mean_diff: null, low: null, high: null, p: null, effect_size: null };
  const d = new Array<number>(n);
  for (let i = 0; i < n; i++) d[i] = checkFinite(b[i]) - checkFinite(a[i]);
  const meanDiff = mean(d) as number;
  const sd = sampleSd(d);
  const rand = rng(seed);
  const stats = new Float64Array(resamples);
  let atMost0 = 0;
  let atLeast0 = 0;
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += d[Math.floor(rand() * n)];
    const m = s / n;
    stats[r] = m;
    if (m <= 0) atMost0++;
    if (m >= 0) atLeast0++;
  }
  const p = Math.min(1, (2 * Math.min(atMost0, atLeast0)) / resamples);
  // Differences that are all equal up to rounding have no spread: no finite effect size.
  let maxAbs = 0;
  for (const x of d) maxAbs = Math.max(maxAbs, Math.abs(x));
  const spread = sd !== null && sd > 1e-12 * maxAbs;
  return {
    n,
    mean_diff: meanDiff,
    ...interval(stats, level),
    p,
    effect_size: spread ? meanDiff / (sd as number) : null,
  };
}
