/**
 * What every strategy of one verification shares: the budget, the usage total, and the two ways to
 * call a model — `generate` through the rest of the pipeline (tool loop, router: how the answer
 * itself is made) and `verifier` straight to the router (checker and grader calls, which must not
 * run the route's tools or its verification again). Every call is non-streaming and counted.
 */
import { AssayError } from '../errors.js';
import { contentText } from '../gateway/content.js';
import type { CallContext, ChatHandler } from '../gateway/spec.js';
import type { ChatCompletion, ChatMessage, ChatRequest } from '../gateway/types.js';
import { UsageTotal } from '../gateway/usage.js';
import { wholeCompletion } from '../gateway/accumulate.js';
import type { Sandbox } from '../sandbox/index.js';
import type { ScorerDeps } from '../evals/scorers/index.js';
import type { Span } from '../tracing/span.js';
import type { VerifyBudget } from './spec.js';
import type { StopReason } from './types.js';

/** Thrown by a call that the budget does not allow; strategies stop and finish with what they have. */
export class BudgetExhausted extends Error {
  constructor(readonly reason: StopReason) {
    super(`the verification budget ran out (${reason})`);
    this.name = 'BudgetExhausted';
  }
}

export interface VerifyEnv {
  ctx: CallContext;
  /** The pipeline below verification (tool loop → router). */
  next: ChatHandler;
  /** The router: for verifier and grader calls. */
  direct: ChatHandler;
  sandbox: Sandbox;
  /** Scorer dependencies (embeddings for `similar`) minus the grader, which the env supplies. */
  scorers: Omit<ScorerDeps, 'grade' | 'defaultGrader' | 'sandbox'>;
  storeBodies: boolean;
}

export interface Called {
  completion: ChatCompletion;
  headers: Record<string, string>;
  /** The answer's text ('' when none). */
  content: string;
}

export class Verification {
  readonly usage = new UsageTotal();
  calls = 0;
  private readonly deadline: number;
  readonly started = performance.now();

  constructor(
    readonly env: VerifyEnv,
    readonly budget: VerifyBudget,
  ) {
    this.deadline = budget.timeout_ms ? Date.now() + budget.timeout_ms : Infinity;
  }

  /** Throws BudgetExhausted when no further call may start. `calls` counts model calls, tool-loop steps included. */
  take(): void {
    this.env.ctx.signal.throwIfAborted();
    if (this.calls >= this.budget.max_calls) throw new BudgetExhausted('max_calls');
    if (this.budget.max_tokens !== undefined && this.usage.total >= this.budget.max_tokens) throw new BudgetExhausted('max_tokens');
    if (Date.now() >= this.deadline) throw new BudgetExhausted('timeout');
    this.calls++;
  }

  /** A candidate answer through the rest of the pipeline, traced under `span`. */
  async generate(req: ChatRequest, span: Span): Promise<Called> {
    const called = await this.call(this.env.next, req, span);
    this.env.ctx.span.adoptTarget(span);
    return called;
  }

  /** A verifier call straight to the router, traced as an evaluator span under `parent`. */
  async verifier(req: ChatRequest, parent: Span, name: string): Promise<Called> {
    const span = parent.child('evaluator', name, { model: req.model });
    if (this.env.storeBodies) span.set({ input: { messages: req.messages, response_format: req.response_format } });
    try {
      const r = await this.call(this.env.direct, req, span);
      span.end({ status_code: 200, output: this.env.storeBodies ? r.content : null });
      return r;
    } catch (err) {
      const e = err as { message?: string; status?: number };
      span.fail({ message: e.message ?? String(err), status: e.status }).end();
      throw err;
    }
  }

  /** The ChatHandler graders get: straight to the router, counted against the budget. */
  graderChat(): ChatHandler {
    return async (req, ctx) => {
      const r = await this.call(this.env.direct, req, ctx.span);
      return { kind: 'response', response: r.completion, headers: r.headers };
    };
  }

  ctxFor(span: Span): CallContext {
    return { ...this.env.ctx, span };
  }

  private async call(handler: ChatHandler, req: ChatRequest, span: Span): Promise<Called> {
    this.take();
    const body: ChatRequest = { ...req, stream: false };
    delete body.stream_options;
    const result = await handler(body, this.ctxFor(span));
    // A candidate made by the tool loop took one model call per step.
    const steps = Number(result.headers?.['x-assay-tool-steps'] ?? 1);
    if (Number.isInteger(steps) && steps > 1) this.calls += steps - 1;
    const completion = await wholeCompletion(result);
    this.usage.add(completion.usage);
    return { completion, headers: result.headers ?? {}, content: contentText(completion.choices?.[0]?.message?.content) };
  }

  elapsedMs(): number {
    return Math.round((performance.now() - this.started) * 1000) / 1000;
  }
}

/** The request's messages followed by the model's last answer and our feedback on it. */
export function withFeedback(messages: ChatMessage[], answer: string, feedback: string): ChatMessage[] {
  return [...messages, { role: 'assistant', content: answer }, { role: 'user', content: feedback }];
}

/** A completion whose answer text is replaced (tool calls dropped: the text is the verified answer). */
export function withContent(c: ChatCompletion, content: string): ChatCompletion {
  const choice = c.choices?.[0];
  const { tool_calls: _t, ...message } = choice?.message ?? { role: 'assistant' as const };
  return {
    ...c,
    choices: [{ ...(choice ?? {}), index: 0, message: { ...message, role: 'assistant', content }, finish_reason: choice?.finish_reason === 'tool_calls' ? 'stop' : (choice?.finish_reason ?? 'stop') }],
  };
}

/** The user's mistake in a call (4xx other than 408/429): it would fail every sample the same way. */
export function isClientError(err: unknown): boolean {
  const status = err instanceof AssayError ? err.status : (err as { status?: number })?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Time since `t0` (performance.now()), in ms with µs precision. */
export const msSince = (t0: number) => Math.round((performance.now() - t0) * 1000) / 1000;
