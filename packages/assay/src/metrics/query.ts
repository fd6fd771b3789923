/**
 * The SQL of a metrics query, one dialect-neutral shape for SQLite and PostgreSQL:
 *
 *   raw    model calls (type generation/embedding) of one project in [from, to), filtered, with
 *          their bucket start and group values (tag: one row per element of the tags array)
 *   base   raw with groups outside the top list renamed `(other)` (only when there are too many)
 *   then   either sums per partition (aggregate) or the ranked values near each percentile
 *          position per partition (ranks), a partition being (bucket?, group values…)
 *
 * The WHERE clause is project_id = ? and type in (…) and start_time range: index obs_type_time.
 * Queries run on the reader (store/db.ts `read`): off the event loop on SQLite, time-limited.
 */
import { sql, type RawBuilder } from 'kysely';
import { read, type Db } from '../store/db.js';
import { MODEL_CALL_TYPES, OTHER_GROUP, parsePromptFilter, type MetricDimension, type MetricFilters } from './params.js';
import { RANK_WINDOW } from './percentiles.js';

export interface Scope {
  projectId: string;
  from: number;
  to: number;
  filters: MetricFilters;
}

export interface Partitioning {
  /** Bucket width in ms, or null for one partition over the whole window. */
  intervalMs: number | null;
  groupBy: readonly MetricDimension[];
  /** Group value tuples kept by name; any other tuple becomes `(other)`. Null: keep all. */
  keep: readonly (readonly (string | null)[])[] | null;
}

/** Sums per partition, as numbers (null sums already 0). */
export interface AggregateRow {
  bucket: number | null;
  groups: (string | null)[];
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cached_input_tokens: number;
  cost: number;
  cache_hits: number;
  cache_known: number;
}

export interface RankRow {
  bucket: number | null;
  groups: (string | null)[];
  rn: number;
  n: number;
  v: number;
}

const COLUMN: Record<Exclude<MetricDimension, 'tag' | 'prompt'>, string> = {
  model: 'model',
  route: 'route',
  key: 'key_id',
  user: 'user_id',
  environment: 'environment',
  provider: 'provider',
  type: 'type',
  status: 'status',
};

export class MetricsSql {
  constructor(private readonly db: Db) {}

  private get pg(): boolean {
    return this.db.dialect === 'postgres';
  }

  /** The tags column when it holds a JSON array, else null (so a malformed row never fails the query). */
  private tagsArray(): RawBuilder<unknown> {
    return this.pg
      ? sql`case when jsonb_typeof(o.tags) = 'array' then o.tags end`
      : sql`case when json_valid(o.tags) then case when json_type(o.tags) = 'array' then o.tags end end`;
  }

  private dimension(d: MetricDimension): RawBuilder<unknown> {
    if (d === 'tag') return sql`t.value`;
    if (d === 'prompt') {
      return sql`case when o.prompt_version is null then o.prompt_name else o.prompt_name || '@' || cast(o.prompt_version as text) end`;
    }
    return sql.ref(`o.${COLUMN[d]}`);
  }

  private filter(d: MetricDimension, value: string): RawBuilder<unknown> {
    if (d === 'tag') {
      return this.pg
        ? sql`o.tags @> jsonb_build_array(cast(${value} as text))`
        : sql`exists (select 1 from json_each(${this.tagsArray()}) as ft where ft.value = ${value})`;
    }
    if (d === 'prompt') {
      const p = parsePromptFilter(value);
      return p.version === null
        ? sql`o.prompt_name = ${p.name}`
        : sql`(o.prompt_name = ${p.name} and o.prompt_version = ${p.version})`;
    }
    return sql`${sql.ref(`o.${COLUMN[d]}`)} = ${value}`;
  }

  /** `with raw as (…), base as (…)`: the rows a query reads. */
  private source(scope: Scope, part: Partitioning): RawBuilder<unknown> {
    const cols: RawBuilder<unknown>[] = [];
    if (part.intervalMs !== null) {
      cols.push(sql`o.start_time - o.start_time % ${sql.lit(part.intervalMs)} as bucket`);
    }
    part.groupBy.forEach((d, i) => cols.push(sql`${this.dimension(d)} as ${sql.ref(`g${i}`)}`));
    cols.push(sql`o.status, o.latency_ms, o.ttft_ms, o.input_tokens, o.output_tokens, o.total_tokens, o.cached_input_tokens, o.cost, o.cache_hit`);
    const join = !part.groupBy.includes('tag')
      ? sql``
      : this.pg
        ? sql`left join lateral jsonb_array_elements_text(${this.tagsArray()}) as t(value) on true`
        : sql`left join json_each(${this.tagsArray()}) as t on 1 = 1`;
    const where: RawBuilder<unknown>[] = [
      sql`o.project_id = ${scope.projectId}`,
      sql`o.type in (${sql.join(MODEL_CALL_TYPES.map((t) => sql.lit(t)))})`,
      sql`o.start_time >= ${scope.from}`,
      sql`o.start_time < ${scope.to}`,
    ];
    for (const [d, v] of Object.entries(scope.filters) as [MetricDimension, string | undefined][]) {
      if (v !== undefined) where.push(this.filter(d, v));
    }
    const raw = sql`select ${sql.join(cols)} from observations as o ${join} where ${sql.join(where, sql` and `)}`;
    if (!part.keep || part.groupBy.length === 0) return sql`with raw as (${raw}), base as (select * from raw)`;
    const kept = part.keep.map(
      (tuple) => sql`(${sql.join(tuple.map((v, i) => (v === null ? sql`${sql.ref(`g${i}`)} is null` : sql`${sql.ref(`g${i}`)} = ${v}`)), sql` and `)})`,
    );
    const isKept = kept.length > 0 ? sql.join(kept, sql` or `) : sql`1 = 0`;
    const mapped = part.groupBy.map((_, i) => sql`case when ${isKept} then ${sql.ref(`g${i}`)} else ${OTHER_GROUP} end as ${sql.ref(`g${i}`)}`);
    const keepCols = part.intervalMs !== null ? [sql`bucket`, ...mapped] : mapped;
    return sql`with raw as (${raw}), base as (select ${sql.join(keepCols)}, status, latency_ms, ttft_ms, input_tokens, output_tokens, total_tokens, cached_input_tokens, cost, cache_hit from raw)`;
  }

