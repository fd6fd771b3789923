/**
 * The soak benchmark's fake OpenAI upstream, run as its own process:
 *   node --import tsx bench/soak/upstream.ts
 * Listens on 127.0.0.1 (ephemeral port), prints `{"port":N}` on stdout once ready, and exits when
 * its stdin closes (the benchmark died).
 *
 *   POST /v1/chat/completions              a canned chat.completion, or an SSE stream of 10 chunks
 *                                          and `data: [DONE]` (1 ms apart) when `stream: true`
 *   … with a `run_code` tool offered and   a `tool_calls` answer calling run_code with a small
 *     no `tool` message yet                program, so the gateway's tool loop runs it in the sandbox
 *   … with a `tool` message                the final answer, quoting the tool's result
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const STREAM_GAP_MS = 1;
const USAGE = { prompt_tokens: 12, completion_tokens: 10, total_tokens: 22 };

interface Body {
  stream?: boolean;
  tools?: { function?: { name?: string } }[];
  messages?: { role: string; content?: unknown }[];
}

function completion(message: Record<string, unknown>, finish: string): string {
  return JSON.stringify({
    id: `chatcmpl-soak-${Math.random().toString(36).slice(2, 10)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: 'soak-model',
    choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, logprobs: null, finish_reason: finish }],
    usage: USAGE,
  });
}

const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: unknown) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-soak',
    object: 'chat.completion.chunk',
    created: 1_718_000_000,
    model: 'soak-model',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  })}\n\n`;
const WORDS = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy'];
const SSE = [chunk({ role: 'assistant', content: '' }, null), ...WORDS.map((w) => chunk({ content: w }, null)), chunk({}, 'stop', USAGE), 'data: [DONE]\n\n'];

function sendStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    res.write(SSE[i++]);
    if (i === SSE.length) res.end();
    else setTimeout(next, STREAM_GAP_MS);
  };
  next();
}

function answer(body: Body): string {
  const offersRunCode = body.tools?.some((t) => t.function?.name === 'run_code');
  const toolResult = body.messages?.find((m) => m.role === 'tool');
  if (toolResult) return completion({ content: `The sandbox says ${String(toolResult.content).slice(0, 80)}` }, 'stop');
  if (!offersRunCode) return completion({ content: 'The quick brown fox jumps over the lazy dog.' }, 'stop');
  const call = { id: 'call_soak', type: 'function', function: { name: 'run_code', arguments: JSON.stringify({ code: 'let s = 0; for (let i = 1; i <= 100; i++) s += i; return s;' }) } };
  return completion({ content: null, tool_calls: [call] }, 'tool_calls');
}

function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
  const fail = (status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
  };
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return fail(404, `no route ${req.method} ${req.url}`);
  let body: Body;
  try {
    body = JSON.parse(raw.toString('utf8')) as Body;
  } catch {
    return fail(400, 'invalid JSON body');
  }
  if (body.stream === true) return sendStream(res);
  const text = answer(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => handle(req, res, Buffer.concat(parts)));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});

const quit = () => process.exit(0);
process.stdin.on('end', quit).on('close', quit).resume();
process.on('SIGTERM', quit).on('SIGINT', quit);
