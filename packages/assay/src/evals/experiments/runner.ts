/**
 * Runs an experiment: every item × variant × repeat as a call through the gateway pipeline (so
 * each call is traced — tagged `experiment:<id>` — priced, and goes through routes, budgets,
 * prompt resolution and tools like an app's call), with bounded concurrency; each output is graded
 * by the item's and the experiment's assertions; results are written as they finish.
 */
import { setMaxListeners } from 'node:events';
import { wholeCompletion } from '../../gateway/accumulate.js';
import { contentText } from '../../gateway/content.js';
import { usageFields } from '../../gateway/router/index.js';
import type { CallContext, ChatHandler } from '../../gateway/spec.js';
import type { ChatCompletion, ChatMessage, ChatRequest } from '../../gateway/types.js';
import { newTraceId } from '../../tracing/ids.js';
import { emptyObservation, Span, type ObservationSink } from '../../tracing/span.js';
import type { AssertionLike, AssertionOutcome, ExperimentDefinition, InlineItem, ResultRow, VariantSpec } from './types.js';

/** What grading needs to know about one run. */
export interface GradeInput {
  output: string;
  expected?: unknown;
  vars: Record<string, unknown>;
  prompt: string;
  latencyMs: number;
  cost: number | null;
  finishReason?: string;
  toolCalls?: { name: string; arguments: string }[];
}

export type GradeFn = (assertions: AssertionLike[], input: GradeInput, opts: { signal: AbortSignal; parent: Span }) => Promise<{ pass: boolean; score: number; results: AssertionOutcome[] }>;

/** {{var}} rendering of inline templates (the prompt registry's renderer). */
export type RenderFn = (template: string, vars: Record<string, unknown>) => string;

export interface RunnerDeps {
  chat: ChatHandler;
  sink: ObservationSink;
  grade: GradeFn;
  render: RenderFn;
  projectId: string;
  keyId: string | null;
}

export interface RunHooks {
  signal: AbortSignal;
  /** Called with finished rows (in batches); the runner awaits it (back-pressure on the store). */
  onResults(rows: ResultRow[]): Promise<void>;
}

interface Task {
  item: InlineItem;
  variant: VariantSpec;
  repeat: number;
}

const textOf = (m: ChatMessage): string => contentText(m.content);

/** The request for one run: the variant's template (or registry prompt) with the item's vars, then the item's own messages. */
export function buildRequest(def: ExperimentDefinition, variant: VariantSpec, item: InlineItem, render: RenderFn): ChatRequest {
  const vars = item.vars ?? {};
  const messages: ChatMessage[] = [];
  if (variant.messages) {
    for (const m of variant.messages) messages.push(typeof m.content === 'string' ? { ...m, content: render(m.content, vars) } : m);
  }
  messages.push(...(item.messages ?? []));
  const req: ChatRequest = { ...(variant.params ?? {}), model: variant.model, messages, stream: false };
  if (variant.prompt) {
    // Resolved by the pipeline's prompt layer: the trace records the prompt's name and version.
    req.assay = { ...(req.assay ?? {}), prompt: { name: variant.prompt.name, ...(variant.prompt.version ? { version: variant.prompt.version } : {}), ...(variant.prompt.label ? { label: variant.prompt.label } : {}), variables: vars } };
  }
  if (messages.length === 0 && !variant.prompt) {
    throw new Error(`item ${item.id} has no messages and variant ${variant.id} has no prompt: nothing to send`);
  }
  void def;
  return req;
}

async function complete(chat: ChatHandler, req: ChatRequest, ctx: CallContext): Promise<ChatCompletion> {
  return wholeCompletion(await chat(req, ctx));
}

