/**
 * Writing a batch so one bad row cannot block the rest: when a write fails for a reason that lies
 * in the rows (not the database being away, nor its schema), the batch is split in halves until the rows that fail
 * alone are found; everything else is written. A transient failure (connection refused, database
 * locked or full, the writer thread gone) stops the split: the caller keeps the rows and retries.
 */

export interface Isolated<T> {
  /** Rows that failed alone, with the database's reason. */
  bad: { row: T; reason: string }[];
  /** Set when a transient failure stopped the write: nothing is lost, retry the whole batch (writes are idempotent). */
  transient: Error | null;
}

/** Writes `rows`; a failing part is split until each failing row stands alone. */
export async function writeIsolating<T>(rows: readonly T[], write: (part: readonly T[]) => Promise<void>): Promise<Isolated<T>> {
  const out: Isolated<T> = { bad: [], transient: null };
  const attempt = async (part: readonly T[]): Promise<void> => {
    if (out.transient || part.length === 0) return;
    try {
      await write(part);
      return;
    } catch (err) {
      const e = asError(err);
      if (isTransient(e)) out.transient = e;
      else if (part.length === 1) out.bad.push({ row: part[0], reason: e.message });
      else {
        const mid = part.length >> 1;
        await attempt(part.slice(0, mid));
        await attempt(part.slice(mid));
      }
    }
  };
  await attempt(rows);
  if (out.transient) out.bad = [];
  return out;
}

/** Connection and resource errors (Node, PostgreSQL SQLSTATE classes 08, 53, 57, SQLite busy/full/IO). */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  '40001', '40P01', '55P03', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_NOMEM', 'SQLITE_READONLY',
  'SQLITE_PROTOCOL', 'SQLITE_INTERRUPT',
]);
const TRANSIENT_PREFIXES = ['08', '53', '57', 'SQLITE_BUSY', 'SQLITE_IOERR'];
/** Schema errors (PostgreSQL class 42, SQLite's "no such column"): no row is to blame, every row would fail. */
const SCHEMA_PREFIXES = ['42'];
const TRANSIENT_MESSAGE =
  /connection (terminated|refused|reset|error)|timeout exceeded|database is locked|writer thread exited|connection is not open|pool (has ended|is closed)|no such (table|column)|has no column named/i;

export function isTransient(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (TRANSIENT_CODES.has(code) || [...TRANSIENT_PREFIXES, ...SCHEMA_PREFIXES].some((p) => code.startsWith(p))) return true;
  if (Array.isArray(e?.errors) && e.errors.some(isTransient)) return true; // AggregateError (IPv4 and IPv6 both refused)
  return typeof e?.message === 'string' && TRANSIENT_MESSAGE.test(e.message);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
