/**
 * Overview: requests, errors, latency, tokens and cost over a time range, from GET /api/metrics,
 * optionally broken down by model or route. The range and the breakdown live in the URL.
 */
import { useEffect, useMemo } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'wouter';
import { api, qs } from '../../api';
import { hasScope, useSessionKey } from '../../session';
import { TimeChart, type ChartSeries } from '../../ui/chart';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtCost, fmtInt, fmtMs, fmtPct } from '../../ui/format';
import { TimeRangePicker, useTimeRange } from '../../ui/time-range';
import './overview.css';

const METRICS = ['requests', 'errors', 'error_rate', 'latency_p50', 'latency_p95', 'input_tokens', 'output_tokens', 'total_tokens', 'cost'] as const;
type Metric = (typeof METRICS)[number];
type Values = Record<Metric, number | null>;

interface MetricsResponse {
  from: number;
  to: number;
  interval_ms: number;
  group_by: string[];
  metrics: string[];
  totals: Values;
  series: { group: Record<string, string | null>; totals: Values; buckets: (Values & { start: number })[] }[];
  groups?: number;
}

const GROUPS = [
  { id: 'model', label: 'Model' },
  { id: 'route', label: 'Route' },
  { id: 'none', label: 'Nothing' },
] as const;
type GroupBy = (typeof GROUPS)[number]['id'];

/** How many groups get their own line in the charts (the table lists all). */
const CHART_GROUPS = 8;

const fmtRate = (v: number) => fmtPct(v);

export default function OverviewPage() {
  const range = useTimeRange('24h');
  const [params, setParams] = useSearchParams();
  const group: GroupBy = GROUPS.some((g) => g.id === params.get('group')) ? (params.get('group') as GroupBy) : 'model';
  const dim = group === 'none' ? null : group;

  const metricsPath = `/api/metrics${qs({ from: range.from, to: range.to, metrics: METRICS.join(','), group_by: dim })}`;
  const metrics = useQuery({
    queryKey: ['metrics', metricsPath],
    queryFn: () => api<MetricsResponse>(metricsPath),
    placeholderData: keepPreviousData,
  });

  // A preset window ("last hour") follows the clock: move it every 30 s.
  const { preset, refresh } = range;
  useEffect(() => {
    if (!preset) return;
    const t = setInterval(refresh, 30_000);
    return () => clearInterval(t);
  }, [preset, refresh]);

  const empty = metrics.data?.totals.requests === 0;
  // Whether there was ever a call (empty range vs. a brand-new install).
  const anyTrace = useQuery({
    queryKey: ['traces', 'any'],
    queryFn: () => api<{ data: unknown[] }>('/api/traces?limit=1'),
    enabled: empty,
  });

  return (
    <div className="overview">
      <div className="overview-head">
        <h1>Overview</h1>
        <div className="toolbar overview-toolbar">
          <TimeRangePicker range={range} onRefresh={() => void metrics.refetch()} />
          <div>
            <label htmlFor="overview-group">Break down by</label>
            <select
              id="overview-group"
              value={group}
              onChange={(e) =>
                setParams((prev) => {
                  const next = new URLSearchParams(prev);
                  next.set('group', e.target.value);
                  return next;
                })
              }
            >
              {GROUPS.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.label}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>
      {metrics.error ? (
        <ErrorMessage error={metrics.error} title="Metrics could not be loaded" />
      ) : !metrics.data ? (
        <Loading what="Loading metrics" />
      ) : empty && anyTrace.isPending ? (
        <Loading what="Loading metrics" />
      ) : empty && anyTrace.data && anyTrace.data.data.length === 0 ? (
        <GetStarted />
      ) : (
        <>
          <Cards totals={metrics.data.totals} />
          {empty ? (
            <EmptyState title="No calls in this time range">
              <p>
                Nothing was called between these times.{' '}
                {range.preset !== '30d' && (
                  <button type="button" onClick={() => range.setPreset('30d')}>
                    Show the last 30 days
                  </button>
                )}
              </p>
            </EmptyState>
          ) : (
            <>
              <Charts data={metrics.data} dim={dim} />
              {dim && <GroupTable data={metrics.data} dim={dim} />}
            </>
          )}
          <p className="muted small">
            Numbers from{' '}
            <a href={metricsPath} target="_blank" rel="noreferrer">
              GET /api/metrics
            </a>{' '}
            ({fmtMs(metrics.data.interval_ms)} buckets){metrics.isFetching ? ' · updating…' : ''}
          </p>
        </>
      )}
    </div>
  );
}

