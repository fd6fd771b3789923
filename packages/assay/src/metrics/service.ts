/**
 * Metrics of model calls: the numbers behind the dashboard (`query`: totals and bucketed series,
 * optionally grouped) and the alert rules (`scalar`: one number over a window). Rows are the
 * observations of type generation or embedding (one per gateway call or ingested model call),
 * timed by start_time, window [from, to). Definitions: docs/metrics.md.
 */
import type { Store } from '../store/index.js';
import {
  MAX_GROUPS,
  OTHER_GROUP,
  QUERY_METRICS,
  bucketStart,
  percentileOf,
  type MetricDimension,
  type MetricFilters,
  type MetricName,
  type QueryMetric,
} from './params.js';
import { collectRanks, interpolate, type RankedValues } from './percentiles.js';
import { MetricsSql, type AggregateRow, type Partitioning, type Scope } from './query.js';

export {
  METRIC_DIMENSIONS,
  METRIC_NAMES,
  QUERY_METRICS,
  type MetricDimension,
  type MetricFilters,
  type MetricName,
  type QueryMetric,
} from './params.js';

export interface MetricsQuery {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  intervalMs: number;
  /** Default: all of QUERY_METRICS. */
  metrics?: readonly QueryMetric[];
  /** At most two dimensions. */
  groupBy?: readonly MetricDimension[];
  filters?: MetricFilters;
}

/** Metric values by name: counts and sums are 0 over no calls; rates and percentiles are null. */
export type MetricValues = Partial<Record<QueryMetric, number | null>>;

export interface MetricsSeries {
  /** Dimension → value (null: calls without that dimension; `(other)`: the groups past the top 50). */
  group: Partial<Record<MetricDimension, string | null>>;
  totals: MetricValues;
  buckets: ({ start: number } & MetricValues)[];
}

export interface MetricsResult {
  from: number;
  to: number;
  interval_ms: number;
  group_by: MetricDimension[];
  metrics: QueryMetric[];
  /** Over the whole window, every call counted once (also when grouped by tag). */
  totals: MetricValues;
  series: MetricsSeries[];
  /** How many groups there were in all; past MAX_GROUPS the rest are summed in the `(other)` series. */
  groups: number;
}

type Ranks = Map<string, Map<string, RankedValues>>; // column → partition key → ranked values

const partitionKey = (bucket: number | null, groups: readonly (string | null)[]) => JSON.stringify([bucket, ...groups]);

/** Cost sums are float sums whose order differs between databases: 12 significant digits are exact enough for USD. */
const roundCost = (v: number) => (v === 0 ? 0 : Number(v.toPrecision(12)));

export class MetricsService {
  private readonly sql: MetricsSql;

  constructor(store: Pick<Store, 'db'>) {
    this.sql = new MetricsSql(store.db);
  }

  /**
   * One metric over [from, to) for the alert rules. Counts and sums (requests, errors, tokens,
   * cost) are 0 when there were no calls; rates and percentiles are null when there is nothing to
   * compute them from (no calls, no ttft samples, no cache lookups).
   */
  async scalar(projectId: string, metric: MetricName | QueryMetric, filters: MetricFilters, from: number, to: number): Promise<number | null> {
    const scope: Scope = { projectId, from, to, filters };
    const part: Partitioning = { intervalMs: null, groupBy: [], keep: null };
    const [agg] = await this.sql.aggregate(scope, part);
    const ranks = await this.ranks(scope, part, [metric]);
    return valuesOf(agg, ranks, partitionKey(null, []), [metric])[metric] ?? null;
  }

