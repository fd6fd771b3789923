/**
 * One trace (GET /api/traces/:id): the observation tree with a timeline, and the selected
 * observation (`?obs=<id>` in the URL) as a readable chat with tokens, cost, latency, attempts,
 * metadata, scores and the raw JSON.
 */
import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'wouter';
import { api, ApiError, qs } from '../../api';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { JsonView } from '../../ui/json';
import { fmtCost, fmtInt, fmtMs, fmtTime } from '../../ui/format';
import { traceKey, tracePath, type Observation, type Page, type Score, type TraceDetail } from '../../ui/trace';
import { hasScope, useSessionKey } from '../../session';
import { AddScore } from './add-score';
import { AddToDataset } from './add-to-dataset';
import { Card, ObservationView, ScoreList } from './observation';
import { StatusBadge, treeRows, Waterfall } from './tree';
import './trace.css';


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
  const sessionKey = useSessionKey();
  const canWrite = hasScope(sessionKey, 'admin');
  // Scores are written with the ingest scope (POST /api/scores).
  const canScore = hasScope(sessionKey, 'ingest');
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
        {(canWrite || canScore) && (
          <div className="trace-actions">
            {canScore && <AddScore traceId={trace.id} />}
            {canWrite && <AddToDataset traceId={trace.id} />}
          </div>
        )}
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

