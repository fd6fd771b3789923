/**
 * Repository for observations: append-only inserts in batches, the narrow trace list, and the
 * full trace for the detail view.
 */
import type { Observation, ObservationStatus } from '../tracing/span.js';
import type { Db } from './db.js';
import { fromJson } from './db.js';
import { OBSERVATION_COLUMNS, encodeObservation } from './observation-row.js';
import type { SqliteWriter } from './sqlite-writer.js';

export interface TraceFilter {
  projectId?: string;
  model?: string;
  route?: string;
  status?: ObservationStatus;
  keyId?: string;
  userId?: string;
  sessionId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
}

export type ConflictMode = 'ignore' | 'replace';

/** On `replace`, every column but the key is taken from the new row. */
const UPDATE_COLUMNS = OBSERVATION_COLUMNS.filter((c) => c !== 'trace_id' && c !== 'id');

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

const LIST_COLUMNS = [
  'trace_id', 'id', 'type', 'name', 'start_time', 'end_time', 'status', 'status_code', 'error', 'model', 'route',
  'provider', 'key_id', 'user_id', 'session_id', 'tags', 'input_tokens', 'output_tokens', 'total_tokens', 'cost',
  'latency_ms', 'ttft_ms',
] as const;

/** One row of the trace list: a root observation without its bodies. */
export type TraceSummary = Pick<Observation, (typeof LIST_COLUMNS)[number]>;

const JSON_FIELDS = ['tags', 'usage', 'cost_details', 'input', 'output', 'metadata'] as const;

/** Rows per INSERT statement: 39 columns × 200 stays far below PostgreSQL's parameter limit. */
const INSERT_CHUNK = 200;

export function encodeCursor(startTime: number, id: string): string {
  return Buffer.from(`${startTime}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { startTime: number; id: string } | null {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  const i = raw.indexOf(':');
  if (i <= 0) return null;
  const startTime = Number(raw.slice(0, i));
  if (!Number.isSafeInteger(startTime)) return null;
  return { startTime, id: raw.slice(i + 1) };
}

export class ObservationsRepo {
  constructor(
    private readonly db: Db,
    private readonly writer: SqliteWriter | null = null,
  ) {}

  /**
   * Insert observations in one transaction. On a row already present (same trace and id), `ignore`
   * keeps the stored row (an exporter resending a batch), `replace` writes the given row instead
   * (an ingest that merged an update into the stored row: see tracing/ingest). On SQLite a file
   * database is written from a worker thread (sqlite-writer.ts), so the commit never blocks the
   * event loop.
   */
  async insertMany(rows: readonly Observation[], onConflict: ConflictMode = 'ignore'): Promise<void> {
    if (rows.length === 0) return;
    if (this.writer) return this.writer.write(rows, onConflict);
    await this.db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('observations')
          .values(rows.slice(i, i + INSERT_CHUNK).map(encodeObservation))
          .onConflict((oc) => {
            const target = oc.columns(['trace_id', 'id']);
            if (onConflict === 'ignore') return target.doNothing();
            return target.doUpdateSet((eb) =>
              Object.fromEntries(UPDATE_COLUMNS.map((col) => [col, eb.ref(`excluded.${col}`)])) as never,
            );
          })
          .execute();
      }
    });
  }

  /** The stored observations with these (trace, id) pairs, for merging updates at ingest. */
  async getMany(projectId: string, refs: readonly { trace_id: string; id: string }[]): Promise<Observation[]> {
    if (refs.length === 0) return [];
    const out: Observation[] = [];
    for (let i = 0; i < refs.length; i += INSERT_CHUNK) {
      const part = refs.slice(i, i + INSERT_CHUNK);
      const rows = await this.db.kysely
        .selectFrom('observations')
        .selectAll()
        .where('project_id', '=', projectId)
        .where((eb) => eb.or(part.map((r) => eb.and([eb('trace_id', '=', r.trace_id), eb('id', '=', r.id)]))))
        .execute();
      out.push(...rows.map((r) => this.decode(r)));
    }
    return out;
  }

  private decode(r: Record<string, unknown>): Observation {
    const o = { ...r };
    for (const f of JSON_FIELDS) o[f] = fromJson(this.db.dialect, r[f]);
    o.tags ??= [];
    return o as unknown as Observation;
  }

  /** Root observations (one per gateway call or ingested trace root), newest first, cursor-paginated. */
  async listTraces(filter: TraceFilter, limit: number, cursor?: string | null): Promise<Page<TraceSummary>> {
    let q = this.db.kysely
      .selectFrom('observations')
      .select(LIST_COLUMNS)
      .where('parent_id', 'is', null)
      .where('project_id', '=', filter.projectId ?? 'default');
    if (filter.model !== undefined) q = q.where('model', '=', filter.model);
    if (filter.route !== undefined) q = q.where('route', '=', filter.route);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.keyId !== undefined) q = q.where('key_id', '=', filter.keyId);
    if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
    if (filter.sessionId !== undefined) q = q.where('session_id', '=', filter.sessionId);
    if (filter.from !== undefined) q = q.where('start_time', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('start_time', '<', filter.to);
    const c = cursor ? decodeCursor(cursor) : null;
    if (c) {
      q = q.where((eb) =>
        eb.or([eb('start_time', '<', c.startTime), eb.and([eb('start_time', '=', c.startTime), eb('id', '<', c.id)])]),
      );
    }
    const rows = await q.orderBy('start_time', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const more = rows.length > limit;
    const data = rows.slice(0, limit).map((r) => ({ ...r, tags: fromJson<string[]>(this.db.dialect, r.tags) ?? [] }) as TraceSummary);
    const last = data[data.length - 1];
    return { data, next_cursor: more && last ? encodeCursor(last.start_time, last.id) : null };
  }

  /** Every observation of a trace, in start order (bodies included). */
  async getTrace(traceId: string, projectId = 'default'): Promise<Observation[]> {
    const rows = await this.db.kysely
      .selectFrom('observations')
      .selectAll()
      .where('trace_id', '=', traceId)
      .where('project_id', '=', projectId)
      .orderBy('start_time')
      .orderBy('id')
      .execute();
    return rows.map((r) => this.decode(r));
  }
}
