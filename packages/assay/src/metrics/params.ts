/**
 * Metric and dimension names, and the pure rules around a metrics query: interval parsing, the
 * default interval, bucket alignment and the bucket limit.
 */

/** The metrics of model calls (observations of type generation or embedding). */
export type MetricName =
  | 'requests'
  | 'errors'
  | 'error_rate'
  | 'latency_p50'
  | 'latency_p95'
  | 'latency_p99'
  | 'ttft_p50'
  | 'ttft_p95'
  | 'ttft_p99'
  | 'input_tokens'
  | 'output_tokens'
  | 'total_tokens'
  | 'cost'
  | 'cache_hit_rate';

/** Every metric a query can return: the alertable ones plus the sum of cached input tokens. */
export type QueryMetric = MetricName | 'cached_input_tokens';

export type MetricDimension = 'model' | 'route' | 'key' | 'user' | 'tag' | 'prompt' | 'environment' | 'provider' | 'type' | 'status';

/** Equality filters by dimension (tag: the row's tags contain it; prompt: `name` or `name@version`). */
export type MetricFilters = Partial<Record<MetricDimension, string>>;

export const METRIC_NAMES: readonly MetricName[] = [
  'requests',
  'errors',
  'error_rate',
  'latency_p50',
  'latency_p95',
  'latency_p99',
  'ttft_p50',
  'ttft_p95',
  'ttft_p99',
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'cost',
  'cache_hit_rate',
];

export const QUERY_METRICS: readonly QueryMetric[] = [...METRIC_NAMES, 'cached_input_tokens'];

export const METRIC_DIMENSIONS: readonly MetricDimension[] = [
  'model',
  'route',
  'key',
  'user',
  'tag',
  'prompt',
  'environment',
  'provider',
  'type',
  'status',
];

/** The observation types metrics count: model calls. */
export const MODEL_CALL_TYPES = ['generation', 'embedding'] as const;

export const MAX_BUCKETS = 2000;
export const TARGET_BUCKETS = 200;
export const MAX_GROUP_BY = 2;
/** Series beyond this many groups are summed into one `(other)` series. */
export const MAX_GROUPS = 50;
export const OTHER_GROUP = '(other)';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `1m`, `5m`, `1h`, `1d`, `30s`, `1w`, `500ms` or a plain number of milliseconds; null when not an interval. */
export function parseInterval(v: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d|w)?$/.exec(v.trim());
  if (!m) return null;
  const n = Number(m[1]) * UNIT_MS[m[2] ?? 'ms'];
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** A short label for an interval: 300000 → "5m". */
export function formatInterval(ms: number): string {
  for (const u of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[u] === 0) return `${ms / UNIT_MS[u]}${u}`;
  }
  return `${ms}ms`;
}

const NICE_INTERVALS = ['1s', '5s', '10s', '30s', '1m', '5m', '10m', '15m', '30m', '1h', '2h', '3h', '6h', '12h', '1d', '7d', '30d'].map(
  (v) => parseInterval(v)!,
);

/** Start of the bucket a time falls in: buckets are aligned to the interval from the epoch. */
export function bucketStart(t: number, intervalMs: number): number {
  return t - (((t % intervalMs) + intervalMs) % intervalMs);
}

/** How many buckets cover [from, to). */
export function bucketCount(from: number, to: number, intervalMs: number): number {
  return Math.ceil((to - bucketStart(from, intervalMs)) / intervalMs);
}

/** The smallest round interval that covers [from, to) in at most TARGET_BUCKETS buckets. */
export function defaultInterval(from: number, to: number): number {
  for (const ms of NICE_INTERVALS) if (bucketCount(from, to, ms) <= TARGET_BUCKETS) return ms;
  return Math.ceil((to - from) / (TARGET_BUCKETS - 1));
}

/** The smallest interval (in whole seconds when possible) that keeps [from, to) within MAX_BUCKETS. */
export function minimumInterval(from: number, to: number): number {
  let ms = Math.ceil((to - from) / (MAX_BUCKETS - 1));
  if (ms > 1000) ms = Math.ceil(ms / 1000) * 1000;
  while (bucketCount(from, to, ms) > MAX_BUCKETS) ms += ms >= 1000 ? 1000 : 1;
  return ms;
}

export function isPercentile(m: QueryMetric): m is `${'latency' | 'ttft'}_p${50 | 95 | 99}` {
  return /_p\d+$/.test(m);
}

/** latency_p95 → { column: 'latency_ms', p: 0.95 } */
export function percentileOf(m: QueryMetric): { column: 'latency_ms' | 'ttft_ms'; p: number } | null {
  const r = /^(latency|ttft)_p(\d+)$/.exec(m);
  if (!r) return null;
  return { column: r[1] === 'latency' ? 'latency_ms' : 'ttft_ms', p: Number(r[2]) / 100 };
}

/** `name@3` → { name, version: 3 }; `name` → { name, version: null }. */
export function parsePromptFilter(v: string): { name: string; version: number | null } {
  const m = /^(.*)@(\d+)$/.exec(v);
  return m && m[1] !== '' ? { name: m[1], version: Number(m[2]) } : { name: v, version: null };
}
