/** Query-string parsers shared by the /api list and metrics routes. */
import { z } from 'zod';
import { badRequest } from '../errors.js';

/** The largest time a Date holds (year 275760); beyond it a number is no time, and overflows a bigint column. */
const MAX_TIME_MS = 8.64e15;

/** A time as epoch milliseconds or an ISO 8601 date. */
export const timeParam = z.string().transform((v, ctx) => {
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n) || n > MAX_TIME_MS) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a time: use epoch milliseconds or ISO 8601 (2026-01-31T12:00:00Z)` });
    return z.NEVER;
  }
  return n;
});

/** `limit` and `cursor` of a cursor-paginated list. */
export const pageParams = {
  limit: z.coerce.number({ message: 'limit must be a number' }).int().min(1).max(500).default(50),
  cursor: z.string().optional(),
};

/**
 * `limit` and `cursor` of a list of things people configure (keys, channels, budgets …): short
 * lists, so the default page is the largest, and one page is all of them in practice.
 */
export const catalogParams = {
  limit: z.coerce.number({ message: 'limit must be a number' }).int().min(1).max(500).default(500),
  cursor: z.string().optional(),
};

/** One page of a list held in memory, in a stable order; the cursor names the last row shown. */
export function pageOf<T>(rows: readonly T[], q: { limit: number; cursor?: string }, keyOf: (row: T) => string): { data: T[]; next_cursor: string | null } {
  let start = 0;
  if (q.cursor) {
    const after = Buffer.from(q.cursor, 'base64url').toString('utf8');
    const i = rows.findIndex((r) => keyOf(r) === after);
    if (i < 0) throw badRequest('cursor is not from this list (or its row was deleted): start again without cursor', 'cursor', 'invalid_cursor');
    start = i + 1;
  }
  const data = rows.slice(start, start + q.limit);
  const more = start + q.limit < rows.length && data.length > 0;
  return { data, next_cursor: more ? Buffer.from(keyOf(data[data.length - 1])).toString('base64url') : null };
}
