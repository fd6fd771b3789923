/**
 * The trace list: root observations newest first (narrow columns, keyset cursor on start time and
 * id, an index per filter), plus per-trace totals for the page (observation count, errors, and cost
 * and tokens summed over the trace's model calls) read by primary key for just those traces.
 * Free-text search scans bodies, so without `from` it covers the last SEARCH_WINDOW_MS only, and
 * the first SEARCH_BODY_CHARS of each body; both
 * queries run on the reader (db.ts `read`: off the event loop on SQLite, time-limited everywhere).
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import type { Observation, ObservationStatus } from '../tracing/span.js';
import type { Db } from './db.js';
import { fromJson, read } from './db.js';
import { decodeCursor, encodeCursor, type Page } from './observations.js';

export interface TraceFilter {
  projectId?: string;
  model?: string;
  route?: string;
  status?: ObservationStatus;
  keyId?: string;
  userId?: string;
  sessionId?: string;
  environment?: string;
  release?: string;
  name?: string;
  /** Traces whose root has this tag. */
  tag?: string;
  /** Free text: matched against every observation's name, input, output, metadata (incl. unmapped attributes) and error. */
  text?: string;
  /** An attribute any observation of the trace carries (metadata.attributes[key] = value, or metadata[key] = value). */
  attribute?: { key: string; value: string };
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
}

const LIST_COLUMNS = [
  'trace_id', 'id', 'type', 'name', 'start_time', 'end_time', 'status', 'status_code', 'error', 'model', 'route',
  'provider', 'key_id', 'user_id', 'session_id', 'tags', 'environment', 'release', 'prompt_name', 'prompt_version',
  'input_tokens', 'output_tokens', 'total_tokens', 'cost', 'latency_ms', 'ttft_ms',
] as const;

export interface TraceTotals {
  observations: number;
  errors: number;
  /** Summed over the trace's generations and embeddings. */
  cost: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
}

/** One row of the trace list: a root observation without its bodies, and the trace's totals. */
export type TraceSummary = Pick<Observation, (typeof LIST_COLUMNS)[number]> & { totals: TraceTotals };

/** Free-text search without `from` looks this far back from `to` (or now). */
export const SEARCH_WINDOW_MS = 7 * 86_400_000;

/**
 * Free-text search matches the first this many characters of each body (input, output, metadata):
 * matching whole bodies of a megabyte each made one search of a busy window run past the read timeout.
 */
export const SEARCH_BODY_CHARS = 65_536;

/** A page of the list; `search_from`: the start of the default window a free-text search used. */
export type TraceListPage = Page<TraceSummary> & { search_from?: number };

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/**
 * A condition on observations of the same trace (any of them). The matching trace ids are found
 * once: on PostgreSQL as `= any(array(…))` (an init plan), because with the page's LIMIT the planner
 * would run `in (…)` as a nested loop that scans the observations again for every root row, which
 * made a search without matches quadratic (1,200 rows: past the 15 s read timeout; now 0.3 s).
 */
function anyObservation(db: Db, projectId: string, cond: Expression<SqlBool>) {
  const matching = sql`select o2.trace_id from observations o2 where o2.project_id = ${projectId} and ${cond}`;
  if (db.dialect === 'postgres') return sql<SqlBool>`trace_id = any(array(${matching}))`;
  return sql<SqlBool>`trace_id in (${matching})`;
}

/** `from`: a trace's observations start no earlier than its root, so older ones need not be scanned. */
function textCondition(db: Db, text: string, from: number | undefined): Expression<SqlBool> {
  const p = likePattern(text);
  const since = from === undefined ? sql<SqlBool>`true` : sql<SqlBool>`o2.start_time >= ${from}`;
  return sql<SqlBool>`(${since} and ${bodyMatch(db, text, p)})`;
}

function bodyMatch(db: Db, text: string, p: string): Expression<SqlBool> {
  if (db.dialect === 'postgres') {
    const body = (col: string) => sql`left(${sql.ref(`o2.${col}`)}::text, ${sql.lit(SEARCH_BODY_CHARS)})`;
    return sql<SqlBool>`(o2.trace_id = ${text} or o2.name ilike ${p} escape '\\' or o2.error ilike ${p} escape '\\' or ${body('input')} ilike ${p} escape '\\' or ${body('output')} ilike ${p} escape '\\' or ${body('metadata')} ilike ${p} escape '\\')`;
  }
  const body = (col: string) => sql`substr(${sql.ref(`o2.${col}`)}, 1, ${sql.lit(SEARCH_BODY_CHARS)})`;
  return sql<SqlBool>`(o2.trace_id = ${text} or o2.name like ${p} escape '\\' or o2.error like ${p} escape '\\' or ${body('input')} like ${p} escape '\\' or ${body('output')} like ${p} escape '\\' or ${body('metadata')} like ${p} escape '\\')`;
}

