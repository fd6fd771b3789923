/** Query-string parsers shared by the /api list and metrics routes. */
import { z } from 'zod';

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
