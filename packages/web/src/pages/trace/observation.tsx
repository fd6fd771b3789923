/** One observation in full: chat, tokens, cost, latency, attempts, request extras, metadata, scores, raw JSON. */
import { useMemo, type ReactNode } from 'react';
import { Link } from 'wouter';
import { qs } from '../../api';
import { ChatOrJson, toMessages, ChatView } from '../../ui/chat';
import { JsonView } from '../../ui/json';
import { fmtCost, fmtInt, fmtMs, fmtTime } from '../../ui/format';
import { scoreValue, type Observation, type Score } from '../../ui/trace';
import { StatusBadge, TypeBadge } from './tree';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isGatewayCall = (o: Observation) => o.type === 'generation' && isObj(o.input) && Array.isArray(o.input.messages);
export const isAttempt = (o: Observation) => o.type === 'span' && isObj(o.metadata) && typeof o.metadata.attempt === 'number';

export function Card({ label, value }: { label: string; value: string }) {
  return (
    <div className="card">
      <div className="value">{value}</div>
      <div className="label">{label}</div>
    </div>
  );
}

export function ScoreList({ scores, empty }: { scores: Score[]; empty: string }) {
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

/** What the verification layer recorded: on the call (its summary), a `verify:*` span, or one of its attempts. */
function verificationOf(o: Observation): Obj | null {
  const m = isObj(o.metadata) ? o.metadata : null;
  if (!m) return null;
  if (isObj(m.verification)) return m.verification;
  return typeof m.verdict === 'string' && (o.name.startsWith('verify:') || isObj(m.verify_attempt)) ? m : null;
}

export function ObservationView({ o, all, t0, scores, onSelect }: { o: Observation; all: Observation[]; t0: number; scores: Score[]; onSelect: (id: string) => void }) {
  const attempts = all.filter((c) => c.parent_id === o.id && isAttempt(c));
  const cd = o.cost_details ?? {};
  const gateway = isGatewayCall(o);
  const inputMsgs = useMemo(() => toMessages(o.input), [o.input]);
  const hasTokens = o.input_tokens !== null || o.output_tokens !== null || o.total_tokens !== null;
  const metaAttempt = isAttempt(o) ? (o.metadata as Obj) : null;
  const verification = verificationOf(o);

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
        <div className="error-box" role="alert">
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
        {verification && (
          <Field label="Verification">
            {String(verification.verdict)}
            {typeof verification.strategy === 'string' ? ` · ${verification.strategy}` : ''}
            {typeof verification.confidence === 'number' ? ` · confidence ${Math.round(verification.confidence * 1000) / 1000}` : ''}
            {typeof verification.calls === 'number' ? ` · ${verification.calls} model calls` : ''}
            {typeof verification.reason === 'string' && <div className="muted small">{verification.reason}</div>}
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
export function MetadataView({ m }: { m: Obj }) {
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
