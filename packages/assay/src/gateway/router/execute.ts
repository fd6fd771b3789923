/**
 * Runs a plan: the targets in order, each with retries (exponential backoff with jitter, honouring
 * retry-after), per-attempt timeouts, and the circuit breaker. Every attempt is a child span of the
 * call. Non-retryable failures (the request's own fault) end the call at once with the upstream's
 * status and message.
 */
import { AssayError, UpstreamError, clientClosed } from '../../errors.js';
import type { RouterDefaults } from '../../config/schema.js';
import type { Span } from '../../tracing/span.js';
import type { RoutePlan, Target } from '../registry.js';
import type { CallContext } from '../spec.js';
import { backoffDelay, sleep } from './backoff.js';
import type { CircuitBreaker } from './breaker.js';
import { AttemptTimer } from './timer.js';

export interface Attempt<T> {
  (target: Target, span: Span, timer: AttemptTimer): Promise<T>;
}

export interface ExecuteDeps {
  breaker: CircuitBreaker;
  defaults: RouterDefaults;
  random?: () => number;
}

export interface Executed<T> {
  value: T;
  target: Target;
  attempts: number;
  /** Time spent waiting on upstreams across attempts (to the first chunk for streams), ms. */
  upstreamMs: number;
}

/** Normalise anything an attempt threw: the client's abort, the timer's timeout, or the error itself. */
export function attemptError(err: unknown, target: Target, timer: AttemptTimer, ctx: CallContext): AssayError {
  if (ctx.signal.aborted && !timer.fired) return clientClosed();
  if (timer.fired && timer.signal.reason instanceof UpstreamError) return timer.signal.reason;
  if (err instanceof AssayError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UpstreamError({ status: 502, failure: 'connection', target: target.ref, message: `${target.ref} failed: ${message}`, cause: err });
}

export async function execute<T>(
  plan: RoutePlan,
  ctx: CallContext,
  deps: ExecuteDeps,
  attempt: Attempt<T>,
): Promise<Executed<T>> {
  const { breaker, defaults } = deps;
  const random = deps.random ?? Math.random;
  let last: AssayError | null = null;
  let n = 0;
  let upstreamMs = 0;
  const skipped: string[] = [];

  // Targets cooling down are skipped; when all are, the first is tried anyway rather than failing unasked.
  let candidates = plan.targets.filter((t) => !breaker.isOpen(t.ref));
  if (candidates.length === 0) candidates = [plan.targets[0]];
  for (const t of plan.targets) if (!candidates.includes(t)) skipped.push(t.ref);

  targets: for (let ti = 0; ti < candidates.length; ti++) {
    const target = candidates[ti];
    breaker.allow(target.ref); // claims the half-open probe when the cooldown has passed
    for (let retry = 0; retry <= plan.retries; retry++) {
      if (ctx.signal.aborted) throw clientClosed();
      n++;
      const span = ctx.span.child('span', `attempt ${target.ref}`, {
        provider: target.provider.id,
        model: target.ref,
        metadata: { attempt: n, retry, fallback: target !== plan.targets[0] },
      });
      const timer = new AttemptTimer(target.ref, ctx.signal);
      timer.arm(target.timeoutMs, 'did not answer');
      try {
        const value = await attempt(target, span, timer);
        upstreamMs += span.elapsed();
        breaker.success(target.ref);
        ctx.span.set({ model: target.ref, provider: target.provider.id }).meta({ attempts: n, ...(skipped.length ? { skipped_in_cooldown: skipped } : {}) });
        return { value, target, attempts: n, upstreamMs };
      } catch (err) {
        timer.dispose();
        upstreamMs += span.elapsed();
        const e = attemptError(err, target, timer, ctx);
        span.fail(e).end();
        last = e;
        ctx.span.set({ model: target.ref, provider: target.provider.id }).meta({ attempts: n });
        if (e.status === 499) {
          breaker.release(target.ref);
          throw e;
        }
        if (!(e instanceof UpstreamError) || !e.fallbackable) {
          breaker.release(target.ref);
          throw e; // the request's own fault: another target would say the same
        }
        breaker.failure(target.ref, e.message);
        if (!e.retryable || retry === plan.retries) continue targets;
        if (e.retryAfterMs !== null && e.retryAfterMs > defaults.max_retry_after_ms) continue targets;
        const wait = e.retryAfterMs ?? backoffDelay(retry, defaults.backoff_ms, defaults.max_backoff_ms, random);
        try {
          await sleep(wait, ctx.signal);
        } catch {
          throw clientClosed();
        }
      }
    }
  }
  throw last!;
}
