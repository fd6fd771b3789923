/** The playground's answer: streamed text, tool calls, timings, usage, the trace link. */
import { Link } from 'wouter';
import { ErrorMessage } from '../../ui/feedback';
import { fmtCost, fmtInt, fmtMs } from '../../ui/format';
import { type CallResult } from './call';

const STATUS: Record<CallResult['status'], string> = { running: 'Streaming…', done: 'Done', stopped: 'Stopped', failed: 'Failed' };

export function ResultView({ r, onKeep }: { r: CallResult; onKeep: () => void }) {
  return (
    <>
      <p className="pg-status">
        <span className={`badge ${r.status === 'done' ? 'ok' : r.status === 'failed' ? 'error' : r.status === 'stopped' ? 'warn' : ''}`} role="status">
          {STATUS[r.status]}
        </span>
        {r.finishReason && <span className="muted small"> finish: {r.finishReason}</span>}
      </p>
      {r.error && <ErrorMessage error={r.error} title={r.error.status === 403 ? 'Not allowed' : 'The call failed'} />}
      {r.error?.status === 403 && /scope/.test(r.error.message) && (
        <p className="small">
          Calling models needs the <code>model</code> scope.
        </p>
      )}
      {(r.text || r.status === 'running') && (
        <div className="pg-answer" aria-label="Answer text" aria-live="polite">
          {r.text}
          {r.status === 'running' && <span className="pg-cursor" aria-hidden="true" />}
        </div>
      )}
      {r.toolCalls.map((t, i) => (
        <div key={i} className="pg-tool">
          <div>
            Tool call <code>{t.name}</code> {t.id && <span className="muted small">{t.id}</span>}
          </div>
          <pre>{prettyArgs(t.arguments)}</pre>
        </div>
      ))}
      <dl className="pg-facts">
        <dt>Time to first token</dt>
        <dd>{fmtMs(r.ttftMs)}</dd>
        <dt>Total time</dt>
        <dd>{r.status === 'running' ? '…' : fmtMs(r.totalMs)}</dd>
        {r.usage && (
          <>
            <dt>Usage</dt>
            <dd>
              {fmtInt(r.usage.prompt_tokens)} in · {fmtInt(r.usage.completion_tokens)} out · {fmtInt(r.usage.total_tokens)} total
              {typeof r.usage.cost === 'number' && ` · ${fmtCost(r.usage.cost)}`}
            </dd>
          </>
        )}
        {r.target && (
          <>
            <dt>Answered by</dt>
            <dd className="mono">{r.target}</dd>
          </>
        )}
        {r.traceId && (
          <>
            <dt>Trace</dt>
            <dd>
              <Link href={`/traces/${encodeURIComponent(r.traceId)}`} className="mono" aria-label={`Trace ${r.traceId}`}>
                {r.traceId}
              </Link>
            </dd>
          </>
        )}
      </dl>
      {r.status !== 'running' && (r.text || r.toolCalls.length > 0) && (
        <button type="button" onClick={onKeep}>
          Add the answer to the conversation
        </button>
      )}
    </>
  );
}

function prettyArgs(s: string): string {
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
}
