/**
 * Dead letters: trace rows (observations, scores) that the database refused even alone, after their
 * batch was split (tracing/isolate.ts). Each is kept with its ids, where it came from, the reason
 * and the row itself as JSON text, cleaned and cut hard enough that storing it cannot fail the same
 * way; the rest of the batch is written. Listed newest first at GET /api/trace-dead-letters.
 */
import type { Db } from '../store/db.js';
import { decodeCursor, encodeCursor, type Page } from '../store/observations.js';
import { newTraceId } from './ids.js';
import { Sanitizer } from './sanitize.js';

export type TraceSource = 'gateway' | 'otlp' | 'langfuse' | 'ingest';

export interface NewDeadLetter {
  project_id: string;
  kind: 'observation' | 'score';
  source: TraceSource;
  trace_id: string | null;
  row_id: string | null;
  reason: string;
  /** The row as it was refused. */
  row: object;
}

export interface DeadLetter extends Omit<NewDeadLetter, 'row'> {
  id: string;
  /** The row as JSON, cut; null when it could not be stored. */
  payload: unknown;
  created_at: number;
}

/** Payloads are kept small: enough to see what the row was. */
const payloadSanitizer = new Sanitizer({ maxDepth: 16, maxStringLength: 4_000, maxValueBytes: 64_000 });
const REASON_MAX = 2_000;
const cleanText = (s: string | null, max: number): string | null => (s === null ? null : (payloadSanitizer.value(s.slice(0, max)).value as string));

export class DeadLetterRepo {
  constructor(private readonly db: Db) {}

  /** Stores the rows; one that cannot be stored with its payload is stored without it. */
  async add(letters: readonly NewDeadLetter[]): Promise<void> {
    const now = Date.now();
    for (const l of letters) {
      const base = {
        id: newTraceId(),
        project_id: cleanText(l.project_id, 200) ?? 'default',
        kind: l.kind,
        source: l.source,
        trace_id: cleanText(l.trace_id, 200),
        row_id: cleanText(l.row_id, 200),
        reason: cleanText(l.reason, REASON_MAX) ?? '',
        created_at: now,
      };
      try {
        await this.db.kysely.insertInto('trace_dead_letters').values({ ...base, payload: payloadText(l.row) }).execute();
      } catch {
        await this.db.kysely.insertInto('trace_dead_letters').values({ ...base, payload: null }).execute();
      }
    }
  }

  /** Newest first, cursor-paginated. */
  async list(projectId: string, limit: number, cursor?: string | null): Promise<Page<DeadLetter>> {
    const c = cursor ? decodeCursor(cursor) : null;
    let q = this.db.kysely.selectFrom('trace_dead_letters').selectAll().where('project_id', '=', projectId);
    if (c) q = q.where((eb) => eb.or([eb('created_at', '<', c.startTime), eb.and([eb('created_at', '=', c.startTime), eb('id', '<', c.id)])]));
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: page.map((r) => ({ ...r, created_at: Number(r.created_at), kind: r.kind as DeadLetter['kind'], source: r.source as TraceSource, payload: parsePayload(r.payload) })),
      next_cursor: rows.length > limit && last ? encodeCursor(Number(last.created_at), last.id) : null,
    };
  }
}

function payloadText(row: object): string | null {
  try {
    return JSON.stringify(payloadSanitizer.value({ ...row }).value);
  } catch {
    return null;
  }
}

function parsePayload(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
