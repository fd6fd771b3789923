/**
 * A fake OpenAI-compatible upstream for tests: real HTTP on 127.0.0.1, the documented wire format,
 * and behaviours chosen by model name:
 *   any model      → "echo: <last user text>" (stream or not), usage; tool_calls when tools are given and the model starts with "tool"
 *   fail-<status>  → that HTTP status with an OpenAI error body (429 adds retry-after: 0)
 *   flaky-<n>      → 503 for the first n calls of that model, then success
 *   slow-<ms>      → waits ms before answering (and between stream chunks)
 *   break-stream   → two chunks, then the connection is destroyed
 *   error-event    → one chunk, then an in-band error event
 *   *reported-cost* → usage carries a provider-reported cost (0.0042 USD)
 * Every request is recorded (path, headers, body).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenLocal } from './local-server.js';

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeOpenAI {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lastUserText(body: Record<string, unknown>): string {
  const msgs = (body.messages as { role: string; content: unknown }[]) ?? [];
  const u = [...msgs].reverse().find((m) => m.role === 'user');
  if (!u) return '';
  if (typeof u.content === 'string') return u.content;
  if (Array.isArray(u.content)) return u.content.filter((p) => p.type === 'text').map((p) => p.text).join(' ');
  return '';
}

export async function startFakeOpenAI(opts: { apiKey?: string } = {}): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  const calls = new Map<string, number>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    requests.push({ path: req.url ?? '', headers: req.headers, body });
    const json = (status: number, obj: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(obj));
    };
    const error = (status: number, message: string, headers: Record<string, string> = {}) =>
      json(status, { error: { message, type: status === 429 ? 'requests' : 'server_error', param: null, code: status === 429 ? 'rate_limit_exceeded' : null } }, headers);

    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) return error(401, 'Incorrect API key provided');
    const model = String(body.model ?? '');
    const n = (calls.get(model) ?? 0) + 1;
    calls.set(model, n);

    if (req.url === '/v1/embeddings') {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return json(200, {
        object: 'list',
        model,
        data: inputs.map((s: unknown, i: number) => {
          const vec = [String(s).length, i, 0.5];
          const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vec).buffer).toString('base64') : vec;
          return { object: 'embedding', index: i, embedding };
        }),
        usage: { prompt_tokens: inputs.length * 2, total_tokens: inputs.length * 2 },
      });
    }
    if (req.url !== '/v1/chat/completions') return error(404, `unknown path ${req.url}`);

    let m: RegExpMatchArray | null;
    if ((m = model.match(/^fail-(\d{3})$/))) return error(Number(m[1]), `upstream says ${m[1]}`, m[1] === '429' ? { 'retry-after': '0' } : {});
    if ((m = model.match(/^flaky-(\d+)$/)) && n <= Number(m[1])) return error(503, `flaky failure ${n}`);
    const delay = (m = model.match(/^slow-(\d+)$/)) ? Number(m[1]) : 0;
    if (delay) await sleep(delay);

    const text = `echo: ${lastUserText(body)}`;
    const id = `chatcmpl-${n}`;
    const created = 1_718_000_000;
    const usage = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, ...(model.includes('reported-cost') ? { cost: 0.0042 } : {}) };
    const tools = Array.isArray(body.tools) && body.tools.length > 0 && model.startsWith('tool');
    const toolCall = tools
      ? { id: 'call_1', type: 'function', function: { name: (body.tools as { function: { name: string } }[])[0].function.name, arguments: '{"city":"Paris"}' } }
      : null;

    if (!body.stream) {
      return json(200, {
        id, object: 'chat.completion', created, model, system_fingerprint: 'fp_fake',
        choices: [{
          index: 0, logprobs: null, finish_reason: toolCall ? 'tool_calls' : 'stop',
          message: { role: 'assistant', content: toolCall ? null : text, refusal: null, ...(toolCall ? { tool_calls: [toolCall] } : {}) },
        }],
        usage,
        echo_unknown: body.some_unknown_field ?? null,
      });
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`);
    send([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    if (toolCall) {
      send([{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: toolCall.function.name, arguments: '' } }] }, finish_reason: null }]);
      send([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, finish_reason: null }]);
      send([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, finish_reason: null }]);
      send([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]);
    } else {
      const words = text.split(/(?<= )/);
      for (const [i, w] of words.entries()) {
        if (model === 'break-stream' && i === 1) {
          await sleep(30); // let the first chunks reach the client, then cut the connection
          res.destroy();
          return;
        }
        if (model === 'error-event' && i === 1) {
          res.write(`data: ${JSON.stringify({ error: { message: 'upstream exploded mid-stream', type: 'server_error', code: null, param: null } })}\n\n`);
          res.end();
          return;
        }
        if (delay) await sleep(delay);
        send([{ index: 0, delta: { content: w }, logprobs: null, finish_reason: null }]);
      }
      send([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    }
    if (includeUsage) res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    res.write('data: [DONE]\n\n');
    res.end();
  };

  const local = await listenLocal(handle);
  return {
    url: `${local.origin}/v1`,
    requests,
    close: local.close,
  };
}