function attributeCondition(db: Db, key: string, value: string): Expression<SqlBool> {
  if (db.dialect === 'postgres') {
    return sql<SqlBool>`(o2.metadata->'attributes'->>${key} = ${value} or o2.metadata->>${key} = ${value})`;
  }
  const inAttrs = `$.attributes."${key.replace(/"/g, '""')}"`;
  const top = `$."${key.replace(/"/g, '""')}"`;
  return sql<SqlBool>`(json_valid(o2.metadata) and (cast(json_extract(o2.metadata, ${inAttrs}) as text) = ${value} or cast(json_extract(o2.metadata, ${top}) as text) = ${value}))`;
}

function tagCondition(db: Db, tag: string): Expression<SqlBool> {
  if (db.dialect === 'postgres') return sql<SqlBool>`tags @> ${JSON.stringify([tag])}::jsonb`;
  return sql<SqlBool>`exists (select 1 from json_each(observations.tags) where json_each.value = ${tag})`;
}

export async function listTraces(db: Db, given: TraceFilter, limit: number, cursor?: string | null): Promise<TraceListPage> {
  const searchFrom = given.text && given.from === undefined ? (given.to ?? Date.now()) - SEARCH_WINDOW_MS : undefined;
  const filter = searchFrom === undefined ? given : { ...given, from: searchFrom };
  const projectId = filter.projectId ?? 'default';
  let q = db.kysely.selectFrom('observations').select(LIST_COLUMNS).where('parent_id', 'is', null).where('project_id', '=', projectId);
  const eq = [
    ['model', filter.model],
    ['route', filter.route],
    ['status', filter.status],
    ['key_id', filter.keyId],
    ['user_id', filter.userId],
    ['session_id', filter.sessionId],
    ['environment', filter.environment],
    ['release', filter.release],
    ['name', filter.name],
  ] as const;
  for (const [col, v] of eq) if (v !== undefined) q = q.where(col, '=', v);
  if (filter.from !== undefined) q = q.where('start_time', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('start_time', '<', filter.to);
  if (filter.tag !== undefined) q = q.where(tagCondition(db, filter.tag));
  if (filter.text) q = q.where(anyObservation(db, projectId, textCondition(db, filter.text, filter.from)));
  if (filter.attribute) q = q.where(anyObservation(db, projectId, attributeCondition(db, filter.attribute.key, filter.attribute.value)));
  const c = cursor ? decodeCursor(cursor) : null;
  if (c) {
    // A row-value comparison is an index range condition on both databases (an OR would be a filter).
    q = q.where((eb) => eb(eb.refTuple('start_time', 'id'), '<', eb.tuple(c.startTime, c.id)));
  }
  const listed = q.orderBy('start_time', 'desc').orderBy('id', 'desc').limit(limit + 1).compile();
  const { rows } = await read(db, (reader) => reader.executeQuery(listed));
  const page = rows.slice(0, limit);
  const totals = await traceTotals(db, projectId, page.map((r) => r.trace_id));
  const data = page.map(
    (r) =>
      ({
        ...r,
        tags: fromJson<string[]>(db.dialect, r.tags) ?? [],
        totals: totals.get(r.trace_id) ?? { observations: 1, errors: 0, cost: null, input_tokens: null, output_tokens: null, total_tokens: null },
      }) as TraceSummary,
  );
  const last = data[data.length - 1];
  const next_cursor = rows.length > limit && last ? encodeCursor(last.start_time, last.id) : null;
  return searchFrom === undefined ? { data, next_cursor } : { data, next_cursor, search_from: searchFrom };
}

async function traceTotals(db: Db, projectId: string, traceIds: string[]): Promise<Map<string, TraceTotals>> {
  if (traceIds.length === 0) return new Map();
  const calls = sql`type in ('generation', 'embedding')`;
  const totals = db.kysely
    .selectFrom('observations')
    .select([
      'trace_id',
      sql<number>`count(*)`.as('observations'),
      sql<number>`sum(case when status = 'error' then 1 else 0 end)`.as('errors'),
      sql<number | null>`sum(case when ${calls} then cost end)`.as('cost'),
      sql<number | null>`sum(case when ${calls} then input_tokens end)`.as('input_tokens'),
      sql<number | null>`sum(case when ${calls} then output_tokens end)`.as('output_tokens'),
      sql<number | null>`sum(case when ${calls} then total_tokens end)`.as('total_tokens'),
    ])
    // `+project_id` keeps SQLite on the primary key (trace_id, id) instead of a project index.
    .where(sql<SqlBool>`${sql.raw(db.dialect === 'sqlite' ? '+project_id' : 'project_id')} = ${projectId}`)
    .where('trace_id', 'in', [...new Set(traceIds)])
    .groupBy('trace_id')
    .compile();
  const { rows } = await read(db, (reader) => reader.executeQuery(totals));
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return new Map(
    rows.map((r) => [
      r.trace_id,
      {
        observations: Number(r.observations),
        errors: Number(r.errors),
        cost: num(r.cost),
        input_tokens: num(r.input_tokens),
        output_tokens: num(r.output_tokens),
        total_tokens: num(r.total_tokens),
      },
    ]),
  );
}
