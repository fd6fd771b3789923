/**
 * Repository for observations: append-only inserts in batches, the narrow trace list, and the
 * full trace for the detail view.
 */
import type { Observation } from '../tracing/span.js';
import type { Db } from './db.js';
import { fromJson } from './db.js';
import { CompiledQuery, type Kysely } from 'kysely';
import { OBSERVATION_COLUMNS, encodeObservation, postgresBatchInsert, postgresBatchJson } from './observation-row.js';
import type { Database } from './schema.js';
import type { SqliteWriter } from './sqlite-writer.js';
import { listTraces, type TraceFilter, type TraceSummary } from './trace-list.js';

export type { TraceFilter, TraceSummary };

export type ConflictMode = 'ignore' | 'replace';

/** On `replace`, every column but the key is taken from the new row. */
const UPDATE_COLUMNS = OBSERVATION_COLUMNS.filter((c) => c !== 'trace_id' && c !== 'id');

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

const JSON_FIELDS = ['tags', 'usage', 'cost_details', 'input', 'output', 'metadata'] as const;

/** Rows per INSERT statement on SQLite (39 columns × 200 parameters), and per lookup in getMany. */
const INSERT_CHUNK = 200;
/** Rows per JSON document on PostgreSQL. */
const PG_JSON_CHUNK = 2_000;

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
    if (this.db.dialect === 'postgres') return this.insertPostgres(rows, onConflict);
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

  /**
   * PostgreSQL: the batch as one JSON parameter expanded by jsonb_to_recordset — one short statement
   * instead of thousands of bind parameters (about 30% faster, and a far lower tail).
   */
  private async insertPostgres(rows: readonly Observation[], onConflict: ConflictMode): Promise<void> {
    const text = postgresBatchInsert(onConflict);
    const run = (db: Kysely<Database>, part: readonly Observation[]) => db.executeQuery(CompiledQuery.raw(text, [postgresBatchJson(part)]));
    if (rows.length <= PG_JSON_CHUNK) {
      await run(this.db.kysely, rows);
      return;
    }
    await this.db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += PG_JSON_CHUNK) await run(trx, rows.slice(i, i + PG_JSON_CHUNK));
    });
  }

  /** The stored observations with these (trace, id) pairs, for merging updates at ingest. */
  async getMany(projectId: string, refs: readonly { trace_id: string; id: string }[]): Promise<Observation[]> {
    if (refs.length === 0) return [];
    const out: Observation[] = [];
    for (let i = 0; i < refs.length; i += INSERT_CHUNK) {
      const part = refs.slice(i, i + INSERT_CHUNK);
      const rows = await this.byKeys(part).selectAll().execute();
      out.push(...rows.filter(matching(projectId, part)).map((r) => this.decode(r)));
    }
    return out;
  }

  /** Who wrote the stored rows with these (trace, id) pairs: the ownership check of every ingest batch. */
  async writers(projectId: string, refs: readonly { trace_id: string; id: string }[]): Promise<Pick<Observation, 'trace_id' | 'id' | 'key_id' | 'origin'>[]> {
    const out: Pick<Observation, 'trace_id' | 'id' | 'key_id' | 'origin'>[] = [];
    for (let i = 0; i < refs.length; i += 500) {
      const part = refs.slice(i, i + 500);
      const rows = await this.byKeys(part).select(['trace_id', 'id', 'key_id', 'origin', 'project_id']).execute();
      for (const { project_id: _, ...r } of rows.filter(matching(projectId, part))) out.push({ ...r, origin: r.origin as Observation['origin'] });
    }
    return out;
  }

  /**
   * Rows with any of these trace ids and any of these ids: two IN lists on the (trace_id, id) key
   * (an OR of pairs scanned: 0.7 s for 500 refs). The project is checked by `matching`, not in SQL:
   * with `project_id = ?` SQLite chose the (project_id, type, start_time) index and read every row
   * of the project, so each Langfuse batch got slower as the store grew (soak: 8 → 155 ms in 30 min).
   */
  private byKeys(refs: readonly { trace_id: string; id: string }[]) {
    return this.db.kysely
      .selectFrom('observations')
      .where('trace_id', 'in', [...new Set(refs.map((r) => r.trace_id))])
      .where('id', 'in', [...new Set(refs.map((r) => r.id))]);
  }

  private decode(r: Record<string, unknown>): Observation {
    const o = { ...r };
    for (const f of JSON_FIELDS) o[f] = fromJson(this.db.dialect, r[f]);
    o.tags ??= [];
    return o as unknown as Observation;
  }

  /** Root observations (one per gateway call or ingested trace root), newest first, with trace totals. */
  listTraces(filter: TraceFilter, limit: number, cursor?: string | null): Promise<Page<TraceSummary>> {
    return listTraces(this.db, filter, limit, cursor);
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

/** Whether a row fetched by `byKeys` is one of the wanted (trace, id) pairs of the project. */
function matching(projectId: string, refs: readonly { trace_id: string; id: string }[]) {
  const wanted = new Set(refs.map((r) => `${r.trace_id}\u0000${r.id}`));
  return (r: { project_id: string; trace_id: string; id: string }) => r.project_id === projectId && wanted.has(`${r.trace_id}\u0000${r.id}`);
}
