/**
 * Traces: the newest calls first, one narrow row each, a page at a time (keyset cursor from
 * GET /api/traces; nothing fetches everything). Every filter lives in the URL so a view can be
 * shared and back/forward work:
 *   ?range=1h | from&to   model  route  status  user  session  tag  q   cursor  limit
 */
import { useEffect, useMemo, useState, type FormEvent, type KeyboardEvent, type MouseEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useLocation, useSearchParams } from 'wouter';
import { api, qs } from '../../api';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { FirstRequest } from '../../ui/first-request';
import { fmtCost, fmtInt, fmtMs, fmtTime } from '../../ui/format';
import { Pager, useCursor } from '../../ui/pager';
import { RANGE_PRESETS } from '../../ui/time-range';
import { callLabel, type Page, type TraceRow } from '../../ui/trace';
import './traces.css';

/** The shared presets (same URL values as the overview's range), labelled for a select. */
const PRESETS = RANGE_PRESETS.map((p) => ({ ...p, label: `Last ${p.label}` }));

/** The text filters: URL parameter, label, placeholder. */
const TEXT_FILTERS = [
  ['model', 'Model', 'up/gpt-4o-mini'],
  ['route', 'Route', 'smart'],
  ['user', 'User', 'user id'],
  ['session', 'Session', 'session id'],
  ['tag', 'Tag', 'tag'],
  ['q', 'Search', 'text in inputs, outputs, errors…'],
] as const;
type TextFilter = (typeof TEXT_FILTERS)[number][0];
const FILTER_KEYS = ['range', 'from', 'to', 'status', ...TEXT_FILTERS.map((f) => f[0])] as const;

function parseTime(v: string | null): number | null {
  if (!v) return null;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(n) ? n : null;
}

