/**
 * Sessions (conversations): traces sharing a session id. The list groups observations by session,
 * newest activity first, with trace counts and the cost and tokens of their model calls. The
 * grouping reads every observation of the window, so it runs on the reader (db.ts `read`: off the
 * event loop on SQLite, time-limited everywhere) like the trace list.
 */
import { sql, type Kysely } from 'kysely';
import { read, type Db } from './db.js';
import type { Database } from './schema.js';
import { decodeCursor, encodeCursor, type Page } from './observations.js';

export interface SessionSummary {
  session_id: string;
  user_id: string | null;
  first_time: number;
  last_time: number;
  traces: number;
  errors: number;
  cost: number | null;
  total_tokens: number | null;
}

export interface SessionFilter {
  projectId: string;
  userId?: string;
  from?: number;
  to?: number;
}

export function listSessions(db: Db, f: SessionFilter, limit: number, cursor?: string | null): Promise<Page<SessionSummary>> {
  return read(db, (reader) => querySessions(reader, f, limit, cursor));
}

async function querySessions(db: Kysely<Database>, f: SessionFilter, limit: number, cursor?: string | null): Promise<Page<SessionSummary>> {
  const calls = sql`type in ('generation', 'embedding')`;
  let q = db
    .selectFrom('observations')
    .select([
      'session_id',
      sql<string | null>`max(user_id)`.as('user_id'),
      sql<number>`min(start_time)`.as('first_time'),
      sql<number>`max(start_time)`.as('last_time'),
      sql<number>`count(distinct trace_id)`.as('traces'),
      sql<number>`sum(case when status = 'error' then 1 else 0 end)`.as('errors'),
      sql<number | null>`sum(case when ${calls} then cost end)`.as('cost'),
      sql<number | null>`sum(case when ${calls} then total_tokens end)`.as('total_tokens'),
    ])
    .where('project_id', '=', f.projectId)
    .where('session_id', 'is not', null);
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.from !== undefined) q = q.where('start_time', '>=', f.from);
  if (f.to !== undefined) q = q.where('start_time', '<', f.to);
  let grouped = q.groupBy('session_id');
  const c = cursor ? decodeCursor(cursor) : null;
  if (c) {
    grouped = grouped.having((eb) =>
      eb.or([eb(sql`max(start_time)`, '<', c.startTime), eb.and([eb(sql`max(start_time)`, '=', c.startTime), eb('session_id', '<', c.id)])]),
    );
  }
  const rows = await grouped.orderBy(sql`max(start_time)`, 'desc').orderBy('session_id', 'desc').limit(limit + 1).execute();
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const data = rows.slice(0, limit).map((r) => ({
    session_id: r.session_id as string,
    user_id: r.user_id,
    first_time: Number(r.first_time),
    last_time: Number(r.last_time),
    traces: Number(r.traces),
    errors: Number(r.errors),
    cost: num(r.cost),
    total_tokens: num(r.total_tokens),
  }));
  const last = data[data.length - 1];
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(last.last_time, last.session_id) : null };
}