export async function runExperiment(id: string, def: ExperimentDefinition, items: InlineItem[], deps: RunnerDeps, hooks: RunHooks, skip: Set<string> = new Set()): Promise<void> {
  const tasks: Task[] = [];
  for (const item of items) for (const variant of def.variants) for (let repeat = 0; repeat < def.repeats; repeat++) {
    if (!skip.has(`${item.id}\u0000${variant.id}\u0000${repeat}`)) tasks.push({ item, variant, repeat });
  }
  let next = 0;
  let pending: ResultRow[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const flush = async (force = false) => {
    if (!force && pending.length < 20) return;
    const rows = pending;
    pending = [];
    flushing = flushing.then(() => hooks.onResults(rows));
    await flushing;
  };

  const runOne = async (t: Task): Promise<ResultRow> => {
    const traceId = newTraceId();
    const span = new Span(deps.sink, emptyObservation({
      trace_id: traceId, type: 'generation', name: 'experiment', project_id: deps.projectId, key_id: deps.keyId,
      tags: [`experiment:${id}`, `variant:${t.variant.id}`, ...(def.tags ?? [])],
      metadata: { experiment: id, item: t.item.id, variant: t.variant.id, repeat: t.repeat },
    }));
    const base: ResultRow = {
      itemId: t.item.id, variant: t.variant.id, repeat: t.repeat, output: null, pass: false, score: 0, assertions: [],
      latencyMs: null, inputTokens: null, outputTokens: null, cost: null, cached: false, traceId, error: null,
    };
    // Each run listens on its own signal (tied to the experiment's), so listeners never pile up on one.
    const run = new AbortController();
    const stop = () => run.abort(hooks.signal.reason);
    hooks.signal.addEventListener('abort', stop, { once: true });
    try {
      return await runWith(t, traceId, span, base, run.signal);
    } finally {
      hooks.signal.removeEventListener('abort', stop);
    }
  };

  const runWith = async (t: Task, traceId: string, span: Span, base: ResultRow, signal: AbortSignal): Promise<ResultRow> => {
    const ctx: CallContext = { traceId, signal, keyId: deps.keyId, userId: null, sessionId: null, tags: span.observation.tags, metadata: {}, span };
    let completion: ChatCompletion;
    let req: ChatRequest;
    const t0 = performance.now();
    try {
      req = buildRequest(def, t.variant, t.item, deps.render);
      span.set({ input: req, model: t.variant.model });
      completion = await complete(deps.chat, req, ctx);
    } catch (err) {
      const e = err as { message?: string; status?: number };
      span.fail({ message: e.message ?? String(err), status: e.status }).end();
      return { ...base, error: e.message ?? String(err), latencyMs: performance.now() - t0 };
    }
    const latencyMs = performance.now() - t0;
    const message = completion.choices?.[0]?.message;
    const output = typeof message?.content === 'string' ? message.content : '';
    span.end({ status_code: 200, output: completion, ...usageFields(completion.usage), latency_ms: latencyMs });
    const cost = span.observation.cost; // priced when recorded
    const row: ResultRow = {
      ...base, output, latencyMs, cost,
      inputTokens: completion.usage?.prompt_tokens ?? null, outputTokens: completion.usage?.completion_tokens ?? null,
    };
    const assertions = [...def.assert, ...(t.item.assert ?? [])];
    if (assertions.length === 0) return { ...row, pass: true, score: 1 };
    const graded = await deps.grade(assertions, {
      output, expected: t.item.expected, vars: t.item.vars ?? {}, prompt: req.messages.map(textOf).join('\n'), latencyMs, cost,
      finishReason: completion.choices?.[0]?.finish_reason ?? undefined,
      toolCalls: message?.tool_calls?.map((c) => ({ name: c.function.name, arguments: c.function.arguments })),
    }, { signal, parent: span });
    return { ...row, pass: graded.pass, score: graded.score, assertions: graded.results };
  };

  setMaxListeners(Math.max(10, def.concurrency + 10), hooks.signal);
  const worker = async () => {
    while (next < tasks.length && !hooks.signal.aborted) {
      const t = tasks[next++];
      // Not `pending.push(await …)`: that reads `pending` before the await, and a flush may swap it meanwhile.
      const row = await runOne(t);
      pending.push(row);
      await flush();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(def.concurrency, tasks.length)) }, worker));
  await flush(true);
}
