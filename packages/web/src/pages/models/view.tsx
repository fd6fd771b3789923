/**
 * Models & routes: the configured routes (targets, weights, fallbacks, retries, timeouts) and
 * providers with their models, and every target's circuit-breaker health, refreshed every 3 s.
 */
import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api } from '../../api';
import { hasScope, useSessionKey } from '../../session';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtAgo, fmtInt, fmtMs, fmtTime } from '../../ui/format';
import './models.css';

interface Health {
  target: string;
  state: 'closed' | 'open' | 'half_open';
  consecutive_failures: number;
  last_error: string | null;
  last_failure_at: number | null;
  cooldown_until: number | null;
  successes: number;
  failures: number;
}

interface RouteTarget {
  model: string;
  weight?: number;
  timeout_ms: number | null;
  health: Health;
}

interface RouteInfo {
  name: string;
  description: string | null;
  retries: number;
  timeout_ms: number;
  targets: RouteTarget[];
  fallbacks: RouteTarget[];
}

interface RoutesResponse {
  data: RouteInfo[];
  providers: { id: string; type: string; models: string[] }[];
  targets: Health[];
}

const REFRESH_MS = 3_000;

/** Re-render every second so countdowns and "ago" stay current between fetches. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export default function ModelsPage() {
  const q = useQuery({
    queryKey: ['routes'],
    queryFn: () => api<RoutesResponse>('/api/routes'),
    refetchInterval: REFRESH_MS,
    refetchIntervalInBackground: false,
  });
  const now = useNow();

  return (
    <div className="models">
      <div className="models-head">
        <h1>Models &amp; routes</h1>
        {q.dataUpdatedAt > 0 && (
          <span className="muted small">
            Health updated {fmtAgo(q.dataUpdatedAt, now)} · refreshes every {REFRESH_MS / 1000} s
          </span>
        )}
      </div>
      {q.error && <ErrorMessage error={q.error} title={q.data ? 'Refreshing failed (showing the last answer)' : 'Routes could not be loaded'} />}
      {q.isPending ? <Loading what="Loading routes" /> : q.data ? <Content data={q.data} now={now} /> : null}
    </div>
  );
}

function Content({ data, now }: { data: RoutesResponse; now: number }) {
  const key = useSessionKey();
  const canTry = hasScope(key, 'model');
  if (data.data.length === 0 && data.providers.length === 0) {
    return (
      <EmptyState title="Nothing configured yet">
        <p>
          Add a provider (and optionally routes) to <code>assay.config.yaml</code> and restart Assay. See <code>docs/configuration.md</code>.
        </p>
      </EmptyState>
    );
  }
  const inRoutes = new Set(data.data.flatMap((r) => [...r.targets, ...r.fallbacks].map((t) => t.model)));
  const others = data.targets.filter((t) => !inRoutes.has(t.target));
  return (
    <>
      <section aria-labelledby="models-routes">
        <h2 id="models-routes">Routes</h2>
        {data.data.length === 0 ? (
          <p className="muted">
            No routes: apps call models as <code>provider/model</code>. A route gives a model name with weighted targets, fallbacks and retries.
          </p>
        ) : (
          data.data.map((r) => <RouteCard key={r.name} r={r} now={now} canTry={canTry} />)
        )}
      </section>

      <section aria-labelledby="models-providers">
        <h2 id="models-providers">Providers</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">Type</th>
                <th scope="col">Models</th>
              </tr>
            </thead>
            <tbody>
              {data.providers.map((p) => (
                <tr key={p.id}>
                  <th scope="row" className="cell-name">
                    {p.id}
                  </th>
                  <td>{p.type}</td>
                  <td className="wrap">
                    {p.models.length === 0 ? (
                      <span className="muted">any (not listed)</span>
                    ) : (
                      <ul className="model-list">
                        {p.models.map((m) => (
                          <li key={m}>
                            <code>
                              {p.id}/{m}
                            </code>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      {others.length > 0 && (
        <section aria-labelledby="models-direct">
          <h2 id="models-direct">Models called directly</h2>
          <p className="muted small">Targets called as provider/model (not through a route) since Assay started.</p>
          <HealthTable rows={others.map((h) => ({ kind: null, model: h.target, weight: undefined, timeout_ms: null, health: h }))} now={now} />
        </section>
      )}
    </>
  );
}

function RouteCard({ r, now, canTry }: { r: RouteInfo; now: number; canTry: boolean }) {
  const id = `route-${r.name.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  const all = [...r.targets, ...r.fallbacks];
  const down = all.filter((t) => t.health.state !== 'closed').length;
  return (
    <section className="route-card" aria-labelledby={id}>
      <div className="route-card-head">
        <h3 id={id}>
          <code>{r.name}</code>
        </h3>
        <span className={`badge ${down === 0 ? 'ok' : down === all.length ? 'error' : 'warn'}`}>
          {down === 0 ? 'all targets healthy' : `${down} of ${all.length} cooling down`}
        </span>
        <span className="muted small">
          retries {r.retries} · timeout {fmtMs(r.timeout_ms)}
        </span>
        {canTry && (
          <Link href={`/playground?model=${encodeURIComponent(r.name)}`} className="small">
            Try in playground
          </Link>
        )}
      </div>
      {r.description && <p className="muted">{r.description}</p>}
      <HealthTable
        label={`Targets of ${r.name}`}
        rows={[...r.targets.map((t) => ({ ...t, kind: 'target' as const })), ...r.fallbacks.map((t, i) => ({ ...t, kind: `fallback ${i + 1}` }))]}
        now={now}
        routeTimeout={r.timeout_ms}
      />
    </section>
  );
}

const STATE: Record<Health['state'], { label: string; cls: string; help: string }> = {
  closed: { label: 'healthy', cls: 'ok', help: 'closed: calls go through' },
  open: { label: 'cooling down', cls: 'error', help: 'open: skipped until the cooldown ends' },
  half_open: { label: 'probing', cls: 'warn', help: 'half-open: the next call is a probe; success closes it' },
};

function HealthTable({
  rows,
  now,
  label,
  routeTimeout,
}: {
  rows: (RouteTarget & { kind: string | null })[];
  now: number;
  label?: string;
  routeTimeout?: number;
}) {
  const showKind = rows.some((r) => r.kind);
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            {showKind && <th scope="col">Role</th>}
            <th scope="col">Target</th>
            {showKind && <th scope="col" className="num">Weight</th>}
            {showKind && <th scope="col" className="num">Timeout</th>}
            <th scope="col">Health</th>
            <th scope="col" className="num">Calls ok / failed</th>
            <th scope="col" className="num">Failures in a row</th>
            <th scope="col">Last error</th>
            <th scope="col">Cooldown until</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => {
            const h = t.health;
            const st = STATE[h.state];
            const left = h.cooldown_until ? h.cooldown_until - now : 0;
            return (
              <tr key={`${t.kind}-${t.model}`}>
                {showKind && <td className="muted">{t.kind}</td>}
                <th scope="row" className="cell-name">
                  <code>{t.model}</code>
                </th>
                {showKind && <td className="num">{t.kind === 'target' ? (t.weight ?? 1) : '—'}</td>}
                {showKind && (
                  <td className="num" title={t.timeout_ms === null ? 'the route’s timeout' : undefined}>
                    {fmtMs(t.timeout_ms ?? routeTimeout ?? null)}
                  </td>
                )}
                <td>
                  <span className={`badge ${st.cls}`} title={st.help}>
                    {st.label}
                  </span>
                </td>
                <td className="num">
                  {fmtInt(h.successes)} / {fmtInt(h.failures)}
                </td>
                <td className="num">{fmtInt(h.consecutive_failures)}</td>
                <td className="wrap last-error">
                  {h.last_error ? (
                    <>
                      <span>{h.last_error}</span>
                      {h.last_failure_at && <span className="muted small"> · {fmtAgo(h.last_failure_at, now)}</span>}
                    </>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>
                  {h.cooldown_until ? (
                    <>
                      {fmtTime(h.cooldown_until)}
                      <span className="muted small"> {left > 0 ? `(in ${Math.ceil(left / 1000)} s)` : '(ended: next call probes)'}</span>
                    </>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
