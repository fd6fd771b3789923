/**
 * The router: the pipeline's innermost handler. Refuses a model the calling key may not use (every
 * layer's model calls end here: gateway/allow.ts), resolves the model name to a plan (route targets by
 * weight, then fallbacks), executes it, and for streams waits for the first chunk before committing
 * to a target, so connection errors, timeouts, 429 and 5xx before the first chunk still fall back.
 * After the first chunk a failure ends the stream with an error (there is no taking back bytes sent).
 */
import { UpstreamError } from '../../errors.js';
import type { RouterDefaults } from '../../config/schema.js';
import type { Span } from '../../tracing/span.js';
import { checkModel } from '../allow.js';
import type { ModelRegistry, RoutePlan, Target } from '../registry.js';
import type { CallContext, ChatHandler, EmbeddingsHandler } from '../spec.js';
import type { ChatCompletionChunk, ChatResult, Usage } from '../types.js';
import { CircuitBreaker } from './breaker.js';
import { attemptError, execute, type Executed } from './execute.js';
import type { AttemptTimer } from './timer.js';

export interface RouterOptions {
  registry: ModelRegistry;
  defaults: RouterDefaults;
  /** A stream is ended with an error after this long. */
  maxStreamMs: number;
  random?: () => number;
}

export interface Router {
  chat: ChatHandler;
  embeddings: EmbeddingsHandler;
  breaker: CircuitBreaker;
}

export function usageFields(usage: Usage | null | undefined) {
  if (!usage) return {};
  return {
    input_tokens: usage.prompt_tokens ?? null,
    output_tokens: usage.completion_tokens ?? null,
    total_tokens: usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0),
    cached_input_tokens: numberOrNull(usage.prompt_tokens_details?.cached_tokens),
    reasoning_tokens: numberOrNull(usage.completion_tokens_details?.reasoning_tokens),
    usage: usage as Record<string, unknown>,
  };
}

const numberOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const target0 = (plan: RoutePlan) => plan.targets[0].model;

/** What the router tells the client about how the call was served. */
function resultHeaders(done: Executed<unknown>): Record<string, string> {
  return {
    'x-assay-target': done.target.ref,
    'x-assay-attempts': String(done.attempts),
    'x-assay-upstream-ms': done.upstreamMs.toFixed(3),
  };
}

export function createRouter(opts: RouterOptions): Router {
  const { registry, defaults } = opts;
  const breaker = new CircuitBreaker(defaults.cooldown_failures, defaults.cooldown_ms);
  const deps = { breaker, defaults, random: opts.random };

  const chat: ChatHandler = async (req, ctx) => {
    checkModel(ctx, req.model);
    const plan = registry.resolve(req.model, (ref) => breaker.isOpen(ref), opts.random);
    ctx.span.set({ route: plan.route });
    const upstreamReq = { ...req, model: target0(plan), assay: undefined };
    const done = await execute<ChatResult>(plan, ctx, deps, async (target, span, timer) => {
      upstreamReq.model = target.model;
      const result = await target.provider.chat(upstreamReq, { signal: timer.signal, span });
      if (result.kind === 'response') {
        timer.dispose();
        span.end({ status_code: 200, ...usageFields(result.response.usage) });
        return result;
      }
      // Hold the stream until its first chunk: failures before it may still fall back.
      const it = result.chunks[Symbol.asyncIterator]();
      const first = await it.next();
      span.set({ ttft_ms: span.elapsed() });
      return { ...result, chunks: relay(first, it, target, span, timer, ctx, target.timeoutMs) };
    });
    return { ...done.value, headers: { ...done.value.headers, ...resultHeaders(done) } };
  };

  /** Relays the rest of a stream under the idle timeout and the stream limit; ends the attempt span. */
  async function* relay(
    first: IteratorResult<ChatCompletionChunk>,
    it: AsyncIterator<ChatCompletionChunk>,
    target: Target,
    span: Span,
    timer: AttemptTimer,
    ctx: CallContext,
    idleMs: number,
  ): AsyncGenerator<ChatCompletionChunk> {
    const deadline = Date.now() + opts.maxStreamMs;
    let usage: Usage | null = null;
    let finish: string | null = null;
    let done = false;
    const note = (c: ChatCompletionChunk) => {
      if (c.usage) usage = c.usage;
      for (const ch of c.choices ?? []) if (ch.finish_reason) finish = ch.finish_reason;
    };
    try {
      let r = first;
      while (!r.done) {
        note(r.value);
        yield r.value;
        const remaining = deadline - Date.now();
        if (remaining <= idleMs) timer.arm(Math.max(1, remaining), `stream hit the ${opts.maxStreamMs} ms stream limit: not finished`, 'stream');
        else timer.arm(idleMs, 'sent no stream chunk', 'stream');
        try {
          r = await it.next();
        } catch (err) {
          const e = attemptError(err, target, timer, ctx);
          const streamErr =
            e instanceof UpstreamError && e.failure !== 'stream'
              ? new UpstreamError({ status: e.status, failure: 'stream', target: target.ref, message: e.message, type: e.type, code: e.code })
              : e;
          if (e.status !== 499) breaker.failure(target.ref, e.message);
          span.fail(streamErr).end({ ...usageFields(usage), metadata: { ...span.observation.metadata, finish_reason: finish } });
          throw streamErr;
        }
      }
      done = true;
      timer.dispose();
      span.end({ status_code: 200, ...usageFields(usage), metadata: { ...span.observation.metadata, finish_reason: finish } });
    } finally {
      timer.dispose();
      if (!done && !span.isEnded) {
        // The consumer stopped early (client disconnect): release the upstream.
        span.fail({ message: 'client closed the stream', status: 499 }).end(usageFields(usage));
        await it.return?.();
      }
    }
  }

  const embeddings: EmbeddingsHandler = async (req, ctx) => {
    checkModel(ctx, req.model);
    const plan = registry.resolve(req.model, (ref) => breaker.isOpen(ref), opts.random);
    ctx.span.set({ route: plan.route });
    const done = await execute(plan, ctx, deps, async (target, span, timer) => {
      const res = await target.provider.embeddings({ ...req, model: target.model, assay: undefined }, { signal: timer.signal, span });
      timer.dispose();
      span.end({ status_code: 200, input_tokens: res.usage?.prompt_tokens ?? null, total_tokens: res.usage?.total_tokens ?? null });
      return res;
    });
    return done.value;
  };

  return { chat, embeddings, breaker };
}
