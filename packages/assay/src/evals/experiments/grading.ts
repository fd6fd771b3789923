/**
 * Grading for experiments over the scorers module: a run's assertions (the experiment's, then the
 * item's) compiled once per distinct list, model-graded assertions asked through the gateway
 * (traced under the run's span), embeddings for `similar`, JavaScript scorers in the sandbox.
 */
import type { Embedder } from '../../gateway/embedder.js';
import type { CallContext, ChatHandler } from '../../gateway/spec.js';
import type { Sandbox } from '../../sandbox/index.js';
import { newTraceId } from '../../tracing/ids.js';
import { emptyObservation, Span, type ObservationSink } from '../../tracing/span.js';
import { compileTest, graderFromChat, type CompiledTest, type ScorerDeps } from '../scorers/index.js';
import type { GradeFn } from './runner.js';
import type { AssertionLike } from './types.js';

export interface GradingDeps {
  chat: ChatHandler;
  sink: ObservationSink;
  sandbox: Sandbox;
  embedFor: (model: string) => Embedder;
  /** Embedding model for `similar` when the assertion names none. */
  defaultEmbeddingModel?: string;
}

/** Scorer dependencies for one experiment (its grader model). */
export function scorerDeps(deps: GradingDeps, grader?: string): ScorerDeps {
  const makeCtx = (): CallContext => {
    const span = new Span(deps.sink, emptyObservation({ trace_id: newTraceId(), type: 'span', name: 'grading' }));
    return { traceId: span.traceId, signal: new AbortController().signal, keyId: null, userId: null, sessionId: null, tags: [], metadata: {}, span };
  };
  return {
    grade: graderFromChat(deps.chat, makeCtx),
    sandbox: deps.sandbox,
    embedFor: deps.embedFor,
    ...(deps.defaultEmbeddingModel ? { embed: deps.embedFor(deps.defaultEmbeddingModel) } : {}),
    ...(grader ? { defaultGrader: grader } : {}),
  };
}

/** Throws the scorers' 400 (naming the assertion's path) when a list cannot be compiled. */
export function checkAssertions(deps: GradingDeps) {
  return (assertions: AssertionLike[], where: string, grader?: string) => {
    try {
      compileTest(assertions, scorerDeps(deps, grader));
    } catch (err) {
      const e = err as Error & { param?: string | null };
      if (e.param) e.message = `${where}: ${e.message}`;
      throw err;
    }
  };
}

export function gradeFn(deps: GradingDeps, grader?: string): GradeFn {
  const sd = scorerDeps(deps, grader);
  const compiled = new Map<string, CompiledTest>();
  return async (assertions, input, opts) => {
    const key = JSON.stringify(assertions);
    let test = compiled.get(key);
    if (!test) {
      test = compileTest(assertions, sd);
      compiled.set(key, test);
    }
    const g = await test(
      {
        output: input.output, expected: input.expected, vars: input.vars, prompt: input.prompt, latencyMs: input.latencyMs, cost: input.cost,
        finishReason: input.finishReason, toolCalls: input.toolCalls,
      },
      { signal: opts.signal, parent: opts.parent },
    );
    return {
      pass: g.pass,
      score: g.score,
      results: g.results.map((r) => ({
        type: r.assertion.type, pass: r.pass, score: r.score, reason: r.reason,
        ...(r.metric ? { metric: r.metric } : {}), ...(r.error !== undefined ? { error: r.error } : {}), ...(r.metadata ? { metadata: r.metadata as Record<string, unknown> } : {}),
      })),
    };
  };
}
