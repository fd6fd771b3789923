/**
 * Runs one step's server-side tool calls, in parallel, each as a span of the trace (arguments,
 * output, error, duration). A tool that throws or gets arguments it cannot use does not fail the
 * call: the model reads what went wrong as the tool's result and can correct itself.
 */
import type { ChatMessage, ToolCall } from '../../gateway/types.js';
import type { Span } from '../../tracing/span.js';
import type { Citation, ServerTool, ToolResult } from '../types.js';

export interface ToolRun {
  step: number;
  call: ToolCall;
  tool: ServerTool;
  result: ToolResult;
  /** Set when the tool threw or its arguments were unusable. */
  error: string | null;
  ms: number;
}

export interface ExecuteEnv {
  step: number;
  signal: AbortSignal;
  traceId: string;
  userId: string | null;
  /** The step span the tool spans hang under. */
  parent: Span;
  maxOutputChars: number;
  storeBodies: boolean;
}

function parseArguments(raw: string): { args: Record<string, unknown> } | { error: string } {
  if (raw.trim() === '') return { args: {} };
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return { args: v as Record<string, unknown> };
    return { error: 'the arguments must be a JSON object' };
  } catch (err) {
    return { error: `the arguments are not valid JSON (${(err as Error).message})` };
  }
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[output cut at ${max} of ${text.length} characters]`;
}

async function runOne(call: ToolCall, tool: ServerTool, env: ExecuteEnv): Promise<ToolRun> {
  const t0 = performance.now();
  const parsed = parseArguments(call.function.arguments ?? '');
  const span = env.parent.child(tool.kind === 'retrieve' ? 'retrieval' : 'tool', tool.name, {
    input: env.storeBodies ? ('args' in parsed ? parsed.args : { raw: call.function.arguments }) : null,
    user_id: env.userId,
  });
  span.meta({ tool_call_id: call.id, tool_kind: tool.kind, step: env.step });
  let result: ToolResult;
  let error: string | null = null;
  if ('error' in parsed) {
    error = parsed.error;
    result = { content: `Error: ${parsed.error}. Call ${tool.name} again with a JSON object matching its parameters.`, isError: true };
  } else {
    try {
      if (env.signal.aborted) throw env.signal.reason ?? new Error('cancelled');
      result = await tool.run(parsed.args, { signal: env.signal, traceId: env.traceId, userId: env.userId, span });
      if (typeof result?.content !== 'string') throw new Error(`tool ${tool.name} returned no text content`);
    } catch (err) {
      error = (err as Error)?.message ?? String(err);
      result = { content: `Error: ${error}`, isError: true };
    }
  }
  result = { ...result, content: clip(result.content, env.maxOutputChars) };
  const ms = performance.now() - t0;
  if (error || result.isError) span.fail({ message: error ?? result.content.slice(0, 2000) });
  span.end({
    output: env.storeBodies ? { content: result.content, data: result.data ?? null, citations: result.citations ?? null } : null,
    latency_ms: Math.round(ms * 1000) / 1000,
  });
  return { step: env.step, call, tool, result, error, ms };
}

export function runToolCalls(calls: ToolCall[], tools: ReadonlyMap<string, ServerTool>, env: ExecuteEnv): Promise<ToolRun[]> {
  return Promise.all(calls.map((call) => runOne(call, tools.get(call.function.name)!, env)));
}

/** The tool messages that feed the runs' results back to the model. */
export function toolMessages(runs: ToolRun[]): ChatMessage[] {
  return runs.map((r) => ({ role: 'tool', tool_call_id: r.call.id, content: r.result.content }));
}

/** Citations of all runs, first occurrence kept. */
export function collectCitations(runs: ToolRun[], into: Map<string, Citation>): void {
  for (const r of runs) for (const c of r.result.citations ?? []) if (!into.has(`${c.type}:${c.id}`)) into.set(`${c.type}:${c.id}`, c);
}
