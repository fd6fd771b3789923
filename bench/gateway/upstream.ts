/**
 * The fake OpenAI upstream for the gateway benchmark, run as its own process:
 *   node --import tsx bench/gateway/upstream.ts [--stream-gap-ms=1]
 * Listens on 127.0.0.1 (ephemeral port), prints `{"port":N}` on stdout once ready, and exits when
 * its stdin closes (the benchmark died) or after a hard lifetime cap.
 *
 * Minimal work per request: read the body, JSON.parse it (needed to tell stream from non-stream and
 * to see the probe field), answer with a canned body.
 *   POST /v1/chat/completions            canned chat.completion JSON
 *   POST /v1/chat/completions stream:true canned SSE: 10 chunks then `data: [DONE]`; the first chunk
 *                                         goes out with the headers, the rest `--stream-gap-ms` apart
 *                                         (default 1; 0 = back to back), like a model emitting tokens
 *   GET  /__probes                        the values of `bench_unknown_field` seen so far (JSON array)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const PROBE_FIELD = 'bench_unknown_field';
const LIFETIME_MS = 30 * 60_000;
const gapArg = process.argv.find((a) => a.startsWith('--stream-gap-ms='));
const STREAM_GAP_MS = gapArg ? Number(gapArg.split('=')[1]) : 1;

const COMPLETION = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_718_000_000,
    model: 'bench-model',
    system_fingerprint: 'fp_bench',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog.', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 10, total_tokens: 22 },
  }),
);
const COMPLETION_HEADERS = { 'content-type': 'application/json', 'content-length': String(COMPLETION.length) };

const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: unknown) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_718_000_000,
    model: 'bench-model',
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  })}\n\n`;
const WORDS = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy'];
/** 10 data chunks (role, 8 content, finish+usage), then [DONE]. */
const SSE: Buffer[] = [
  chunk({ role: 'assistant', content: '' }, null),
  ...WORDS.map((w) => chunk({ content: w }, null)),
  chunk({}, 'stop', { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 }),
  'data: [DONE]\n\n',
].map((s) => Buffer.from(s));
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };

const probes: string[] = [];

function sendStream(res: ServerResponse): void {
  res.writeHead(200, SSE_HEADERS);
  if (STREAM_GAP_MS <= 0) {
    for (const b of SSE) res.write(b);
    res.end();
    return;
  }
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    res.write(SSE[i++]);
    if (i === SSE.length) res.end();
    else setTimeout(next, STREAM_GAP_MS);
  };
  next();
}

function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
  if (req.method === 'GET' && req.url === '/__probes') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(probes));
    return;
  }
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
    return;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'invalid JSON body', type: 'invalid_request_error' } }));
    return;
  }
  if (typeof body[PROBE_FIELD] === 'string' && probes.length < 1000) probes.push(body[PROBE_FIELD] as string);
  if (body.stream === true) sendStream(res);
  else {
    res.writeHead(200, COMPLETION_HEADERS);
    res.end(COMPLETION);
  }
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => handle(req, res, parts.length === 1 ? parts[0] : Buffer.concat(parts)));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});

const quit = () => process.exit(0);
process.stdin.on('end', quit).on('close', quit).resume();
process.on('SIGTERM', quit).on('SIGINT', quit);
setTimeout(quit, LIFETIME_MS).unref();