function Card({ label, value, sub }: { label: string; value: string; sub?: string }) {
  return (
    <div className="card" role="group" aria-label={label}>
      <div className="label">{label}</div>
      <div className="value">{value}</div>
      {sub && <div className="muted small">{sub}</div>}
    </div>
  );
}

function Cards({ totals }: { totals: Values }) {
  return (
    <section className="cards" aria-label="Totals">
      <Card label="Requests" value={fmtInt(totals.requests)} />
      <Card label="Error rate" value={fmtPct(totals.error_rate)} sub={`${fmtInt(totals.errors)} ${totals.errors === 1 ? 'error' : 'errors'}`} />
      <Card label="Latency p50" value={fmtMs(totals.latency_p50)} />
      <Card label="Latency p95" value={fmtMs(totals.latency_p95)} />
      <Card label="Tokens" value={fmtInt(totals.total_tokens)} sub={`${fmtInt(totals.input_tokens)} in · ${fmtInt(totals.output_tokens)} out`} />
      <Card label="Cost" value={fmtCost(totals.cost)} />
    </section>
  );
}

function groupLabel(g: Record<string, string | null>, dim: string): string {
  const v = g[dim];
  return v === null || v === undefined ? `(no ${dim})` : v;
}

function Charts({ data, dim }: { data: MetricsResponse; dim: string | null }) {
  const charts = useMemo(() => {
    const x = data.series[0]?.buckets.map((b) => b.start) ?? [];
    const col = (s: MetricsResponse['series'][number], m: Metric) => s.buckets.map((b) => b[m]);
    if (!dim) {
      const s = data.series[0];
      const one = (label: string, m: Metric): ChartSeries => ({ label, values: s ? col(s, m) : [] });
      return {
        x,
        requests: [one('requests', 'requests'), one('errors', 'errors')],
        errorRate: [one('error rate', 'error_rate')],
        latency: [one('p50', 'latency_p50'), one('p95', 'latency_p95')],
        tokens: [one('input', 'input_tokens'), one('output', 'output_tokens')],
        cost: [one('cost', 'cost')],
      };
    }
    const top = data.series.slice(0, CHART_GROUPS);
    const per = (m: Metric): ChartSeries[] => top.map((s) => ({ label: groupLabel(s.group, dim), values: col(s, m) }));
    return { x, requests: per('requests'), errorRate: per('error_rate'), latency: per('latency_p95'), tokens: per('total_tokens'), cost: per('cost') };
  }, [data, dim]);

  return (
    <section className="chart-grid" aria-label="Charts">
      <TimeChart title="Requests" x={charts.x} series={charts.requests} format={fmtInt} integer />
      <TimeChart title="Error rate" x={charts.x} series={charts.errorRate} format={fmtRate} />
      <TimeChart title={dim ? 'Latency p95' : 'Latency p50 / p95'} x={charts.x} series={charts.latency} format={fmtMs} />
      <TimeChart title={dim ? 'Tokens' : 'Tokens (input / output)'} x={charts.x} series={charts.tokens} format={fmtInt} integer />
      <TimeChart title="Cost" x={charts.x} series={charts.cost} format={fmtCost} />
    </section>
  );
}

