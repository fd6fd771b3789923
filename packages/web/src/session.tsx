/**
 * The signed-in key. The session is an HttpOnly cookie the server sets on POST /api/session; the
 * dashboard never stores the key itself. GET /api/session says who is signed in (401: nobody).
 */
import { createContext, useContext, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, onUnauthorized } from './api';
import { ErrorMessage } from './ui/feedback';

export interface SessionKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  project_id: string;
}

const SessionContext = createContext<SessionKey | null>(null);

export function useSessionKey(): SessionKey {
  const key = useContext(SessionContext);
  if (!key) throw new Error('useSessionKey outside a session');
  return key;
}

export function hasScope(key: SessionKey, scope: string): boolean {
  return key.scopes.includes('admin') || key.scopes.includes(scope);
}

export function SessionGate({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const session = useQuery({
    queryKey: ['session'],
    queryFn: () => api<{ key: SessionKey }>('/api/session'),
    retry: false,
    staleTime: Infinity,
  });
  useEffect(() => onUnauthorized(() => qc.setQueryData(['session'], null)), [qc]);

  if (session.isPending) return null;
  const key = session.data?.key;
  if (!key) {
    const err = session.error instanceof ApiError && session.error.status !== 401 ? session.error : null;
    return <SignIn error={err} />;
  }
  return <SessionContext.Provider value={key}>{children}</SessionContext.Provider>;
}

export async function signOut(qc: ReturnType<typeof useQueryClient>): Promise<void> {
  await api('/api/session', { method: 'DELETE' }).catch(() => undefined);
  qc.setQueryData(['session'], null);
  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
}

function SignIn({ error }: { error: ApiError | null }) {
  const qc = useQueryClient();
  const [key, setKey] = useState('');
  const [failure, setFailure] = useState<ApiError | null>(error);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const res = await api<{ key: SessionKey }>('/api/session', { method: 'POST', json: { key: key.trim() } });
      qc.setQueryData(['session'], res);
    } catch (err) {
      setFailure(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Assay</h1>
        <p className="muted">Sign in with an Assay key that has the <code>admin</code> or <code>read</code> scope.</p>
        <input type="text" name="username" autoComplete="username" value="assay" readOnly hidden />
        <label htmlFor="signin-key">API key</label>
        <input
          id="signin-key"
          name="key"
          type="password"
          autoComplete="current-password"
          autoFocus
          placeholder="sk-assay-…"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          required
        />
        {failure && <ErrorMessage error={failure} />}
        <button type="submit" className="primary" disabled={busy || !key.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          The first start of <code>npm start</code> prints an admin key; or set <code>ASSAY_ADMIN_KEY</code>. The session is
          an HttpOnly cookie; the key is not kept in the browser.
        </p>
      </form>
    </main>
  );
}
