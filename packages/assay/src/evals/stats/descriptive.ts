/**
 * Descriptive statistics for a variant's scores, cost and latency: mean, sample standard deviation,
 * percentiles and a small summary. Percentiles interpolate linearly between the closest ranks —
 * PostgreSQL's percentile_cont, R's type 7, numpy's default "linear" — the same rule as the gateway
 * metrics (../../metrics/percentiles.ts, whose rank position this reuses), so an experiment's p95
 * latency and the dashboard's agree on the same values.
 */
import { rankPosition } from '../../metrics/percentiles.js';

function checkFinite(values: readonly number[], what: string): void {
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`${what} must be finite numbers, got ${v}`);
}

/** Arithmetic mean; null for no values. */
export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Sample standard deviation (n − 1 denominator); null for fewer than 2 values. */
export function sampleSd(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  const m = mean(values) as number;
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (n - 1));
}

/** Percentile q (0..1) of values already sorted ascending (linear interpolation; null when empty). */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`percentile must be in [0, 1], got ${q}`);
  const n = sorted.length;
  if (n === 0) return null;
  const pos = rankPosition(q, n);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return lo === hi ? sorted[lo] : sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Percentile q (0..1) of the values, e.g. percentile(latencies, 0.95) for p95. Linear interpolation
 * between the closest ranks: position q·(n − 1) in the sorted values. Null for no values.
 */
export function percentile(values: readonly number[], q: number): number | null {
  checkFinite(values, 'values');
  return percentileSorted(Float64Array.from(values).sort(), q);
}

/** Count, mean, p50, p95, min and max of one variant's values (cost or latency); nulls when empty. */
export interface Summary {
  n: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  min: number | null;
  max: number | null;
}

/** Summary of the values (per-item costs or latencies of one variant). */
export function summarize(values: readonly number[]): Summary {
  checkFinite(values, 'values');
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return {
    n,
    mean: mean(values),
    p50: percentileSorted(sorted, 0.5),
    p95: percentileSorted(sorted, 0.95),
    min: n ? sorted[0] : null,
    max: n ? sorted[n - 1] : null,
  };
}
