/**
 * Playground: pick a model or route, edit messages and parameters, stream the answer.
 * `?trace=<id>&observation=<id>` prefills the exact request of a traced call ("Open in playground");
 * `?draft=<key>` opens a request handed over through sessionStorage (a prompt's "Open in playground");
 * `?model=<name>` preselects a model.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'wouter';
import { api } from '../../api';
import { hasScope, useSessionKey } from '../../session';
import { ErrorMessage, Loading } from '../../ui/feedback';
import { JsonView } from '../../ui/json';
import { takeDraft } from '../../ui/handoff';
import { runChat, type CallResult } from './call';
import { DraftError, draftFromRequest, emptyDraft, newMessage, requestFromDraft, withStream, type Draft, type DraftMessage } from './request';
import { MessageEditor } from './messages';
import { ResultView } from './result';
import './playground.css';

interface Observation {
  id: string;
  type: string;
  name: string;
  input: unknown;
}

export default function PlaygroundPage() {
  const key = useSessionKey();
  const canCall = hasScope(key, 'model');
  const [params] = useSearchParams();
  const traceId = params.get('trace');
  const observationId = params.get('observation');

  const source = useQuery({
    queryKey: ['trace', traceId],
    queryFn: () => api<{ id: string; observations: Observation[] }>(`/api/traces/${encodeURIComponent(traceId!)}`),
    enabled: !!traceId,
  });

  if (traceId) {
    if (source.error) return <Frame canCall={canCall} scopes={key.scopes} notice={<ErrorMessage error={source.error} title="The traced call could not be loaded" />} initial={emptyDraft()} />;
    if (source.isPending) return <Loading what="Loading the traced call" />;
    const obs = pickObservation(source.data.observations, observationId);
    if (!obs) {
      return (
        <Frame
          canCall={canCall}
          scopes={key.scopes}
          initial={emptyDraft()}
          notice={<ErrorMessage error={observationId ? `Trace ${traceId} has no observation ${observationId}.` : `Trace ${traceId} has no model call.`} title="Nothing to replay" />}
        />
      );
    }
    let draft: Draft;
    try {
      draft = draftFromRequest(obs.input);
    } catch (err) {
      return <Frame canCall={canCall} scopes={key.scopes} initial={emptyDraft()} notice={<ErrorMessage error={err} title="Nothing to replay" />} />;
    }
    return (
      <Frame
        key={`${traceId}/${obs.id}`}
        canCall={canCall}
        scopes={key.scopes}
        initial={draft}
        notice={
          <p className="pg-notice" role="status">
            Loaded the request of <Link href={`/traces/${encodeURIComponent(traceId)}`}>trace {traceId}</Link> ({obs.name}). Send replays it exactly;
            fields without their own input are in “Other request fields”.
          </p>
        }
      />
    );
  }
  const draftKey = params.get('draft');
  if (draftKey) {
    const handoff = takeDraft(draftKey);
    if (!handoff) return <Frame canCall={canCall} scopes={key.scopes} initial={emptyDraft()} notice={<ErrorMessage error="The request handed to the playground is gone (it lives in this browser tab only). Open it again from its page." title="Nothing to open" />} />;
    let draft: Draft;
    try {
      draft = draftFromRequest(handoff.request);
    } catch (err) {
      return <Frame canCall={canCall} scopes={key.scopes} initial={emptyDraft()} notice={<ErrorMessage error={err} title="Nothing to open" />} />;
    }
    return (
      <Frame
        key={draftKey}
        canCall={canCall}
        scopes={key.scopes}
        initial={draft}
        notice={
          <p className="pg-notice" role="status">
            Loaded {handoff.source}. Edit anything, then Send.
          </p>
        }
      />
    );
  }
  return <Frame canCall={canCall} scopes={key.scopes} initial={emptyDraft(params.get('model') ?? '')} />;
}

/** The observation to replay: the one asked for, else the trace's first generation. */
function pickObservation(obs: Observation[], id: string | null): Observation | undefined {
  if (id) return obs.find((o) => o.id === id);
  return obs.find((o) => o.type === 'generation' && o.name === 'chat.completions') ?? obs.find((o) => o.type === 'generation');
}

