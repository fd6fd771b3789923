/** The dashboard shell: data cache, session gate, navigation built from the page registry, routes. */
import { Suspense, useEffect, useState } from 'react';
import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { Link, Route, Switch, useLocation } from 'wouter';
import { ApiError } from './api';
import { pages } from './pages/registry';
import { hasScope, SessionGate, signOut, useSessionKey } from './session';
import { EmptyState, Loading } from './ui/feedback';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      refetchOnWindowFocus: false,
      // A 4xx will not get better by asking again.
      retry: (n, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && n < 2,
    },
  },
});

type Theme = 'light' | 'dark' | 'system';

function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('assay.theme') as Theme) ?? 'system');
  useEffect(() => {
    localStorage.setItem('assay.theme', theme);
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [theme, setTheme];
}

function Shell() {
  const key = useSessionKey();
  const qc = useQueryClient();
  const [location] = useLocation();
  const [theme, setTheme] = useTheme();
  const visible = pages.filter((p) => !p.scopes || p.scopes.some((s) => hasScope(key, s)));
  const nav = visible.filter((p) => p.nav !== undefined);
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          Assay
        </Link>
        <nav aria-label="Main">
          <ul>
            {nav.map((p) => {
              const active = p.path === '/' ? location === '/' : location.startsWith(p.path);
              return (
                <li key={p.path}>
                  <Link href={p.path} aria-current={active ? 'page' : undefined}>
                    {p.title}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="account">
          <select aria-label="Theme" value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
            <option value="system">System theme</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
          <span className="muted small" title={`key ${key.id} (${key.scopes.join(', ')})`}>
            {key.name}
          </span>
          <button type="button" onClick={() => void signOut(qc)}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Switch>
            {visible.map((p) => (
              <Route key={p.path} path={p.path}>
                {(params) => <p.component params={params} />}
              </Route>
            ))}
            <Route>
              <EmptyState title="No such page">
                <p>
                  <Link href="/">Back to the overview</Link>
                </p>
              </EmptyState>
            </Route>
          </Switch>
        </Suspense>
      </main>
    </div>
  );
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <SessionGate>
        <Shell />
      </SessionGate>
    </QueryClientProvider>
  );
}