function GroupTable({ data, dim }: { data: MetricsResponse; dim: string }) {
  const title = dim === 'model' ? 'Model' : 'Route';
  return (
    <section aria-labelledby="overview-groups">
      <h2 id="overview-groups">By {dim}</h2>
      <div className="table-wrap">
        <table aria-labelledby="overview-groups">
          <thead>
            <tr>
              <th scope="col">{title}</th>
              <th scope="col" className="num">Requests</th>
              <th scope="col" className="num">Errors</th>
              <th scope="col" className="num">Error rate</th>
              <th scope="col" className="num">p50</th>
              <th scope="col" className="num">p95</th>
              <th scope="col" className="num">Tokens</th>
              <th scope="col" className="num">Cost</th>
            </tr>
          </thead>
          <tbody>
            {data.series.map((s) => {
              const v = s.group[dim];
              const linkable = v !== null && v !== undefined && v !== '(other)';
              return (
                <tr key={String(v)}>
                  <th scope="row" className="group-name">
                    {linkable ? (
                      <Link href={`/traces${qs({ [dim]: v })}`} title={`Traces of ${v}`}>
                        {v}
                      </Link>
                    ) : (
                      groupLabel(s.group, dim)
                    )}
                  </th>
                  <td className="num">{fmtInt(s.totals.requests)}</td>
                  <td className="num">{fmtInt(s.totals.errors)}</td>
                  <td className="num">{fmtPct(s.totals.error_rate)}</td>
                  <td className="num">{fmtMs(s.totals.latency_p50)}</td>
                  <td className="num">{fmtMs(s.totals.latency_p95)}</td>
                  <td className="num">{fmtInt(s.totals.total_tokens)}</td>
                  <td className="num">{fmtCost(s.totals.cost)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {data.groups !== undefined && data.groups > data.series.length && (
        <p className="muted small">
          {data.groups} groups in all; the smallest are summed in “(other)”.
        </p>
      )}
    </section>
  );
}

/** First-run: no call was ever made. Tell the user how to make one. */
function GetStarted() {
  const key = useSessionKey();
  const origin = window.location.origin;
  const routes = useQuery({
    queryKey: ['routes'],
    queryFn: () => api<{ data: { name: string }[]; providers: { id: string; models: string[] }[] }>('/api/routes'),
  });
  const provider = routes.data?.providers.find((p) => p.models.length > 0);
  const model = routes.data?.data[0]?.name ?? (provider ? `${provider.id}/${provider.models[0]}` : 'provider/model');
  const curl = `curl ${origin}/v1/chat/completions \\
  -H "Authorization: Bearer $ASSAY_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello!"}]}'`;
  const python = `import os
from openai import OpenAI

client = OpenAI(base_url="${origin}/v1", api_key=os.environ["ASSAY_API_KEY"])
reply = client.chat.completions.create(model="${model}", messages=[{"role": "user", "content": "Hello!"}])
print(reply.choices[0].message.content)`;
  const node = `import OpenAI from 'openai';

const client = new OpenAI({ baseURL: '${origin}/v1', apiKey: process.env.ASSAY_API_KEY });
const reply = await client.chat.completions.create({ model: '${model}', messages: [{ role: 'user', content: 'Hello!' }] });
console.log(reply.choices[0].message.content);`;
  return (
    <EmptyState title="No calls yet">
      <p>
        Point your app at Assay: it speaks the OpenAI API at <code>{origin}/v1</code>. Every call then shows up here and in Traces.
      </p>
      <ol className="get-started">
        <li>
          {hasScope(key, 'admin') ? (
            <>
              <Link href="/keys">Create a key</Link> with the <code>model</code> scope
            </>
          ) : (
            <>Ask an admin for a key with the <code>model</code> scope</>
          )}{' '}
          and set it as <code>ASSAY_API_KEY</code>.
        </li>
        <li>
          Send a first request with curl:
          <pre aria-label="curl example">{curl}</pre>
        </li>
        <li>
          Or with the OpenAI SDK (Python or JavaScript), only the base URL and key change:
          <pre aria-label="Python example">{python}</pre>
          <pre aria-label="JavaScript example">{node}</pre>
        </li>
        <li>
          Or try a model right here in the <Link href="/playground">Playground</Link>.
        </li>
      </ol>
      {routes.error && <ErrorMessage error={routes.error} title="Routes could not be loaded" />}
    </EmptyState>
  );
}
