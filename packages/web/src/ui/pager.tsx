/**
 * Keyset (cursor) pagination kept in the URL: `?cursor=<from the previous page>&limit=<n>`. The
 * server only gives "next" cursors, so the way back is remembered here (per tab) for every cursor
 * we followed; a page opened from a shared link offers "First page" instead.
 *
 *   const pg = useCursor();                    // pg.cursor, pg.limit for the request
 *   <Pager pg={pg} nextCursor={data.next_cursor} count={data.data.length} />
 */
import { useId } from 'react';
import { useSearchParams } from 'wouter';
import './pager.css';

/** cursor → the cursor of the page before it ('' = the first page). */
const previous = new Map<string, string>();

export const PAGE_SIZES = [25, 50, 100, 200] as const;

export interface CursorPage {
  cursor: string | null;
  limit: number;
  /** 1-based page number when known (we followed the cursors from the first page). */
  pageNo: number | null;
  next(cursor: string): void;
  prev(): void;
  first(): void;
  setLimit(n: number): void;
}

export function useCursor(defaultLimit = 50): CursorPage {
  const [params, setParams] = useSearchParams();
  const cursor = params.get('cursor') || null;
  const l = Number(params.get('limit'));
  const limit = Number.isInteger(l) && l >= 1 && l <= 500 ? l : defaultLimit;

  let pageNo: number | null = 1;
  for (let c = cursor; c; ) {
    const p = previous.get(c);
    if (p === undefined) {
      pageNo = null;
      break;
    }
    pageNo!++;
    c = p || null;
    if (pageNo! > 100_000) break;
  }

  const go = (c: string | null) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (c) next.set('cursor', c);
      else next.delete('cursor');
      return next;
    });
  return {
    cursor,
    limit,
    pageNo,
    next: (c) => {
      previous.set(c, cursor ?? '');
      go(c);
    },
    prev: () => go(cursor ? previous.get(cursor) || null : null),
    first: () => go(null),
    setLimit: (n) =>
      setParams((prev) => {
        const next = new URLSearchParams(prev);
        next.delete('cursor');
        if (n === defaultLimit) next.delete('limit');
        else next.set('limit', String(n));
        return next;
      }),
  };
}

export function Pager({ pg, nextCursor, count, what = 'rows', busy }: { pg: CursorPage; nextCursor: string | null; count: number; what?: string; busy?: boolean }) {
  const id = useId();
  const knownPrev = pg.cursor !== null && previous.has(pg.cursor);
  return (
    <nav className="pager" aria-label="Pages">
      {pg.cursor !== null && !knownPrev && (
        <button type="button" onClick={pg.first}>
          « First page
        </button>
      )}
      <button type="button" onClick={pg.prev} disabled={!knownPrev}>
        ‹ Previous
      </button>
      <span className="muted small" aria-live="polite">
        {pg.pageNo ? `Page ${pg.pageNo}` : 'Page'} · {count} {what}
        {busy ? ' · loading…' : ''}
      </span>
      <button type="button" onClick={() => nextCursor && pg.next(nextCursor)} disabled={!nextCursor}>
        Next ›
      </button>
      <label htmlFor={`${id}-size`} className="inline small muted">
        Per page
      </label>
      <select id={`${id}-size`} value={pg.limit} onChange={(e) => pg.setLimit(Number(e.target.value))}>
        {(PAGE_SIZES as readonly number[]).includes(pg.limit) ? null : <option value={pg.limit}>{pg.limit}</option>}
        {PAGE_SIZES.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </nav>
  );
}
