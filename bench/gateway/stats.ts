/** Small statistics helpers for the gateway benchmark. */

/** Percentile (0–100) with linear interpolation between closest ranks; NaN for no samples. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (n === 1) return sorted[0];
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function sortedCopy(xs: readonly number[]): Float64Array {
  return Float64Array.from(xs).sort();
}

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x));
  return percentile(sortedCopy(v), 50);
}

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  mean: number;
}

export function summarize(xs: readonly number[]): Summary {
  const s = sortedCopy(xs);
  let sum = 0;
  for (const x of s) sum += x;
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p95: percentile(s, 95), p99: percentile(s, 99), mean: s.length ? sum / s.length : NaN };
}

/** Median, min and max of per-round values (the spread shows how noisy the rounds were). */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: readonly number[]): Spread {
  const v = xs.filter((x) => Number.isFinite(x));
  if (!v.length) return { median: NaN, min: NaN, max: NaN };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v) };
}
