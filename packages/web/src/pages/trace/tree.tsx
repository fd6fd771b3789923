/** The observation tree of a trace with its timeline bars, and the badges rows use. */
import { useRef, type KeyboardEvent } from 'react';
import { fmtMs } from '../../ui/format';
import { type Observation } from '../../ui/trace';

type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface TreeRow {
  o: Observation;
  depth: number;
}

/** Depth-first rows of the observation tree, children in start order; orphans become roots. */
export function treeRows(obs: Observation[]): TreeRow[] {
  const ids = new Set(obs.map((o) => o.id));
  const children = new Map<string | null, Observation[]>();
  for (const o of obs) {
    const p = o.parent_id && ids.has(o.parent_id) && o.parent_id !== o.id ? o.parent_id : null;
    const list = children.get(p) ?? [];
    list.push(o);
    children.set(p, list);
  }
  const rows: TreeRow[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number) => {
    for (const o of children.get(parent) ?? []) {
      if (seen.has(o.id)) continue;
      seen.add(o.id);
      rows.push({ o, depth });
      walk(o.id, depth + 1);
    }
  };
  walk(null, 0);
  for (const o of obs) if (!seen.has(o.id)) rows.push({ o, depth: 0 }); // cycles
  return rows;
}

export function StatusBadge({ o }: { o: Observation }) {
  if (o.status === 'error') {
    return (
      <span className="badge error" title={o.error ?? undefined}>
        error{o.status_code ? ` ${o.status_code}` : ''}
      </span>
    );
  }
  if (o.level === 'WARNING') return <span className="badge warn">warning</span>;
  return <span className="badge ok">ok</span>;
}

export function TypeBadge({ type }: { type: string }) {
  return <span className={`type-badge type-${type}`}>{type}</span>;
}

/** The tree with a time bar per observation (relative to the trace start). ↑/↓ move the selection. */
export function Waterfall({ rows, t0, t1, selected, onSelect }: { rows: TreeRow[]; t0: number; t1: number; selected: string; onSelect: (id: string) => void }) {
  const list = useRef<HTMLUListElement>(null);
  const span = Math.max(t1 - t0, 1);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End') return;
    const i = rows.findIndex((r) => r.o.id === selected);
    const j = e.key === 'Home' ? 0 : e.key === 'End' ? rows.length - 1 : Math.min(rows.length - 1, Math.max(0, i + (e.key === 'ArrowDown' ? 1 : -1)));
    e.preventDefault();
    onSelect(rows[j].o.id);
    list.current?.querySelectorAll<HTMLButtonElement>('button.wf-row')[j]?.focus();
  };
  return (
    <div className="waterfall">
      <p className="sr-only">Use the arrow keys to move between observations.</p>
      <div className="wf-scale muted small" aria-hidden="true">
        <span>0</span>
        <span>{fmtMs(span / 2)}</span>
        <span>{fmtMs(span)}</span>
      </div>
      <ul ref={list} onKeyDown={onKeyDown} aria-label="Observation tree">
        {rows.map(({ o, depth }) => {
          const start = o.start_time - t0;
          const dur = (o.end_time ?? o.start_time) - o.start_time;
          const left = (start / span) * 100;
          const width = Math.max((dur / span) * 100, 0.6);
          return (
            <li key={o.id}>
              <button
                type="button"
                className={`wf-row${o.status === 'error' ? ' wf-error' : ''}`}
                aria-current={o.id === selected ? 'true' : undefined}
                tabIndex={o.id === selected ? 0 : -1}
                onClick={() => onSelect(o.id)}
                title={`${o.name} · starts at +${fmtMs(start)} · ${fmtMs(o.latency_ms ?? dur)}`}
              >
                <span className="wf-name" style={{ paddingLeft: depth * 14 }}>
                  <TypeBadge type={o.type} />
                  <span className="wf-label">{o.name || o.type}</span>
                  {o.status === 'error' && <span className="badge error">error</span>}
                </span>
                <span className="wf-track" aria-hidden="true">
                  <span className={`wf-bar type-${o.type}`} style={{ left: `${Math.min(left, 99.4)}%`, width: `${Math.min(width, 100 - Math.min(left, 99.4))}%` }} />
                </span>
                <span className="wf-ms muted small">{fmtMs(o.latency_ms ?? (o.end_time !== null ? dur : null))}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
