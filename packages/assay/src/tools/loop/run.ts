/**
 * The tool loop: model step → server-side tool calls run by Assay → results fed back → next step,
 * until the model answers without calling a server tool, a client tool is called (it goes back to
 * the client), or a limit (steps, tokens, time) makes the last step answer without tools.
 *
 * One generator serves both kinds of client: it yields the chunks a streaming client sees (answer
 * text as it arrives, tool-call progress events on request) and returns the whole completion,
 * which a non-streaming client gets. Decisions use the message's tool calls, never finish_reason.
 */
import { ChunkAccumulator } from '../../gateway/accumulate.js';
import { usageFields } from '../../gateway/router/index.js';
import type { CallContext, ChatHandler } from '../../gateway/spec.js';
import type { ChatCompletion, ChatCompletionChunk, ChatMessage, ChatRequest, FunctionTool, ToolCall, ToolChoice } from '../../gateway/types.js';
import type { ToolLoopOptions } from '../spec.js';
import type { Citation, ServerTool } from '../types.js';
import { collectCitations, runToolCalls, toolMessages, type ToolRun } from './execute.js';
import type { PendingExchanges } from './pending.js';
import { UsageTotal } from '../../gateway/usage.js';

export type StopReason = 'max_steps' | 'max_total_tokens' | 'timeout';

/** The `assay` extension field of the final response (and of the stream's finish chunk). */
export interface LoopReport {
  tool_loop: {
    steps: number;
    /** Why the last step had to answer without tools, when a limit did it. */
    stopped: StopReason | null;
    tool_calls: { step: number; id: string; name: string; kind: string; ms: number; status: 'ok' | 'error'; error?: string }[];
  };
  citations: Citation[];
}

export interface LoopInput {
  next: ChatHandler;
  req: ChatRequest;
  ctx: CallContext;
  tools: ServerTool[];
  /** System text added before the first step (e.g. recalled memories). */
  context: string[];
  options: ToolLoopOptions;
  progress: boolean;
  streaming: boolean;
  pending: PendingExchanges;
  storeBodies: boolean;
  /** Each step's response headers as it starts (a stream's headers are sent before the loop ends). */
  onStepHeaders?: (headers: Record<string, string>) => void;
}

export interface LoopOutcome {
  completion: ChatCompletion;
  headers: Record<string, string>;
  /** The conversation including every step (for memory extraction). */
  conversation: ChatMessage[];
}

const asFunction = (t: ServerTool): FunctionTool => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } });

function withContext(messages: ChatMessage[], context: string[]): ChatMessage[] {
  if (!context.length) return messages;
  const note: ChatMessage = { role: 'system', content: context.join('\n\n') };
  const firstOther = messages.findIndex((m) => m.role !== 'system' && m.role !== 'developer');
  const at = firstOther < 0 ? messages.length : firstOther;
  return [...messages.slice(0, at), note, ...messages.slice(at)];
}

/** tool_choice for a step: the client's at first; `auto` once a forced server tool has run; `none` to force an answer. */
function choiceFor(step: number, forced: boolean, client: ToolChoice | undefined, serverNames: Set<string>): ToolChoice | undefined {
  if (forced) return 'none';
  if (step === 1 || client === undefined) return client;
  if (client === 'required') return 'auto';
  if (typeof client === 'object' && serverNames.has(client.function?.name)) return 'auto';
  return client;
}

