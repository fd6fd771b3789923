/**
 * Percentiles that come out the same on SQLite and PostgreSQL: linear interpolation between the
 * closest ranks, as PostgreSQL's percentile_cont. The database ranks the values of each partition
 * (row_number and count over the partition) and returns only the rows next to each wanted position
 * (query.ts); the interpolation happens here. No partition's values are ever loaded whole.
 */

/** 0-based position of percentile p (0..1) among n sorted values, snapped to an integer when float error put it a hair off. */
export function rankPosition(p: number, n: number): number {
  const pos = p * (n - 1);
  const r = Math.round(pos);
  return Math.abs(pos - r) < 1e-9 ? r : pos;
}

/**
 * The SQL side keeps rows whose 0-based rank is within 1 of the position: a superset of floor and
 * ceil whatever the arithmetic (exact numeric on PostgreSQL, float on SQLite).
 */
export const RANK_WINDOW = 1;

/** Ranked values of one partition: n values in all, some of them known by 1-based rank. */
export interface RankedValues {
  n: number;
  byRank: Map<number, number>;
}

/** Linear interpolation between the closest ranks; null when there are no values or a rank is missing. */
export function interpolate(ranked: RankedValues | undefined, p: number): number | null {
  if (!ranked || ranked.n === 0) return null;
  const pos = rankPosition(p, ranked.n);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = ranked.byRank.get(lo + 1);
  const b = ranked.byRank.get(hi + 1);
  if (a === undefined || b === undefined) return null;
  return lo === hi ? a : a + (b - a) * (pos - lo);
}

/** Group rank rows ({key, rn, n, v}) by partition key. */
export function collectRanks(rows: Iterable<{ key: string; rn: number; n: number; v: number }>): Map<string, RankedValues> {
  const out = new Map<string, RankedValues>();
  for (const r of rows) {
    let e = out.get(r.key);
    if (!e) out.set(r.key, (e = { n: r.n, byRank: new Map() }));
    e.byRank.set(r.rn, r.v);
  }
  return out;
}
