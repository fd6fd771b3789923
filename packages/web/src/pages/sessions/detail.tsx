/**
 * One session (GET /api/sessions/:id): its traces oldest first, read like a conversation: each
 * trace's newest user message and its answer (loaded per trace, a batch at a time), with a link to
 * the trace.
 */
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, ApiError, qs } from '../../api';
import { lastText, parseJsonText, toMessages } from '../../ui/chat';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtCost, fmtInt, fmtMs, fmtTime } from '../../ui/format';
import { callLabel, scoreValue, type SessionDetail, type TraceRow } from '../../ui/trace';
import './sessions.css';

const BATCH = 20;

export default function SessionPage({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? '';
  const session = useQuery({ queryKey: ['session-detail', id], queryFn: () => api<SessionDetail>(`/api/sessions/${encodeURIComponent(id)}?bodies=true`) });
  const [shown, setShown] = useState(BATCH);

  return (
    <div className="session-page">
      <p className="crumbs">
        <Link href="/sessions">← Sessions</Link>
      </p>
      {session.error ? (
        session.error instanceof ApiError && session.error.status === 404 ? (
          <EmptyState title="Session not found">
            <p>{session.error.message}</p>
          </EmptyState>
        ) : (
          <ErrorMessage error={session.error} title="The session could not be loaded" />
        )
      ) : !session.data ? (
        <Loading what="Loading session" />
      ) : (
        (() => {
          const s = session.data;
          const t = s.traces;
          const first = t[0]?.start_time ?? 0;
          const last = Math.max(...t.map((r) => r.end_time ?? r.start_time));
          const users = [...new Set(t.map((r) => r.user_id).filter(Boolean))] as string[];
          const cost = t.some((r) => (r.totals?.cost ?? r.cost) !== null) ? t.reduce((a, r) => a + (r.totals?.cost ?? r.cost ?? 0), 0) : null;
          const tokens = t.reduce((a, r) => a + (r.totals?.total_tokens ?? r.total_tokens ?? 0), 0);
          const errors = t.filter((r) => r.status === 'error').length;
          return (
            <>
              <h1>
                Session <code>{s.session_id}</code>
              </h1>
              <p className="muted small session-meta">
                {users.length > 0 && <>User {users.join(', ')} · </>}
                {fmtTime(first)} – {fmtTime(last)} ·{' '}
                <Link href={`/traces${qs({ session: s.session_id })}`}>Show these traces in the trace list</Link>
              </p>
              <div className="cards">
                <Card label="Traces" value={`${fmtInt(t.length)}${s.truncated ? '+' : ''}`} />
                <Card label="Failed" value={fmtInt(errors)} />
                <Card label="Duration" value={fmtMs(last - first)} />
                <Card label="Tokens" value={fmtInt(tokens)} />
                <Card label="Cost" value={fmtCost(cost)} />
              </div>
              {s.scores.length > 0 && (
                <>
                  <h2>Scores</h2>
                  <ul className="session-scores">
                    {s.scores.map((sc) => (
                      <li key={sc.id}>
                        <strong>{sc.name}</strong> {scoreValue(sc)} <span className="muted small">{sc.source}</span>
                        {sc.comment && <span className="small"> — {sc.comment}</span>}
                      </li>
                    ))}
                  </ul>
                </>
              )}
              <h2>Conversation</h2>
              {s.truncated && (
                <p className="muted small">
                  Only the first {t.length} traces are shown; <Link href={`/traces${qs({ session: s.session_id })}`}>page through all of them</Link>.
                </p>
              )}
              <ol className="conversation" aria-label="Traces of this session, oldest first">
                {t.slice(0, shown).map((r, i) => (
                  <Turn key={r.trace_id} row={r} n={i + 1} />
                ))}
              </ol>
              {shown < t.length && (
                <button type="button" onClick={() => setShown(shown + BATCH)}>
                  Show {Math.min(BATCH, t.length - shown)} more of {t.length - shown}
                </button>
              )}
            </>
          );
        })()
      )}
    </div>
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

/** A short readable form of a non-chat input or output. */
function summary(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    const j = parseJsonText(v);
    return j === undefined ? v : JSON.stringify(j);
  }
  const s = JSON.stringify(v);
  return s.length > 400 ? s.slice(0, 400) + '…' : s;
}

function Turn({ row, n }: { row: TraceRow & { input?: unknown; output?: unknown }; n: number }) {
  // The session answer carries each root's input and output (?bodies=true): no request per turn.
  const question = lastText(toMessages(row.input), 'user') ?? summary(row.input);
  const answer = lastText(toMessages(row.output, 'assistant'), 'assistant') ?? summary(row.output);
  const href = `/traces/${encodeURIComponent(row.trace_id)}`;
  return (
    <li className={`turn${row.status === 'error' ? ' turn-error' : ''}`}>
      <div className="turn-head small">
        <span className="muted">#{n}</span>
        <span>{fmtTime(row.start_time)}</span>
        <span className={`badge ${row.status === 'error' ? 'error' : 'ok'}`}>{row.status}</span>
        <span className="muted">{callLabel(row) || row.name}</span>
        <span className="muted">{fmtMs(row.latency_ms)}</span>
        <span className="muted">{fmtCost(row.totals?.cost ?? row.cost)}</span>
        <Link href={href} className="turn-link">
          Open trace<span className="sr-only"> #{n}</span>
        </Link>
      </div>
        <>
          {question && (
            <div className="bubble bubble-user">
              <span className="bubble-role">user</span>
              <div className="bubble-text">{question}</div>
            </div>
          )}
          {answer ? (
            <div className="bubble bubble-assistant">
              <span className="bubble-role">answer</span>
              <div className="bubble-text">{answer}</div>
            </div>
          ) : row.error ? (
            <div className="bubble bubble-error">
              <span className="bubble-role">error</span>
              <div className="bubble-text">{row.error}</div>
            </div>
          ) : null}
        </>
    </li>
  );
}