function toLocalInput(ms: number): string {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

interface RoutesInfo {
  data: { name: string }[];
  providers: { id: string; models: string[] }[];
}

export default function TracesPage() {
  const [params, setParams] = useSearchParams();
  const [, navigate] = useLocation();
  const pg = useCursor(50);

  // Time window: a preset is relative to when it was picked (or the page loaded / refreshed).
  const range = params.get('range');
  const preset = PRESETS.find((p) => p.id === range) ?? null;
  const from = parseTime(params.get('from'));
  const to = parseTime(params.get('to'));
  const custom = !preset && from !== null;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => setNow(Date.now()), [range]);
  const windowFrom = preset ? now - preset.ms : custom ? from : null;
  const windowTo = custom ? to : null;

  const status = params.get('status') === 'ok' || params.get('status') === 'error' ? params.get('status') : null;
  const text = Object.fromEntries(TEXT_FILTERS.map(([k]) => [k, params.get(k) ?? ''])) as Record<TextFilter, string>;
  const filtered = status !== null || TEXT_FILTERS.some(([k]) => text[k] !== '');

  const path = `/api/traces${qs({ ...text, status, from: windowFrom, to: windowTo, limit: pg.limit, cursor: pg.cursor })}`;
  const traces = useQuery({ queryKey: ['traces', path], queryFn: () => api<Page<TraceRow>>(path), placeholderData: keepPreviousData });
  const routes = useQuery({ queryKey: ['routes'], queryFn: () => api<RoutesInfo>('/api/routes'), staleTime: 60_000 });

  /** Change filters: always back to the first page. */
  const update = (changes: Record<string, string | null>) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      for (const [k, v] of Object.entries(changes)) {
        if (v === null || v === '') next.delete(k);
        else next.set(k, v);
      }
      next.delete('cursor');
      return next;
    });
  const clearAll = () => update(Object.fromEntries(FILTER_KEYS.map((k) => [k, null])));

  // Drafts of the text filters, applied on submit; follow the URL on back/forward.
  const urlText = TEXT_FILTERS.map(([k]) => text[k]).join('\u0000');
  const [draft, setDraft] = useState(text);
  useEffect(() => setDraft(text), [urlText]); // eslint-disable-line react-hooks/exhaustive-deps
  const [customOpen, setCustomOpen] = useState(false);
  const [draftFrom, setDraftFrom] = useState('');
  const [draftTo, setDraftTo] = useState('');
  const [timeError, setTimeError] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    update(Object.fromEntries(TEXT_FILTERS.map(([k]) => [k, draft[k].trim()])));
  };
  const applyCustom = (e: FormEvent) => {
    e.preventDefault();
    const f = Date.parse(draftFrom);
    const t = draftTo ? Date.parse(draftTo) : NaN;
    if (!Number.isFinite(f) || (draftTo && (!Number.isFinite(t) || t <= f))) {
      setTimeError('“From” must be a time before “To”.');
      return;
    }
    setTimeError(null);
    setCustomOpen(false);
    update({ range: null, from: new Date(f).toISOString(), to: Number.isFinite(t) ? new Date(t).toISOString() : null });
  };
  const timeValue = preset ? preset.id : custom ? 'custom' : 'all';
  const onTime = (v: string) => {
    if (v === 'custom') {
      setDraftFrom(toLocalInput(windowFrom ?? Date.now() - 86_400_000));
      setDraftTo(windowTo ? toLocalInput(windowTo) : '');
      setCustomOpen(true);
      return;
    }
    setCustomOpen(false);
    update({ range: v === 'all' ? null : v, from: null, to: null });
  };

  const models = useMemo(() => routes.data?.providers.flatMap((p) => p.models.map((m) => `${p.id}/${m}`)) ?? [], [routes.data]);
  const chips: [string, string][] = [
    ...(status ? ([['status', `status: ${status}`]] as [string, string][]) : []),
    ...TEXT_FILTERS.filter(([k]) => text[k]).map(([k, label]) => [k, `${label.toLowerCase()}: ${text[k]}`] as [string, string]),
  ];

  return (
    <div className="traces-page">
      <div className="page-head">
        <h1>Traces</h1>
        <button
          type="button"
          onClick={() => {
            setNow(Date.now());
            void traces.refetch();
          }}
        >
          ↻ Refresh
        </button>
      </div>

      <section aria-label="Filters" className="trace-filters">
        <div className="toolbar">
          <div>
            <label htmlFor="tf-time">Time</label>
            <select id="tf-time" value={customOpen ? 'custom' : timeValue} onChange={(e) => onTime(e.target.value)}>
              <option value="all">Any time</option>
              {PRESETS.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
              <option value="custom">Custom…</option>
            </select>
          </div>
          <div>
            <label htmlFor="tf-status">Status</label>
            <select id="tf-status" value={status ?? ''} onChange={(e) => update({ status: e.target.value || null })}>
              <option value="">Any status</option>
              <option value="ok">OK</option>
              <option value="error">Error</option>
            </select>
          </div>
          {custom && !customOpen && (
            <div className="muted small tf-window">
              {fmtTime(from)} – {to ? fmtTime(to) : 'now'}{' '}
              <button type="button" className="small" onClick={() => onTime('custom')}>
                Change
              </button>
            </div>
          )}
        </div>
        {customOpen && (
          <form className="toolbar" onSubmit={applyCustom} aria-label="Custom time range">
            <div>
              <label htmlFor="tf-from">From</label>
              <input id="tf-from" type="datetime-local" value={draftFrom} onChange={(e) => setDraftFrom(e.target.value)} required />
            </div>
            <div>
              <label htmlFor="tf-to">To (empty: now)</label>
              <input id="tf-to" type="datetime-local" value={draftTo} onChange={(e) => setDraftTo(e.target.value)} />
            </div>
            <button type="submit" className="primary">
              Apply time
            </button>
            <button type="button" onClick={() => setCustomOpen(false)}>
              Cancel
            </button>
            {timeError && (
              <span role="alert" className="small bad-text">
                {timeError}
              </span>
            )}
          </form>
        )}
        <form className="toolbar" onSubmit={submit} aria-label="Filter traces">
          {TEXT_FILTERS.map(([k, label, ph]) => (
            <div key={k} className={k === 'q' ? 'tf-search' : undefined}>
              <label htmlFor={`tf-${k}`}>{label}</label>
              <input
                id={`tf-${k}`}
                type={k === 'q' ? 'search' : 'text'}
                value={draft[k]}
                placeholder={ph}
                list={k === 'model' ? 'tf-models' : k === 'route' ? 'tf-routes' : undefined}
                onChange={(e) => setDraft({ ...draft, [k]: e.target.value })}
              />
            </div>
          ))}
          <datalist id="tf-models">
            {models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
          <datalist id="tf-routes">
            {routes.data?.data.map((r) => (
              <option key={r.name} value={r.name} />
            ))}
          </datalist>
          <button type="submit" className="primary">
            Apply filters
          </button>
        </form>
        {chips.length > 0 && (
          <ul className="chips" aria-label="Active filters">
            {chips.map(([k, label]) => (
              <li key={k}>
                <button type="button" className="chip" onClick={() => update({ [k]: null })} aria-label={`Remove filter ${label}`}>
                  {label} <span aria-hidden="true">×</span>
                </button>
              </li>
            ))}
            <li>
              <button type="button" className="small" onClick={clearAll}>
                Clear all
              </button>
            </li>
          </ul>
        )}
      </section>

      {traces.error ? (
        <ErrorMessage error={traces.error} title="Traces could not be loaded" />
      ) : !traces.data ? (
        <Loading what="Loading traces" />
      ) : traces.data.data.length === 0 && !pg.cursor ? (
        filtered ? (
          <EmptyState title="No traces match these filters">
            <p>Try a wider time range or fewer filters.</p>
            <button type="button" onClick={clearAll}>
              Clear all filters
            </button>
          </EmptyState>
        ) : windowFrom !== null ? (
          <EmptyState title="No traces in this time range">
            <p>
              <button type="button" onClick={() => update({ range: null, from: null, to: null })}>
                Show all time
              </button>
            </p>
            <FirstRequest />
          </EmptyState>
        ) : (
          <EmptyState title="No traces yet">
            <FirstRequest />
          </EmptyState>
        )
      ) : (
        <>
          <TraceTable rows={traces.data.data} onOpen={(id) => navigate(`/traces/${encodeURIComponent(id)}`)} />
          <Pager pg={pg} nextCursor={traces.data.next_cursor} count={traces.data.data.length} what="traces" busy={traces.isFetching} />
        </>
      )}
    </div>
  );
}

function StatusBadge({ r }: { r: TraceRow }) {
  const failedAttempts = r.status === 'ok' ? (r.totals?.errors ?? 0) : 0;
  return (
    <>
      <span className={`badge ${r.status === 'error' ? 'error' : 'ok'}`} title={r.error ?? undefined}>
        {r.status === 'error' ? `error${r.status_code ? ` ${r.status_code}` : ''}` : 'ok'}
      </span>
      {failedAttempts > 0 && (
        <span className="badge warn" title={`${failedAttempts} failed observation(s) inside, e.g. a retried or fallen-back attempt`}>
          {failedAttempts} failed
        </span>
      )}
    </>
  );
}

function TraceTable({ rows, onOpen }: { rows: TraceRow[]; onOpen: (id: string) => void }) {
  // Click anywhere on a row opens it (links and buttons inside keep their own meaning).
  const onClick = (e: MouseEvent<HTMLElement>, id: string) => {
    if ((e.target as HTMLElement).closest('a, button, input, select')) return;
    if (window.getSelection()?.toString()) return;
    onOpen(id);
  };
  // ↑/↓ move between rows (focus is on each row's link; Enter opens it).
  const onKeyDown = (e: KeyboardEvent<HTMLTableSectionElement>) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const links = [...e.currentTarget.querySelectorAll<HTMLAnchorElement>('a.row-link')];
    const i = links.indexOf(document.activeElement as HTMLAnchorElement);
    const j = i < 0 ? 0 : Math.min(links.length - 1, Math.max(0, i + (e.key === 'ArrowDown' ? 1 : -1)));
    links[j]?.focus();
    e.preventDefault();
  };
  return (
    <div className="table-wrap traces-table">
      <table aria-label="Traces">
        <thead>
          <tr>
            <th>Time</th>
            <th>Name</th>
            <th>Model</th>
            <th>Status</th>
            <th className="num">Latency</th>
            <th className="num">Tokens</th>
            <th className="num">Cost</th>
            <th>User</th>
            <th>Session</th>
            <th>Tags</th>
          </tr>
        </thead>
        <tbody onKeyDown={onKeyDown}>
          {rows.map((r) => (
            <tr key={r.trace_id} className={r.status === 'error' ? 'row-error' : undefined} onClick={(e) => onClick(e, r.trace_id)}>
              <td title={new Date(r.start_time).toISOString()}>{fmtTime(r.start_time)}</td>
              <td className="cell-name">
                <Link href={`/traces/${encodeURIComponent(r.trace_id)}`} className="row-link">
                  {r.name || r.type}
                </Link>
                {r.totals && r.totals.observations > 3 && (
                  <span className="muted small" title={`${r.totals.observations} observations in this trace`}>
                    {' '}
                    · {r.totals.observations} obs
                  </span>
                )}
              </td>
              <td className="cell-model" title={callLabel(r)}>
                {callLabel(r) || <span className="muted">—</span>}
              </td>
              <td>
                <StatusBadge r={r} />
              </td>
              <td className="num">{fmtMs(r.latency_ms ?? (r.end_time ? r.end_time - r.start_time : null))}</td>
              <td className="num" title={`in ${fmtInt(r.totals?.input_tokens ?? r.input_tokens)} · out ${fmtInt(r.totals?.output_tokens ?? r.output_tokens)}`}>
                {fmtInt(r.totals?.total_tokens ?? r.total_tokens)}
              </td>
              <td className="num">{fmtCost(r.totals?.cost ?? r.cost)}</td>
              <td className="cell-id">
                {r.user_id ? (
                  <Link href={`/traces${qs({ user: r.user_id })}`} title={`Only traces of user ${r.user_id}`}>
                    {r.user_id}
                  </Link>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td className="cell-id">
                {r.session_id ? (
                  <Link href={`/sessions/${encodeURIComponent(r.session_id)}`} title={`Session ${r.session_id}`}>
                    {r.session_id}
                  </Link>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td className="cell-tags">
                {r.tags.map((t) => (
                  <span key={t} className="badge tag">
                    {t}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
