/** Keys: create (the key is shown once), list, revoke. Admin scope. */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import { EmptyState, ErrorMessage, QueryState } from '../../ui/feedback';
import { fmtTime } from '../../ui/format';

interface Key {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  models: string[] | null;
  created_at: number;
  revoked_at: number | null;
}

const SCOPES = [
  ['model', 'call models through /v1'],
  ['read', 'read traces and metrics, sign in here'],
  ['ingest', 'send traces (OTLP, Langfuse SDKs) and scores'],
  ['feedback', 'end-user feedback only (write-only, safe in a browser)'],
  ['admin', 'everything, including keys'],
] as const;

export default function KeysPage() {
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: ['keys'], queryFn: () => api<{ data: Key[] }>('/api/keys') });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['model']);
  const [models, setModels] = useState('');
  const [created, setCreated] = useState<(Key & { key: string }) | null>(null);

  const create = useMutation({
    mutationFn: () =>
      api<Key & { key: string }>('/api/keys', {
        method: 'POST',
        json: { name, scopes, models: models.trim() ? models.split(',').map((m) => m.trim()).filter(Boolean) : null },
      }),
    onSuccess: (k) => {
      setCreated(k);
      setName('');
      void qc.invalidateQueries({ queryKey: ['keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/api/keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['keys'] }),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate();
  };

  return (
    <>
      <h1>Keys</h1>
      <section aria-labelledby="new-key">
        <h2 id="new-key">Create a key</h2>
        <form onSubmit={submit} className="toolbar">
          <div>
            <label htmlFor="key-name">Name</label>
            <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="who uses it, e.g. support-bot" required />
          </div>
          <fieldset className="scopes">
            <legend className="small muted">Scopes</legend>
            {SCOPES.map(([s, help]) => (
              <label key={s} className="inline" title={help}>
                <input
                  type="checkbox"
                  checked={scopes.includes(s)}
                  onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
                />{' '}
                {s}
              </label>
            ))}
          </fieldset>
          <div>
            <label htmlFor="key-models">Models (optional)</label>
            <input id="key-models" value={models} onChange={(e) => setModels(e.target.value)} placeholder="smart, openai/*" />
          </div>
          <button type="submit" className="primary" disabled={!name.trim() || scopes.length === 0 || create.isPending}>
            Create key
          </button>
        </form>
        {create.error && <ErrorMessage error={create.error} title="The key was not created" />}
        {created && (
          <div className="card created-key" role="status">
            <strong>Key “{created.name}” created.</strong> Copy it now: it is not shown again.
            <pre data-testid="new-key">{created.key}</pre>
          </div>
        )}
      </section>
      <h2>Active keys</h2>
      {revoke.error && <ErrorMessage error={revoke.error} title="The key was not revoked" />}
      <QueryState query={keys} what="Loading keys">
        {({ data }) =>
          data.length === 0 ? (
            <EmptyState title="No keys yet" />
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Key</th>
                    <th>Scopes</th>
                    <th>Models</th>
                    <th>Created</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {data.map((k) => (
                    <tr key={k.id}>
                      <td>{k.name}</td>
                      <td className="mono">{k.prefix}…</td>
                      <td>{k.scopes.join(', ')}</td>
                      <td>{k.models?.join(', ') ?? 'all'}</td>
                      <td>{fmtTime(k.created_at)}</td>
                      <td>
                        <button
                          type="button"
                          className="danger small"
                          aria-label={`Revoke key ${k.name}`}
                          disabled={revoke.isPending}
                          onClick={() => {
                            if (confirm(`Revoke “${k.name}”? Apps using it stop working at once.`)) revoke.mutate(k.id);
                          }}
                        >
                          Revoke
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </>
  );
}