export async function* runToolLoop(input: LoopInput): AsyncGenerator<ChatCompletionChunk, LoopOutcome> {
  const { next, req, ctx, options } = input;
  const byName = new Map(input.tools.map((t) => [t.name, t]));
  const serverNames = new Set(byName.keys());
  const allTools = [...(req.tools ?? []), ...input.tools.map(asFunction)];
  const deadline = options.timeout_ms ? Date.now() + options.timeout_ms : Infinity;
  const usage = new UsageTotal();
  const runs: ToolRun[] = [];
  const citations = new Map<string, Citation>();
  const contents: string[] = [];
  let messages = withContext(input.pending.restore(req.messages), input.context);
  let headers: Record<string, string> = {};
  let upstreamMs = 0;
  let toolsMs = 0;
  let roleSent = false;

  for (let step = 1; ; step++) {
    const stop: StopReason | null =
      step >= options.max_steps ? 'max_steps'
      : options.max_total_tokens !== undefined && usage.total >= options.max_total_tokens ? 'max_total_tokens'
      : Date.now() >= deadline ? 'timeout'
      : null;
    const stepSpan = ctx.span.child('span', `step ${step}`);
    stepSpan.meta({ step, forced_answer: stop });
    const stepReq: ChatRequest = {
      ...req,
      messages,
      tools: allTools,
      tool_choice: choiceFor(step, stop !== null, req.tool_choice, serverNames),
      stream: input.streaming,
      stream_options: input.streaming ? { ...(req.stream_options ?? {}), include_usage: true } : undefined,
      assay: undefined,
    };
    if (!input.streaming) delete stepReq.stream_options;
    let completion: ChatCompletion;
    try {
      const result = await next(stepReq, { ...ctx, span: stepSpan });
      ctx.span.adoptTarget(stepSpan);
      headers = result.headers ?? {};
      input.onStepHeaders?.(headers);
      upstreamMs += Number(headers['x-assay-upstream-ms'] ?? 0);
      if (result.kind === 'response') {
        completion = result.response;
        const text = completion.choices?.[0]?.message?.content;
        if (input.streaming && typeof text === 'string' && text !== '') {
          yield chunkOf(completion, { ...(roleSent ? {} : { role: 'assistant' }), content: (contents.length ? '\n\n' : '') + text });
          roleSent = true;
        }
      } else {
        const acc = new ChunkAccumulator();
        let textSent = false;
        for await (const chunk of result.chunks) {
          acc.add(chunk);
          const delta = { ...(chunk.choices?.[0]?.delta ?? {}) };
          delete delta.tool_calls;
          if (roleSent) delete delta.role;
          if (typeof delta.content === 'string' && delta.content !== '' && !textSent) {
            textSent = true;
            if (contents.length) delta.content = `\n\n${delta.content}`;
          }
          if (delta.content === '' || delta.content === null) delete delta.content;
          if (Object.keys(delta).length === 0) continue;
          roleSent = true;
          yield { id: chunk.id, object: 'chat.completion.chunk', created: chunk.created, model: chunk.model, choices: [{ index: 0, delta, finish_reason: null }] };
        }
        completion = acc.result();
      }
    } catch (err) {
      const e = err as { message?: string; status?: number };
      if (!stepSpan.isEnded) stepSpan.fail({ message: e.message ?? String(err), status: e.status }).end();
      throw err;
    }
    usage.add(completion.usage);
    const message = completion.choices?.[0]?.message ?? { role: 'assistant' as const, content: null };
    stepSpan.end({
      status_code: 200,
      ...usageFields(completion.usage),
      output: input.storeBodies ? message : null,
      metadata: { ...stepSpan.observation.metadata, finish_reason: completion.choices?.[0]?.finish_reason ?? null },
    });
    if (typeof message.content === 'string' && message.content !== '') contents.push(message.content);
    const calls = message.tool_calls ?? [];
    const serverCalls = calls.filter((c) => serverNames.has(c.function?.name));
    const clientCalls = calls.filter((c) => !serverNames.has(c.function?.name));

    const finish = (finalClientCalls: ToolCall[], stopped: StopReason | null): LoopOutcome => {
      const report: LoopReport = {
        tool_loop: {
          steps: step,
          stopped,
          tool_calls: runs.map((r) => ({
            step: r.step, id: r.call.id, name: r.tool.name, kind: r.tool.kind, ms: Math.round(r.ms * 1000) / 1000,
            status: r.error || r.result.isError ? 'error' : 'ok',
            ...(r.error || r.result.isError ? { error: r.error ?? r.result.content.slice(0, 500) } : {}),
          })),
        },
        citations: [...citations.values()],
      };
      const finishReason = finalClientCalls.length ? 'tool_calls' : (completion.choices?.[0]?.finish_reason === 'tool_calls' ? 'stop' : (completion.choices?.[0]?.finish_reason ?? 'stop'));
      const { tool_calls: _drop, ...rest } = message;
      const finalMessage = { ...rest, role: 'assistant' as const, content: contents.length ? contents.join('\n\n') : (message.content ?? null), ...(finalClientCalls.length ? { tool_calls: finalClientCalls } : {}) };
      const out: ChatCompletion = { ...completion, choices: [{ index: 0, message: finalMessage, finish_reason: finishReason, logprobs: completion.choices?.[0]?.logprobs ?? null }], usage: usage.usage(), assay: report };
      if (!out.usage) delete out.usage;
      const outHeaders = {
        ...headers,
        'x-assay-upstream-ms': (upstreamMs + toolsMs).toFixed(3),
        'x-assay-tools-ms': toolsMs.toFixed(3),
        'x-assay-tool-steps': String(step),
        'x-assay-tool-calls': String(runs.length),
      };
      return { completion: out, headers: outHeaders, conversation: [...messages, finalMessage] };
    };

    const stopped = serverCalls.length && stop ? stop : null;
    if (!serverCalls.length || stop) {
      if (stopped) stepSpan.meta({ dropped_tool_calls: serverCalls.map((c) => c.function.name) });
      const outcome = finish(clientCalls, stopped);
      if (input.streaming) yield* finalChunks(outcome.completion, clientCalls);
      return outcome;
    }

    if (input.progress && input.streaming) {
      for (const c of serverCalls) yield progressChunk(completion, { event: 'tool_call.started', step, id: c.id, name: c.function.name, kind: byName.get(c.function.name)!.kind, arguments: c.function.arguments });
    }
    const remaining = deadline - Date.now();
    const signal = Number.isFinite(deadline) ? AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(1, remaining))]) : ctx.signal;
    const t0 = performance.now();
    const stepRuns = await runToolCalls(serverCalls, byName, {
      step, signal, traceId: ctx.traceId, userId: ctx.userId, parent: stepSpan, maxOutputChars: options.max_tool_output_chars, storeBodies: input.storeBodies,
    });
    toolsMs += performance.now() - t0;
    ctx.signal.throwIfAborted();
    runs.push(...stepRuns);
    collectCitations(stepRuns, citations);
    if (input.progress && input.streaming) {
      for (const r of stepRuns) {
        const failed = r.error !== null || r.result.isError === true;
        yield progressChunk(completion, { event: 'tool_call.finished', step, id: r.call.id, name: r.tool.name, kind: r.tool.kind, ms: Math.round(r.ms), status: failed ? 'error' : 'ok', ...(failed ? { error: r.error ?? r.result.content.slice(0, 500) } : {}), ...(r.result.citations?.length ? { citations: r.result.citations.length } : {}) });
      }
    }
    const results = toolMessages(stepRuns);
    messages = [...messages, { role: 'assistant', content: message.content ?? null, tool_calls: [...serverCalls, ...clientCalls] }, ...results];
    if (clientCalls.length) {
      // The client answers its own calls; the server part comes back with its next request.
      input.pending.save(clientCalls, serverCalls, results);
      const outcome = finish(clientCalls, null);
      if (input.streaming) yield* finalChunks(outcome.completion, clientCalls);
      return outcome;
    }
  }
}

function chunkOf(c: ChatCompletion, delta: ChatCompletionChunk['choices'][number]['delta']): ChatCompletionChunk {
  return { id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model, choices: [{ index: 0, delta, finish_reason: null }] };
}

function progressChunk(c: ChatCompletion, event: Record<string, unknown>): ChatCompletionChunk {
  return { id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model, choices: [], assay: event };
}

/** The end of a stream: client tool calls, the finish chunk (carrying the loop report), usage. */
function* finalChunks(c: ChatCompletion, clientCalls: ToolCall[]): Generator<ChatCompletionChunk> {
  const base = { id: c.id, object: 'chat.completion.chunk' as const, created: c.created, model: c.model };
  if (clientCalls.length) {
    yield { ...base, choices: [{ index: 0, delta: { tool_calls: clientCalls.map((t, index) => ({ index, ...t })) }, finish_reason: null }] };
  }
  yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: c.choices[0].finish_reason }], assay: c.assay };
  if (c.usage) yield { ...base, choices: [], usage: c.usage };
}