function Frame({ initial, notice, canCall, scopes }: { initial: Draft; notice?: ReactNode; canCall: boolean; scopes: string[] }) {
  const qc = useQueryClient();
  const [draft, setDraft] = useState<Draft>(initial);
  const [result, setResult] = useState<CallResult | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const running = result?.status === 'running';

  useEffect(() => () => abort.current?.abort(), []);

  const models = useQuery({
    queryKey: ['v1-models'],
    queryFn: () => api<{ data: { id: string; owned_by: string }[] }>('/v1/models'),
    enabled: canCall,
    staleTime: 60_000,
  });

  const preview = useMemo(() => {
    try {
      return requestFromDraft(draft);
    } catch {
      return null;
    }
  }, [draft]);

  const send = () => {
    if (running || !canCall) return;
    let body: Record<string, unknown>;
    try {
      body = requestFromDraft(draft);
    } catch (err) {
      setFormError(err instanceof DraftError ? err.message : String(err));
      return;
    }
    setFormError(null);
    const ctrl = new AbortController();
    abort.current = ctrl;
    void runChat(body, ctrl.signal, setResult, () => qc.setQueryData(['session'], null));
  };
  const stop = () => abort.current?.abort();
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    }
  };

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const setMsg = (i: number, patch: Partial<DraftMessage>) => setDraft((d) => ({ ...d, messages: d.messages.map((m, j) => (j === i ? { ...m, ...patch } : m)) }));
  const move = (i: number, by: number) =>
    setDraft((d) => {
      const ms = [...d.messages];
      const [m] = ms.splice(i, 1);
      ms.splice(i + by, 0, m);
      return { ...d, messages: ms };
    });
  const remove = (i: number) => setDraft((d) => ({ ...d, messages: d.messages.filter((_, j) => j !== i) }));
  const add = () =>
    setDraft((d) => {
      const last = d.messages[d.messages.length - 1];
      return { ...d, messages: [...d.messages, newMessage(last?.role === 'user' ? 'assistant' : 'user')] };
    });
  /** Keep the answer: append it as an assistant message and a new empty user turn. */
  const keepAnswer = () => {
    if (!result) return;
    const fields = result.toolCalls.length
      ? JSON.stringify({ tool_calls: result.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } })) }, null, 2)
      : '';
    setDraft((d) => ({ ...d, messages: [...d.messages, newMessage('assistant', result.text, fields), newMessage('user', '')] }));
    setResult(null);
  };

  return (
    <div className="playground">
      <h1>Playground</h1>
      {!canCall && (
        <div className="error-box" role="alert">
          <strong>This key cannot call models</strong>
          <div>
            Sending needs a key with the <code>model</code> scope (or <code>admin</code>); you are signed in with a key that has {scopes.join(', ')}.
            Sign in with such a key to try models here.
          </div>
        </div>
      )}
      {notice}
      <div className="pg-layout">
        <form
          className="pg-editor"
          aria-label="Request"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <div className="pg-row">
            <div className="pg-model">
              <label htmlFor="pg-model">Model or route</label>
              <input
                id="pg-model"
                list="pg-models"
                value={draft.model}
                onChange={(e) => set('model', e.target.value)}
                placeholder={models.data?.data[0]?.id ?? 'route or provider/model'}
                autoComplete="off"
                spellCheck={false}
              />
              <datalist id="pg-models">
                {models.data?.data.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.owned_by === 'assay' ? 'route' : m.owned_by}
                  </option>
                ))}
              </datalist>
              {models.data && (
                <div className="pg-chips" aria-label="Available models and routes" role="group">
                  {models.data.data.slice(0, 12).map((m) => (
                    <button key={m.id} type="button" className="small" aria-pressed={draft.model === m.id} onClick={() => set('model', m.id)}>
                      {m.id}
                    </button>
                  ))}
                </div>
              )}
              {models.error && <ErrorMessage error={models.error} title="Models could not be listed" />}
            </div>
          </div>

          <fieldset className="pg-params">
            <legend>Parameters</legend>
            <div>
              <label htmlFor="pg-temperature">Temperature</label>
              <input id="pg-temperature" type="number" step="0.1" min="0" max="2" inputMode="decimal" value={draft.temperature} onChange={(e) => set('temperature', e.target.value)} placeholder="default" />
            </div>
            <div>
              <label htmlFor="pg-max-tokens">Max tokens</label>
              <input id="pg-max-tokens" type="number" step="1" min="1" inputMode="numeric" value={draft.max_tokens} onChange={(e) => set('max_tokens', e.target.value)} placeholder="default" />
            </div>
            <div>
              <label htmlFor="pg-top-p">Top p</label>
              <input id="pg-top-p" type="number" step="0.05" min="0" max="1" inputMode="decimal" value={draft.top_p} onChange={(e) => set('top_p', e.target.value)} placeholder="default" />
            </div>
            <label className="inline pg-stream">
              <input type="checkbox" checked={draft.stream} onChange={(e) => setDraft((d) => withStream(d, e.target.checked))} /> Stream
            </label>
          </fieldset>

          <fieldset className="pg-messages">
            <legend>Messages</legend>
            {draft.messages.length === 0 && <p className="muted">No messages: add one.</p>}
            <ol>
              {draft.messages.map((m, i) => (
                <MessageEditor
                  key={m.id}
                  m={m}
                  n={i + 1}
                  first={i === 0}
                  last={i === draft.messages.length - 1}
                  onChange={(p) => setMsg(i, p)}
                  onMove={(by) => move(i, by)}
                  onRemove={() => remove(i)}
                  onKey={onKey}
                />
              ))}
            </ol>
            <button type="button" onClick={add}>
              + Add message
            </button>
          </fieldset>

          <div>
            <label htmlFor="pg-extra">Other request fields (JSON)</label>
            <textarea
              id="pg-extra"
              className="mono"
              rows={Math.min(14, Math.max(3, draft.extra.split('\n').length))}
              value={draft.extra}
              onChange={(e) => set('extra', e.target.value)}
              onKeyDown={onKey}
              spellCheck={false}
              aria-describedby="pg-extra-help"
            />
            <div id="pg-extra-help" className="muted small">
              Any other field of the request, e.g. <code>tools</code>, <code>response_format</code>, <code>seed</code>, <code>stop</code>. They are sent as they are.
            </div>
          </div>

          {formError && <ErrorMessage error={formError} title="The request is not ready" />}
          <div className="pg-actions">
            <button type="submit" className="primary" disabled={running || !canCall} title="Send (Ctrl+Enter)">
              Send
            </button>
            <button type="button" onClick={stop} disabled={!running}>
              Stop
            </button>
            <span className="muted small">Ctrl+Enter sends</span>
          </div>
          {preview && <JsonView value={preview} label="Request body" />}
        </form>

        <section className="pg-result" aria-labelledby="pg-answer" aria-busy={running}>
          <h2 id="pg-answer">Answer</h2>
          {!result ? (
            <p className="muted">{canCall ? 'Send the request to see the answer stream in here.' : 'The answer appears here.'}</p>
          ) : (
            <ResultView r={result} onKeep={keepAnswer} />
          )}
        </section>
      </div>
    </div>
  );
}

