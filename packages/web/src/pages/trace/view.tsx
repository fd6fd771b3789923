/**
 * One trace (GET /api/traces/:id): the observation tree with a timeline, and the selected
 * observation (`?obs=<id>` in the URL) as a readable chat with tokens, cost, latency, attempts,
 * metadata, scores and the raw JSON.
 */
import { useMemo, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'wouter';
import { api, ApiError, qs } from '../../api';
import { ChatOrJson, toMessages, ChatView } from '../../ui/chat';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { JsonView } from '../../ui/json';
import { fmtCost, fmtInt, fmtMs, fmtTime } from '../../ui/format';
import { scoreValue, traceKey, tracePath, type Observation, type Page, type Score, type TraceDetail } from '../../ui/trace';
import './trace.css';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface TreeRow {
  o: Observation;
  depth: number;
}

/** Depth-first rows of the observation tree, children in start order; orphans become roots. */
function treeRows(obs: Observation[]): TreeRow[] {
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

const isGatewayCall = (o: Observation) => o.type === 'generation' && isObj(o.input) && Array.isArray(o.input.messages);
const isAttempt = (o: Observation) => o.type === 'span' && isObj(o.metadata) && typeof o.metadata.attempt === 'number';

export default function TracePage({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? '';
  const trace = useQuery({ queryKey: traceKey(id), queryFn: () => api<TraceDetail>(tracePath(id)) });
  const scores = useQuery({
    queryKey: ['scores', 'trace', id],
    queryFn: () => api<Page<Score>>(`/api/scores${qs({ trace_id: id, limit: 500 })}`),
  });

  return (
    <div className="trace-page">
      <p className="crumbs">
        <Link href="/traces">← Traces</Link>
      </p>
      {trace.error ? (
        trace.error instanceof ApiError && trace.error.status === 404 ? (
          <EmptyState title="Trace not found">
            <p>{trace.error.message}</p>
            <button type="button" onClick={() => void trace.refetch()}>
              Try again
            </button>
          </EmptyState>
        ) : (
          <ErrorMessage error={trace.error} title="The trace could not be loaded" />
        )
      ) : !trace.data ? (
        <Loading what="Loading trace" />
      ) : (
        <TraceBody trace={trace.data} scores={scores.data?.data ?? []} scoresError={scores.error} />
      )}
    </div>
  );
}

function TraceBody({ trace, scores, scoresError }: { trace: TraceDetail; scores: Score[]; scoresError: unknown }) {
  const [params, setParams] = useSearchParams();
  const rows = useMemo(() => treeRows(trace.observations), [trace.observations]);
  const root = rows[0]?.o;
  const selectedId = params.get('obs');
  const selected = rows.find((r) => r.o.id === selectedId)?.o ?? root;
  const select = (obsId: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        next.set('obs', obsId);
        return next;
      },
      { replace: true },
    );

  if (!root) return <EmptyState title="This trace has no observations" />;
  const t0 = Math.min(...trace.observations.map((o) => o.start_time));
  const t1 = Math.max(...trace.observations.map((o) => o.end_time ?? o.start_time));
  const calls = trace.observations.filter((o) => o.type === 'generation' || o.type === 'embedding');
  const sum = (f: (o: Observation) => number | null) => (calls.some((o) => f(o) !== null) ? calls.reduce((a, o) => a + (f(o) ?? 0), 0) : null);
  const errors = trace.observations.filter((o) => o.status === 'error').length;
  const session = trace.observations.find((o) => o.session_id)?.session_id ?? null;
  const user = trace.observations.find((o) => o.user_id)?.user_id ?? null;
  const tags = [...new Set(trace.observations.flatMap((o) => o.tags ?? []))];
  const traceScores = scores.filter((s) => !s.observation_id);

  return (
    <>
      <header className="trace-head">
        <h1>
          {root.name || root.type} <StatusBadge o={root} />
        </h1>
        <div className="trace-meta muted small">
          <span>
            Trace <code>{trace.id}</code>
          </span>
          <span>{fmtTime(root.start_time)}</span>
          {user && (
            <span>
              User <Link href={`/traces${qs({ user })}`}>{user}</Link>
            </span>
          )}
          {session && (
            <span>
              Session <Link href={`/sessions/${encodeURIComponent(session)}`}>{session}</Link>
            </span>
          )}
          {root.environment && <span>env {root.environment}</span>}
          {root.release && <span>release {root.release}</span>}
          {tags.map((t) => (
            <Link key={t} className="badge tag" href={`/traces${qs({ tag: t })}`}>
              {t}
            </Link>
          ))}
        </div>
      </header>
      <div className="cards trace-cards">
        <Card label="Duration" value={fmtMs(root.latency_ms ?? t1 - t0)} />
        <Card label="Model calls" value={fmtInt(calls.length)} />
        <Card label="Tokens (in / out)" value={`${fmtInt(sum((o) => o.input_tokens))} / ${fmtInt(sum((o) => o.output_tokens))}`} />
        <Card label="Cost" value={fmtCost(sum((o) => o.cost))} />
        <Card label="Observations" value={`${trace.observations.length}${errors ? ` · ${errors} failed` : ''}`} />
      </div>

      <div className="trace-layout">
        <section aria-labelledby="tree-title" className="trace-tree-panel">
          <h2 id="tree-title">Observations</h2>
          <Waterfall rows={rows} t0={t0} t1={t1} selected={selected.id} onSelect={select} />
          <h2>Scores</h2>
          {scoresError ? <ErrorMessage error={scoresError} title="Scores could not be loaded" /> : <ScoreList scores={traceScores} empty="No scores on this trace yet (POST /api/scores, the SDK’s score(), or an evaluator)." />}
          <JsonView value={trace} label="Raw JSON of the whole trace" />
        </section>
        <section aria-label="Selected observation" className="trace-obs-panel">
          <ObservationView key={selected.id} o={selected} all={trace.observations} t0={t0} scores={scores.filter((s) => s.observation_id === selected.id)} onSelect={select} />
        </section>
      </div>
    </>
  );
}

function Card({ label, value }: { label: string; value: string }) {
  return (
    <div className="card">
      <div className="value">{value}</div>
      <div className="label">{label}</div>
    </div>
  );
}

function StatusBadge({ o }: { o: Observation }) {
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

function TypeBadge({ type }: { type: string }) {
  return <span className={`type-badge type-${type}`}>{type}</span>;
}

/** The tree with a time bar per observation (relative to the trace start). ↑/↓ move the selection. */
function Waterfall({ rows, t0, t1, selected, onSelect }: { rows: TreeRow[]; t0: number; t1: number; selected: string; onSelect: (id: string) => void }) {
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

function ScoreList({ scores, empty }: { scores: Score[]; empty: string }) {
  if (scores.length === 0) return <p className="muted small">{empty}</p>;
  return (
    <ul className="scores">
      {scores.map((s) => (
        <li key={s.id}>
          <strong>{s.name}</strong> <span className="score-value">{scoreValue(s)}</span>{' '}
          <span className="muted small">
            {s.source}
            {s.author ? ` · ${s.author}` : ''}
          </span>
          {s.comment && <div className="small">{s.comment}</div>}
        </li>
      ))}
    </ul>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** What the request asked for besides the messages: parameters, tools, the response format. */
function RequestExtras({ input }: { input: Obj }) {
  const { messages: _m, tools, response_format, functions, ...rest } = input;
  void _m;
  const toolList = (Array.isArray(tools) ? tools : Array.isArray(functions) ? functions : []) as unknown[];
  const params = Object.entries(rest).filter(([, v]) => v !== undefined);
  return (
    <>
      {params.length > 0 && (
        <dl className="params" aria-label="Request parameters">
          {params.map(([k, v]) => (
            <Field key={k} label={k}>
              <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
            </Field>
          ))}
        </dl>
      )}
      {toolList.length > 0 && (
        <div className="tools">
          <h4>Tools ({toolList.length})</h4>
          <ul>
            {toolList.map((t, i) => {
              const fn = isObj(t) && isObj(t.function) ? t.function : isObj(t) ? t : {};
              return (
                <li key={i}>
                  <details>
                    <summary>
                      <code>{String(fn.name ?? (isObj(t) ? t.type : 'tool'))}</code> {typeof fn.description === 'string' && <span className="muted">{fn.description}</span>}
                    </summary>
                    <pre>{JSON.stringify(fn.parameters ?? t, null, 2)}</pre>
                  </details>
                </li>
              );
            })}
          </ul>
        </div>
      )}
      {response_format !== undefined && response_format !== null && (
        <div className="response-format">
          <h4>
            Response format{' '}
            {isObj(response_format) && (
              <code>
                {String(response_format.type)}
                {isObj(response_format.json_schema) && response_format.json_schema.name ? `: ${String(response_format.json_schema.name)}` : ''}
              </code>
            )}
          </h4>
          {isObj(response_format) && isObj(response_format.json_schema) && (
            <details>
              <summary>Schema</summary>
              <pre>{JSON.stringify(response_format.json_schema.schema ?? response_format.json_schema, null, 2)}</pre>
            </details>
          )}
        </div>
      )}
    </>
  );
}

function ObservationView({ o, all, t0, scores, onSelect }: { o: Observation; all: Observation[]; t0: number; scores: Score[]; onSelect: (id: string) => void }) {
  const attempts = all.filter((c) => c.parent_id === o.id && isAttempt(c));
  const cd = o.cost_details ?? {};
  const gateway = isGatewayCall(o);
  const inputMsgs = useMemo(() => toMessages(o.input), [o.input]);
  const hasTokens = o.input_tokens !== null || o.output_tokens !== null || o.total_tokens !== null;
  const metaAttempt = isAttempt(o) ? (o.metadata as Obj) : null;

  return (
    <article className="obs" aria-labelledby="obs-title">
      <div className="obs-head">
        <h2 id="obs-title">
          <TypeBadge type={o.type} /> {o.name || o.type} <StatusBadge o={o} />
        </h2>
        {gateway && (
          <Link className="button-link" href={`/playground${qs({ trace: o.trace_id, observation: o.id })}`}>
            Open in playground
          </Link>
        )}
      </div>
      {o.error && (
        <div className="error" role="alert">
          <strong>Error{o.status_code ? ` (${o.status_code})` : ''}</strong>
          <div>{o.error}</div>
        </div>
      )}
      <dl className="obs-fields">
        <Field label="Started">
          {fmtTime(o.start_time)} <span className="muted">(+{fmtMs(o.start_time - t0)})</span>
        </Field>
        <Field label="Latency">{fmtMs(o.latency_ms ?? (o.end_time !== null ? o.end_time - o.start_time : null))}</Field>
        {o.ttft_ms !== null && <Field label="Time to first token">{fmtMs(o.ttft_ms)}</Field>}
        {o.model && <Field label="Model">{o.model}</Field>}
        {o.route && <Field label="Route">{o.route}</Field>}
        {o.provider && <Field label="Provider">{o.provider}</Field>}
        {hasTokens && (
          <Field label="Tokens">
            <span title="input tokens (of which cached)">in {fmtInt(o.input_tokens)}</span>
            {o.cached_input_tokens ? <span className="muted"> ({fmtInt(o.cached_input_tokens)} cached)</span> : null} · <span>out {fmtInt(o.output_tokens)}</span>
            {o.reasoning_tokens ? <span className="muted"> ({fmtInt(o.reasoning_tokens)} reasoning)</span> : null} · total {fmtInt(o.total_tokens)}
          </Field>
        )}
        {(o.cost !== null || o.price_version) && (
          <Field label="Cost">
            {fmtCost(o.cost)}
            {typeof cd.input === 'number' && (
              <span className="muted">
                {' '}
                (in {fmtCost(cd.input as number)}
                {cd.cached_input ? ` · cached ${fmtCost(cd.cached_input as number)}` : ''} · out {fmtCost(cd.output as number)}
                {cd.reasoning ? ` · reasoning ${fmtCost(cd.reasoning as number)}` : ''})
              </span>
            )}
            <div className="muted small">
              {cd.source === 'provider' ? 'reported by the provider' : o.price_version ? `prices ${o.price_version}${cd.price ? ` · ${String(cd.price)}` : ''}` : 'no price known for this model'}
            </div>
          </Field>
        )}
        {o.cache_hit !== null && <Field label="Cache">{o.cache_hit ? 'hit' : 'miss'}</Field>}
        {metaAttempt && (
          <Field label="Attempt">
            #{String(metaAttempt.attempt)}
            {metaAttempt.retry ? ` · retry ${String(metaAttempt.retry)}` : ''}
            {metaAttempt.fallback ? ' · fallback' : ''}
          </Field>
        )}
        {o.prompt_name && (
          <Field label="Prompt">
            {o.prompt_name}
            {o.prompt_version !== null ? ` v${o.prompt_version}` : ''}
          </Field>
        )}
        {o.level && <Field label="Level">{o.level}</Field>}
        {o.user_id && <Field label="User">{o.user_id}</Field>}
        {o.key_id && (
          <Field label="Key">
            <code>{o.key_id}</code>
          </Field>
        )}
      </dl>

      {attempts.length > 0 && (
        <section aria-labelledby="attempts-title">
          <h3 id="attempts-title">Attempts ({attempts.length})</h3>
          <div className="table-wrap">
            <table aria-label="Attempts">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Target</th>
                  <th>Kind</th>
                  <th>Status</th>
                  <th className="num">Latency</th>
                  <th>Error</th>
                </tr>
              </thead>
              <tbody>
                {attempts.map((a) => {
                  const m = (a.metadata ?? {}) as Obj;
                  return (
                    <tr key={a.id}>
                      <td>{String(m.attempt ?? '')}</td>
                      <td>
                        <button type="button" className="linkish" onClick={() => onSelect(a.id)}>
                          {a.model ?? a.name}
                        </button>
                      </td>
                      <td>{m.fallback ? 'fallback' : Number(m.retry) > 0 ? `retry ${String(m.retry)}` : 'first'}</td>
                      <td>
                        <StatusBadge o={a} />
                      </td>
                      <td className="num">{fmtMs(a.latency_ms)}</td>
                      <td className="attempt-error">{a.error ?? ''}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>
      )}

      {o.input !== null && o.input !== undefined && (
        <section aria-labelledby="input-title">
          <h3 id="input-title">Input</h3>
          {inputMsgs ? <ChatView messages={inputMsgs} label="Input messages" /> : <ChatOrJson value={o.input} label="Input" />}
          {gateway && isObj(o.input) && <RequestExtras input={o.input} />}
        </section>
      )}
      {o.output !== null && o.output !== undefined && (
        <section aria-labelledby="output-title">
          <h3 id="output-title">Output</h3>
          <ChatOrJson value={o.output} label="Output" role="assistant" />
        </section>
      )}
      {o.metadata && Object.keys(o.metadata).length > 0 && (
        <section aria-labelledby="meta-title">
          <h3 id="meta-title">Metadata</h3>
          <MetadataView m={o.metadata} />
        </section>
      )}
      {scores.length > 0 && (
        <section aria-labelledby="oscores-title">
          <h3 id="oscores-title">Scores</h3>
          <ScoreList scores={scores} empty="" />
        </section>
      )}
      <JsonView value={o} label="Raw JSON" />
    </article>
  );
}

/** Flat metadata as a key/value list; nested values (e.g. OTel attributes) as JSON. */
function MetadataView({ m }: { m: Obj }) {
  const flat = Object.entries(m).filter(([, v]) => v === null || typeof v !== 'object');
  const nested = Object.entries(m).filter(([, v]) => v !== null && typeof v === 'object');
  return (
    <>
      {flat.length > 0 && (
        <dl className="params">
          {flat.map(([k, v]) => (
            <Field key={k} label={k}>
              <code>{String(v)}</code>
            </Field>
          ))}
        </dl>
      )}
      {nested.map(([k, v]) => (
        <JsonView key={k} value={v} label={k} open={JSON.stringify(v).length < 600} />
      ))}
    </>
  );
}
