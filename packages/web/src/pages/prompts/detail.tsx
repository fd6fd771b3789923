/**
 * One prompt (GET /api/prompts/:name): its versions newest first with commit messages and labels,
 * the selected version (`?v=`) as messages or text with its config, a diff between two versions
 * (`?from=&to=`), setting a label (admin), and "Open in playground": render with the variables
 * typed here, then open the playground with those messages and the prompt's model and parameters.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useSearchParams } from 'wouter';
import { api, ApiError } from '../../api';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtTime } from '../../ui/format';
import { handToPlayground, REQUEST_PARAMS } from '../../ui/handoff';
import { JsonView } from '../../ui/json';
import { Labels } from './list';
import { promptPath, safeDecode, type ChatItem, type PromptDetail, type PromptDiff, type PromptVersion, type Rendered } from './types';
import './prompts.css';

export default function PromptPage({ params }: { params: Record<string, string | undefined> }) {
  const name = safeDecode(params.name ?? '');
  const detail = useQuery({ queryKey: ['prompt', name], queryFn: () => api<PromptDetail>(`${promptPath(name)}?limit=500`) });
  return (
    <div className="prompts-page">
      <p className="crumbs">
        <Link href="/prompts">← Prompts</Link>
      </p>
      {detail.error ? (
        detail.error instanceof ApiError && detail.error.status === 404 ? (
          <EmptyState title="Prompt not found">
            <p>{detail.error.message}</p>
          </EmptyState>
        ) : (
          <ErrorMessage error={detail.error} title="The prompt could not be loaded" />
        )
      ) : !detail.data ? (
        <Loading what="Loading prompt" />
      ) : (
        <PromptBody p={detail.data} />
      )}
    </div>
  );
}

function PromptBody({ p }: { p: PromptDetail }) {
  const [params, setParams] = useSearchParams();
  const set = (k: string, v: string | null) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (v) next.set(k, v);
        else next.delete(k);
        return next;
      },
      { replace: true },
    );
  const versions = p.versions;
  const selectedNo = Number(params.get('v')) || p.latest_version;
  const selected = versions.find((v) => v.version === selectedNo) ?? versions[0];
  if (!selected) return <EmptyState title="This prompt has no versions" />;

  return (
    <>
      <h1>
        {p.name} <span className="badge">{p.type}</span>
      </h1>
      <p className="muted small">
        {versions.length} version{versions.length === 1 ? '' : 's'} · latest v{p.latest_version} · updated {fmtTime(p.updated_at)}
        {p.tags.length > 0 && <> · tags {p.tags.join(', ')}</>}
      </p>
      <div className="prompt-layout">
        <section aria-labelledby="versions-title">
          <h2 id="versions-title">Versions</h2>
          <ul className="version-list" aria-label="Versions">
            {versions.map((v) => (
              <li key={v.version}>
                <button type="button" aria-current={v.version === selected.version} onClick={() => set('v', String(v.version))}>
                  <strong>v{v.version}</strong> <Labels labels={v.labels} />
                  <span className="commit">{v.commit_message ?? <em>no commit message</em>}</span>
                  <span className="commit">{fmtTime(v.created_at)}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        <Version p={p} version={selected.version} set={set} from={Number(params.get('from')) || Math.max(1, selected.version - 1)} to={Number(params.get('to')) || selected.version} />
      </div>
    </>
  );
}

function Version({ p, version, from, to, set }: { p: PromptDetail; version: number; from: number; to: number; set: (k: string, v: string | null) => void }) {
  const v = useQuery({ queryKey: ['prompt', p.name, 'v', version, p.updated_at], queryFn: () => api<PromptVersion>(`${promptPath(p.name)}/versions/${version}`) });
  return (
    <section aria-label={`Version ${version}`}>
      {v.error ? (
        <ErrorMessage error={v.error} title={`Version ${version} could not be loaded`} />
      ) : !v.data ? (
        <Loading what={`Loading version ${version}`} />
      ) : (
        <>
          <h2>
            Version {version} <Labels labels={v.data.labels} />
          </h2>
          {v.data.commit_message && <p>{v.data.commit_message}</p>}
          <Template prompt={v.data.prompt} />
          <h3>Config</h3>
          {Object.keys(v.data.config ?? {}).length ? <pre>{JSON.stringify(v.data.config, null, 2)}</pre> : <p className="muted small">No config.</p>}
          <SetLabel name={p.name} version={version} />
          <OpenInPlayground v={v.data} />
        </>
      )}
      <Diff p={p} from={from} to={to} set={set} />
      {v.data && <JsonView value={v.data} label="Raw JSON of this version" />}
    </section>
  );
}

function Template({ prompt }: { prompt: string | ChatItem[] }) {
  if (typeof prompt === 'string') return <pre aria-label="Template">{prompt}</pre>;
  return (
    <div aria-label="Template">
      {prompt.map((m, i) =>
        'type' in m && m.type === 'placeholder' ? (
          <div key={i} className="prompt-msg">
            <span className="role">placeholder</span>
            <pre>{`{{${m.name}}} (messages given at render time)`}</pre>
          </div>
        ) : (
          <div key={i} className="prompt-msg">
            <span className="role">{(m as { role: string }).role}</span>
            <pre>{(m as { content: string }).content}</pre>
          </div>
        ),
      )}
    </div>
  );
}

function SetLabel({ name, version }: { name: string; version: number }) {
  const qc = useQueryClient();
  const [label, setLabel] = useState('');
  const m = useMutation({
    mutationFn: (l: string) => api(`${promptPath(name)}/labels`, { method: 'POST', json: { version, label: l } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['prompt', name] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (label.trim()) m.mutate(label.trim());
  };
  return (
    <form className="prompt-actions" onSubmit={submit} aria-label="Set a label">
      <div>
        <label htmlFor="set-label">Label for v{version}</label>
        <input id="set-label" value={label} onChange={(e) => setLabel(e.target.value)} placeholder="production" list="known-labels" />
        <datalist id="known-labels">
          <option value="production" />
          <option value="staging" />
        </datalist>
      </div>
      <button type="submit" disabled={m.isPending || !label.trim()}>
        Set label
      </button>
      {m.isSuccess && (
        <span className="ok-text small" role="status">
          {m.variables} now points at v{version}
        </span>
      )}
      {m.error && <ErrorMessage error={m.error} title="The label was not set" />}
    </form>
  );
}

function OpenInPlayground({ v }: { v: PromptVersion }) {
  const [, navigate] = useLocation();
  const [vars, setVars] = useState<Record<string, string>>({});
  const placeholders = typeof v.prompt === 'string' ? [] : v.prompt.flatMap((m) => ('type' in m && m.type === 'placeholder' ? [m.name] : []));
  const m = useMutation({
    mutationFn: () =>
      api<Rendered>(`${promptPath(v.name)}/render`, {
        method: 'POST',
        json: { version: v.version, variables: vars, placeholders: Object.fromEntries(placeholders.map((p) => [p, []])) },
      }),
    onSuccess: (r) => {
      const request: Record<string, unknown> = { model: typeof r.config.model === 'string' ? r.config.model : '' };
      for (const k of REQUEST_PARAMS) if (r.config[k] !== undefined) request[k] = r.config[k];
      request.messages = r.text !== null && r.messages.length === 0 ? [{ role: 'user', content: r.text }] : r.messages;
      navigate(handToPlayground({ request, source: `prompt ${r.name} v${r.version}` }));
    },
  });
  return (
    <form
      className="open-playground"
      aria-label="Open in playground"
      onSubmit={(e) => {
        e.preventDefault();
        m.mutate();
      }}
    >
      <h3>Try it</h3>
      {v.variables.length > 0 ? (
        <div className="vars-form">
          {v.variables.map((name) => (
            <FragmentVar key={name} name={name} value={vars[name] ?? ''} onChange={(x) => setVars({ ...vars, [name]: x })} />
          ))}
        </div>
      ) : (
        <p className="muted small">This version has no variables.</p>
      )}
      <p>
        <button type="submit" className="primary" disabled={m.isPending}>
          Open in playground
        </button>
      </p>
      {m.error && <ErrorMessage error={m.error} title="The prompt could not be rendered" />}
    </form>
  );
}

function FragmentVar({ name, value, onChange }: { name: string; value: string; onChange: (v: string) => void }) {
  const id = `var-${name}`;
  return (
    <>
      <label htmlFor={id}>
        <code>{`{{${name}}}`}</code>
      </label>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} />
    </>
  );
}

function Diff({ p, from, to, set }: { p: PromptDetail; from: number; to: number; set: (k: string, v: string | null) => void }) {
  const same = from === to;
  const diff = useQuery({
    queryKey: ['prompt-diff', p.name, from, to],
    queryFn: () => api<PromptDiff>(`${promptPath(p.name)}/diff?from=${from}&to=${to}`),
    enabled: !same && p.versions.length > 1,
  });
  if (p.versions.length < 2) return null;
  const options = p.versions.map((v) => (
    <option key={v.version} value={v.version}>
      v{v.version}
    </option>
  ));
  return (
    <section aria-labelledby="diff-title">
      <h3 id="diff-title">Diff</h3>
      <div className="prompt-actions">
        <div>
          <label htmlFor="diff-from">From</label>
          <select id="diff-from" value={from} onChange={(e) => set('from', e.target.value)}>
            {options}
          </select>
        </div>
        <div>
          <label htmlFor="diff-to">To</label>
          <select id="diff-to" value={to} onChange={(e) => set('to', e.target.value)}>
            {options}
          </select>
        </div>
      </div>
      {same ? (
        <p className="muted small">Choose two different versions.</p>
      ) : diff.error ? (
        <ErrorMessage error={diff.error} title="The diff could not be loaded" />
      ) : !diff.data ? (
        <Loading what="Loading diff" />
      ) : !diff.data.changed ? (
        <p className="muted">
          v{from} and v{to} are the same.
        </p>
      ) : (
        <pre className="diff" aria-label={`Diff v${from} → v${to}`}>
          {diff.data.unified.split('\n').map((line, i) => (
            <span key={i} className={line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : undefined}>
              {line || ' '}
            </span>
          ))}
        </pre>
      )}
    </section>
  );
}
