/**
 * A scripted OpenAI-compatible upstream for tool-loop tests: real HTTP on 127.0.0.1. Each model
 * name has a script: a function from the request body (and how many times that model was called)
 * to the assistant's reply. The reply is sent as a chat.completion, or as SSE chunks when the
 * request streams (text in two pieces, each tool call's arguments in two fragments, then the
 * finish chunk and a usage chunk), so both client paths are exercised. Every request is recorded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, beforeEach } from 'node:test';
import OpenAI from 'openai';
import { ADMIN_KEY, startAssay, type TestAssay } from './assay.js';
import { listenLocal } from './local-server.js';

export interface ScriptedReply {
  content?: string | null;
  tool_calls?: { id?: string; name: string; arguments: unknown }[];
  /** Default: tool_calls when there are tool calls, else stop. */
  finish_reason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Respond with this HTTP status and an error body instead. */
  status?: number;
  /** Wait before answering. */
  delayMs?: number;
}

export type Script = (body: ScriptedBody, call: number) => ScriptedReply;

export interface ScriptedBody {
  model: string;
  messages: { role: string; content?: unknown; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  tool_choice?: unknown;
  stream?: boolean;
  [k: string]: unknown;
}

export interface ScriptedOpenAI {
  url: string;
  requests: ScriptedBody[];
  scripts: Map<string, Script>;
  close(): Promise<void>;
}

/** The tool messages of a request, by tool_call_id. */
export function toolResults(body: ScriptedBody): Map<string, string> {
  return new Map(body.messages.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id!, String(m.content)]));
}

/** The last user text of a request. */
export function lastUser(body: ScriptedBody): string {
  const u = [...body.messages].reverse().find((m) => m.role === 'user');
  return typeof u?.content === 'string' ? u.content : '';
}

export async function startScriptedOpenAI(): Promise<ScriptedOpenAI> {
  const requests: ScriptedBody[] = [];
  const scripts = new Map<string, Script>();
  const calls = new Map<string, number>();
  let seq = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as ScriptedBody;
    requests.push(body);
    const script = scripts.get(body.model);
    if (!script) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no script for model ${body.model}`, type: 'invalid_request_error' } }));
      return;
    }
    const n = (calls.get(body.model) ?? 0) + 1;
    calls.set(body.model, n);
    const reply = script(body, n);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.status) {
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `scripted ${reply.status}`, type: 'server_error' } }));
      return;
    }
    const toolCalls = (reply.tool_calls ?? []).map((t) => ({
      id: t.id ?? `call_${++seq}`,
      type: 'function' as const,
      function: { name: t.name, arguments: typeof t.arguments === 'string' ? t.arguments : JSON.stringify(t.arguments) },
    }));
    const finish = reply.finish_reason ?? (toolCalls.length ? 'tool_calls' : 'stop');
    const usage = { ...(reply.usage ?? { prompt_tokens: 10, completion_tokens: 5 }) };
    const fullUsage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
    const id = `chatcmpl-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id, object: 'chat.completion', created, model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply.content ?? null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish_reason: finish }],
        usage: fullUsage,
      }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices, ...extra })}\n\n`);
    send([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    const text = reply.content ?? '';
    if (text) {
      const half = Math.ceil(text.length / 2);
      send([{ index: 0, delta: { content: text.slice(0, half) }, finish_reason: null }]);
      if (text.length > half) send([{ index: 0, delta: { content: text.slice(half) }, finish_reason: null }]);
    }
    toolCalls.forEach((t, index) => {
      const half = Math.ceil(t.function.arguments.length / 2);
      send([{ index: 0, delta: { tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.function.name, arguments: t.function.arguments.slice(0, half) } }] }, finish_reason: null }]);
      send([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: t.function.arguments.slice(half) } }] }, finish_reason: null }]);
    });
    send([{ index: 0, delta: {}, finish_reason: finish }]);
    if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) send([], { usage: fullUsage });
    res.end('data: [DONE]\n\n');
  };

  const local = await listenLocal(handle);
  return {
    url: `${local.origin}/v1`,
    requests,
    scripts,
    close: local.close,
  };
}

/**
 * A test file's gateway: a scripted upstream (provider id `up`) behind a real Assay with `config`
 * (its `providers` are added after `up`), and an openai SDK client, handed to `ready` once up.
 * Registers the file's before/after hooks, and clears the recorded requests before each test.
 */
export function scriptedGateway(config: Record<string, unknown>, ready: (gw: ScriptedGateway) => void): void {
  const state = {} as ScriptedGateway;
  // One hook does it all: Node 20 does not wait for one top-level before hook to end before starting the next.
  before(async () => {
    state.up = await startScriptedOpenAI();
    const providers = [{ id: 'up', type: 'openai', base_url: state.up.url, api_key: 'k', models: ['m'] }, ...((config.providers as unknown[]) ?? [])];
    state.assay = await startAssay({ ...config, providers });
    state.client = new OpenAI({ baseURL: `${state.assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
    ready(state);
  });
  after(async () => {
    await state.assay?.stop();
    await state.up?.close();
  });
  beforeEach(() => {
    if (state.up) state.up.requests.length = 0;
  });
}

export interface ScriptedGateway {
  up: ScriptedOpenAI;
  assay: TestAssay;
  client: OpenAI;
}
