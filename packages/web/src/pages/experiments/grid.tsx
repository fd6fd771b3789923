/**
 * The items × variants grid: one row per item, one cell per variant holding its runs (output
 * truncated, expandable to every run with assertion reasons, errors and a trace link), coloured by
 * pass (all runs), fail (none) or mixed. Filters: failed only, changed between variants, text.
 */
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { EmptyState } from '../../ui/feedback';
import { fmtCost, fmtMs } from '../../ui/format';
import { num, type Experiment, type InlineItem, type Result } from './types';

type CellState = 'pass' | 'fail' | 'mixed';

interface Row {
  item: string;
  input: string;
  cells: Map<string, Result[]>;
  states: Map<string, CellState>;
}

function stateOf(runs: Result[]): CellState {
  const passed = runs.filter((r) => r.pass).length;
  return passed === runs.length ? 'pass' : passed === 0 ? 'fail' : 'mixed';
}

function itemInput(it: InlineItem | undefined): string {
  if (!it) return '';
  if (it.vars) return Object.entries(it.vars).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
  const last = it.messages?.[it.messages.length - 1];
  return last ? `${last.role}: ${typeof last.content === 'string' ? last.content : JSON.stringify(last.content)}` : '';
}

export function Grid({ e, rows: results }: { e: Experiment; rows: Result[] }) {
  const [failedOnly, setFailedOnly] = useState(false);
  const [changedOnly, setChangedOnly] = useState(false);
  const [text, setText] = useState('');
  const variants = e.definition.variants.map((v) => v.id);

  const rows = useMemo(() => {
    const inline = new Map((e.definition.items ?? []).map((it) => [it.id, it]));
    const byItem = new Map<string, Row>();
    for (const r of results) {
      let row = byItem.get(r.item_id);
      if (!row) byItem.set(r.item_id, (row = { item: r.item_id, input: itemInput(inline.get(r.item_id)), cells: new Map(), states: new Map() }));
      const runs = row.cells.get(r.variant) ?? [];
      runs.push(r);
      row.cells.set(r.variant, runs);
    }
    for (const row of byItem.values()) {
      for (const [v, runs] of row.cells) {
        runs.sort((a, b) => a.repeat - b.repeat);
        row.states.set(v, stateOf(runs));
      }
    }
    return [...byItem.values()];
  }, [results, e.definition.items]);

  const q = text.trim().toLowerCase();
  const shown = rows.filter((row) => {
    const states = [...row.states.values()];
    if (failedOnly && !states.some((s) => s !== 'pass')) return false;
    if (changedOnly && new Set(states).size < 2) return false;
    if (q) {
      const hay = [row.item, row.input, ...[...row.cells.values()].flat().map((r) => `${r.output ?? ''} ${r.error ?? ''}`)].join('\n').toLowerCase();
      if (!hay.includes(q)) return false;
    }
    return true;
  });

  if (results.length === 0) return <EmptyState title="No results yet" />;
  return (
    <>
      <div className="grid-filters" role="group" aria-label="Filter results">
        <label className="inline">
          <input type="checkbox" checked={failedOnly} onChange={(ev) => setFailedOnly(ev.target.checked)} /> Failed only
        </label>
        <label className="inline">
          <input type="checkbox" checked={changedOnly} onChange={(ev) => setChangedOnly(ev.target.checked)} /> Changed between variants
        </label>
        <input type="search" aria-label="Search items and outputs" placeholder="Search items and outputs" value={text} onChange={(ev) => setText(ev.target.value)} />
        <span className="muted small" aria-live="polite">
          {shown.length} of {rows.length} items
        </span>
      </div>
      <div className="table-wrap">
        <table className="grid-table" aria-label="Results by item and variant">
          <thead>
            <tr>
              <th>Item</th>
              {variants.map((v) => (
                <th key={v}>{v}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={row.item}>
                <td className="item">
                  <code>{row.item}</code>
                  {row.input && <div className="small muted">{row.input.length > 200 ? `${row.input.slice(0, 200)}…` : row.input}</div>}
                </td>
                {variants.map((v) => (
                  <Cell key={v} runs={row.cells.get(v)} state={row.states.get(v)} />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Cell({ runs, state }: { runs: Result[] | undefined; state: CellState | undefined }) {
  if (!runs || !state) return <td className="cell muted small">not run yet</td>;
  const first = runs[0];
  const passed = runs.filter((r) => r.pass).length;
  const mean = runs.reduce((a, r) => a + r.score, 0) / runs.length;
  const tip = runs
    .flatMap((r) => [...(r.error ? [`error: ${r.error}`] : []), ...r.assertions.map((a) => `${a.pass ? '✓' : '✗'} ${a.type}: ${a.error ?? a.reason}`)])
    .join('\n');
  const summary = first.error ? `error: ${first.error}` : (first.output ?? '');
  return (
    <td className={`cell ${state}`} title={tip || undefined}>
      <div className="cell-head">
        <span className={`badge ${state === 'pass' ? 'ok' : state === 'fail' ? 'error' : 'warn'}`}>{runs.length > 1 ? `${passed}/${runs.length} pass` : state}</span>
        <span>score {num(mean)}</span>
        {first.trace_id && (
          <Link href={`/traces/${encodeURIComponent(first.trace_id)}`} className="small">
            trace
          </Link>
        )}
      </div>
      <details>
        <summary className={first.error ? 'cell-error' : undefined}>{summary.length > 300 ? `${summary.slice(0, 300)}…` : summary || <em className="muted">(empty)</em>}</summary>
        {runs.map((r) => (
          <div key={r.repeat} className="run">
            <div>
              {runs.length > 1 && <strong>run {r.repeat + 1} · </strong>}
              <span className={r.pass ? 'a-pass' : 'a-fail'}>{r.pass ? 'pass' : 'fail'}</span> · score {num(r.score)} · {fmtMs(r.latency_ms)} · {fmtCost(r.cost)}
              {r.cached && ' · cached'}
              {r.trace_id && (
                <>
                  {' · '}
                  <Link href={`/traces/${encodeURIComponent(r.trace_id)}`}>open trace</Link>
                </>
              )}
            </div>
            {r.error && <div className="cell-error">error: {r.error}</div>}
            {r.output !== null && <pre>{r.output}</pre>}
            {r.assertions.length > 0 && (
              <ul aria-label="Assertions">
                {r.assertions.map((a, i) => (
                  <li key={i} className={a.pass ? 'a-pass' : 'a-fail'}>
                    {a.pass ? '✓' : '✗'} {a.type}
                    {a.metric && ` (${a.metric})`} {num(a.score)}: <span className="muted">{a.reason}</span>
                    {a.error && <span className="cell-error"> — {a.error}</span>}
                  </li>
                ))}
              </ul>
            )}
          </div>
        ))}
      </details>
    </td>
  );
}