  async query(projectId: string, q: MetricsQuery): Promise<MetricsResult> {
    const metrics = [...(q.metrics ?? QUERY_METRICS)];
    const groupBy = [...(q.groupBy ?? [])];
    const scope: Scope = { projectId, from: q.from, to: q.to, filters: q.filters ?? {} };

    let keep: (string | null)[][] | null = null;
    let groupCount = 1;
    if (groupBy.length > 0) {
      const top = await this.sql.topGroups(scope, groupBy, MAX_GROUPS + 1);
      groupCount = top.length;
      if (top.length > MAX_GROUPS) {
        keep = top.slice(0, MAX_GROUPS).map((t) => t.groups);
        groupCount = await this.sql.countGroups(scope, groupBy);
      }
    }

    const seriesPart: Partitioning = { intervalMs: null, groupBy, keep };
    const bucketPart: Partitioning = { intervalMs: q.intervalMs, groupBy, keep };
    const overallPart: Partitioning = { intervalMs: null, groupBy: [], keep: null };

    const bucketAgg = await this.sql.aggregate(scope, bucketPart);
    const bucketRanks = await this.ranks(scope, bucketPart, metrics);
    const seriesAgg = groupBy.length > 0 ? await this.sql.aggregate(scope, seriesPart) : null;
    const seriesRanks = groupBy.length > 0 ? await this.ranks(scope, seriesPart, metrics) : null;
    const [overallAgg] = await this.sql.aggregate(scope, overallPart);
    const overallRanks = await this.ranks(scope, overallPart, metrics);
    const totals = valuesOf(overallAgg, overallRanks, partitionKey(null, []), metrics);

    // Every bucket start in the window, so charts are continuous.
    const starts: number[] = [];
    for (let s = bucketStart(q.from, q.intervalMs); s < q.to; s += q.intervalMs) starts.push(s);
    const bucketRows = new Map(bucketAgg.map((r) => [partitionKey(r.bucket, r.groups), r]));
    const buckets = (groups: (string | null)[]) =>
      starts.map((start) => {
        const key = partitionKey(start, groups);
        return { start, ...valuesOf(bucketRows.get(key), bucketRanks, key, metrics) };
      });
    const groupObject = (groups: (string | null)[]) =>
      Object.fromEntries(groupBy.map((d, i) => [d, groups[i]])) as MetricsSeries['group'];

    let series: MetricsSeries[];
    if (groupBy.length === 0) {
      series = [{ group: {}, totals, buckets: buckets([]) }];
    } else {
      const rows = [...seriesAgg!].sort(compareSeries);
      series = rows.map((r) => {
        const key = partitionKey(null, r.groups);
        return { group: groupObject(r.groups), totals: valuesOf(r, seriesRanks!, key, metrics), buckets: buckets(r.groups) };
      });
    }
    return { from: q.from, to: q.to, interval_ms: q.intervalMs, group_by: groupBy, metrics, totals, series, groups: groupCount };
  }

  private async ranks(scope: Scope, part: Partitioning, metrics: readonly QueryMetric[]): Promise<Ranks> {
    const byColumn = new Map<'latency_ms' | 'ttft_ms', number[]>();
    for (const m of metrics) {
      const pc = percentileOf(m);
      if (!pc) continue;
      const ps = byColumn.get(pc.column) ?? [];
      if (!ps.includes(pc.p)) ps.push(pc.p);
      byColumn.set(pc.column, ps);
    }
    const out: Ranks = new Map();
    for (const [column, ps] of byColumn) {
      const rows = await this.sql.ranks(scope, part, column, ps);
      out.set(column, collectRanks(rows.map((r) => ({ key: partitionKey(r.bucket, r.groups), rn: r.rn, n: r.n, v: r.v }))));
    }
    return out;
  }
}

/** Largest first; ties by group values (null first, then code-unit order); `(other)` last. */
function compareSeries(a: AggregateRow, b: AggregateRow): number {
  const ao = a.groups.every((g) => g === OTHER_GROUP);
  const bo = b.groups.every((g) => g === OTHER_GROUP);
  if (ao !== bo) return ao ? 1 : -1;
  if (a.requests !== b.requests) return b.requests - a.requests;
  for (let i = 0; i < a.groups.length; i++) {
    const x = a.groups[i];
    const y = b.groups[i];
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function valuesOf(agg: AggregateRow | undefined, ranks: Ranks, key: string, metrics: readonly QueryMetric[]): MetricValues {
  const out: MetricValues = {};
  const requests = agg?.requests ?? 0;
  for (const m of metrics) {
    const pc = percentileOf(m);
    if (pc) {
      out[m] = interpolate(ranks.get(pc.column)?.get(key), pc.p);
      continue;
    }
    switch (m) {
      case 'requests':
        out[m] = requests;
        break;
      case 'errors':
        out[m] = agg?.errors ?? 0;
        break;
      case 'error_rate':
        out[m] = requests > 0 ? agg!.errors / requests : null;
        break;
      case 'input_tokens':
      case 'output_tokens':
      case 'total_tokens':
      case 'cached_input_tokens':
        out[m] = agg?.[m] ?? 0;
        break;
      case 'cost':
        out[m] = roundCost(agg?.cost ?? 0);
        break;
      case 'cache_hit_rate':
        out[m] = agg && agg.cache_known > 0 ? agg.cache_hits / agg.cache_known : null;
        break;
    }
  }
  return out;
}