  private partitionCols(part: Partitioning): RawBuilder<unknown>[] {
    const cols: RawBuilder<unknown>[] = part.intervalMs !== null ? [sql`bucket`] : [];
    part.groupBy.forEach((_, i) => cols.push(sql.ref(`g${i}`)));
    return cols;
  }

  private readKey(r: Record<string, unknown>, part: Partitioning): { bucket: number | null; groups: (string | null)[] } {
    return {
      bucket: part.intervalMs !== null ? Number(r.bucket) : null,
      groups: part.groupBy.map((_, i) => (r[`g${i}`] === null || r[`g${i}`] === undefined ? null : String(r[`g${i}`]))),
    };
  }

  /** The group value tuples with the most calls, most first (ties by value), at most `limit`. */
  async topGroups(scope: Scope, groupBy: readonly MetricDimension[], limit: number): Promise<{ groups: (string | null)[]; requests: number }[]> {
    const part: Partitioning = { intervalMs: null, groupBy, keep: null };
    const cols = this.partitionCols(part);
    const order = groupBy.flatMap((_, i) => {
      const g = sql.ref(`g${i}`);
      return [sql`case when ${g} is null then 0 else 1 end`, this.pg ? sql`${g} collate "C"` : g];
    });
    const q = sql<Record<string, unknown>>`${this.source(scope, part)}
      select ${sql.join(cols)}, count(*) as requests from base group by ${sql.join(cols)}
      order by requests desc, ${sql.join(order)} limit ${sql.lit(limit)}`;
    const { rows } = await read(this.db, (reader) => q.execute(reader));
    return rows.map((r) => ({ groups: this.readKey(r, part).groups, requests: Number(r.requests) }));
  }

  /** How many distinct group value tuples there are. */
  async countGroups(scope: Scope, groupBy: readonly MetricDimension[]): Promise<number> {
    const part: Partitioning = { intervalMs: null, groupBy, keep: null };
    const cols = this.partitionCols(part);
    const q = sql<Record<string, unknown>>`${this.source(scope, part)}
      select count(*) as n from (select ${sql.join(cols)} from base group by ${sql.join(cols)}) as g`;
    const { rows } = await read(this.db, (reader) => q.execute(reader));
    return Number(rows[0]?.n ?? 0);
  }

  async aggregate(scope: Scope, part: Partitioning): Promise<AggregateRow[]> {
    const cols = this.partitionCols(part);
    const groupBy = cols.length > 0 ? sql`group by ${sql.join(cols)}` : sql``;
    const select = cols.length > 0 ? sql`${sql.join(cols)},` : sql``;
    const q = sql<Record<string, unknown>>`${this.source(scope, part)}
      select ${select}
        count(*) as requests,
        sum(case when status = 'error' then 1 else 0 end) as errors,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(total_tokens) as total_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        sum(cost) as cost,
        sum(case when cache_hit = 1 then 1 else 0 end) as cache_hits,
        count(cache_hit) as cache_known
      from base ${groupBy}`;
    const { rows } = await read(this.db, (reader) => q.execute(reader));
    const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
    return rows
      .filter((r) => num(r.requests) > 0) // an aggregate without GROUP BY returns one row even when empty
      .map((r) => ({
        ...this.readKey(r, part),
        requests: num(r.requests),
        errors: num(r.errors),
        input_tokens: num(r.input_tokens),
        output_tokens: num(r.output_tokens),
        total_tokens: num(r.total_tokens),
        cached_input_tokens: num(r.cached_input_tokens),
        cost: num(r.cost),
        cache_hits: num(r.cache_hits),
        cache_known: num(r.cache_known),
      }));
  }

  /** For each partition, the values of `column` ranked near each percentile position in `ps`. */
  async ranks(scope: Scope, part: Partitioning, column: 'latency_ms' | 'ttft_ms', ps: readonly number[]): Promise<RankRow[]> {
    if (ps.length === 0) return [];
    const cols = this.partitionCols(part);
    const partition = cols.length > 0 ? sql`partition by ${sql.join(cols)}` : sql``;
    const select = cols.length > 0 ? sql`${sql.join(cols)},` : sql``;
    const v = sql.ref(column);
    const near = ps.map((p) => sql`abs(rn - 1 - ${sql.lit(p)} * (n - 1)) <= ${sql.lit(RANK_WINDOW)}`);
    const q = sql<Record<string, unknown>>`${this.source(scope, part)},
      ranked as (
        select ${select} ${v} as v,
          row_number() over (${partition} order by ${v}) as rn,
          count(*) over (${partition}) as n
        from base where ${v} is not null
      )
      select * from ranked where ${sql.join(near, sql` or `)}`;
    const { rows } = await read(this.db, (reader) => q.execute(reader));
    return rows.map((r) => ({ ...this.readKey(r, part), rn: Number(r.rn), n: Number(r.n), v: Number(r.v) }));
  }
}
