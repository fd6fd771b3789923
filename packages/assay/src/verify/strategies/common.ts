/**
 * The frame every strategy shares. A strategy is prepared once per call (its spec checked against
 * the request, so a mistake is a 400 before any model call) into a `Run`; it gets its candidates
 * from `produce`, which is either the model (through the rest of the pipeline) or the strategy it
 * wraps. Each run is a `verify:<strategy>` span, each attempt a child span of it.
 */
import { formatPath } from '../../config/load.js';
import { badRequest } from '../../errors.js';
import { contentText } from '../../gateway/content.js';
import type { Embedder } from '../../gateway/embedder.js';
import type { ChatCompletion, ChatMessage, ChatRequest } from '../../gateway/types.js';
import type { Span } from '../../tracing/span.js';
import { BudgetExhausted, msSince, type Verification } from '../run.js';
import type { AttemptReport, Outcome, StopReason, VerificationReport } from '../types.js';

export type Run = (req: ChatRequest, v: Verification, span: Span) => Promise<Outcome>;

/** A candidate answer: straight from the model, or the outcome of a wrapped strategy. */
export interface Candidate {
  completion: ChatCompletion | null;
  headers: Record<string, string>;
  content: string;
  /** False when the wrapped strategy did not pass (the candidate is then only a fallback). */
  ok: boolean;
  inner?: VerificationReport;
}

export type Produce = (req: ChatRequest, v: Verification, span: Span) => Promise<Candidate>;

export interface PrepareCtx {
  /** Where the spec came from, for error params: ['assay', 'verify'] or ['routes', i, 'verify']. */
  path: (string | number)[];
  /** Every target of the model is a local model (its JSON output is enforced by grammar). */
  grammar: boolean;
  embedFor?: (model: string) => Embedder;
  embed?: Embedder;
}

/** A 400 naming the spec's field. */
export function specError(pc: PrepareCtx, field: (string | number)[], message: string) {
  const param = formatPath([...pc.path, ...field]);
  return badRequest(`${param}: ${message}`, param, 'invalid_verify');
}

/** The answer is a call to the client's own tools: there is no text to verify. */
export function callsClientTool(c: ChatCompletion | null): boolean {
  return !!c?.choices?.[0]?.message?.tool_calls?.length;
}

/** The outcome of a wrapped strategy as a candidate of the one around it. */
export function candidateOf(o: Outcome): Candidate {
  return {
    completion: o.completion,
    headers: o.headers,
    content: contentText(o.completion?.choices?.[0]?.message?.content),
    ok: o.report.verdict === 'passed' || o.report.verdict === 'skipped',
    inner: o.report,
  };
}

/** Text of the last user message (the question a checker or grader is shown). */
export function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return contentText(messages[i].content);
  return '';
}

/**
 * One attempt: a child span, the time it took, and budget exhaustion turned into `null` (the
 * strategy stops and finishes with what it has). Other errors end the span and propagate.
 */
export async function attempt<T>(
  parent: Span,
  name: string,
  onStop: (r: StopReason) => void,
  fn: (span: Span) => Promise<T>,
): Promise<{ value: T; ms: number; span: Span } | null> {
  const span = parent.child('span', name);
  const t0 = performance.now();
  try {
    const value = await fn(span);
    return { value, ms: msSince(t0), span };
  } catch (err) {
    if (err instanceof BudgetExhausted) {
      onStop(err.reason);
      span.meta({ stopped: err.reason }).end();
      return null;
    }
    const e = err as { message?: string; status?: number };
    if (!span.isEnded) span.fail({ message: e.message ?? String(err), status: e.status }).end();
    throw err;
  }
}

/** Ends an attempt's span with its verdict. */
export function endAttempt(span: Span, a: AttemptReport): void {
  const { inner: _inner, ...rest } = a;
  span.meta({ verdict: a.verdict, ...(a.reason ? { reason: a.reason } : {}), ...(a.score !== undefined ? { score: a.score } : {}) });
  if (a.verdict !== 'pass') span.set({ level: 'WARNING' });
  span.end({ metadata: { ...span.observation.metadata, verify_attempt: rest } });
}

/** The outcome when the model called a client tool: returned as is, unverified. */
export function skipped(strategy: string, c: Candidate, attempts: AttemptReport[]): Outcome {
  return {
    completion: c.completion,
    headers: c.headers,
    report: { strategy, verdict: 'skipped', confidence: null, reason: 'the model called a client tool: there is no answer to verify yet', attempts },
  };
}
