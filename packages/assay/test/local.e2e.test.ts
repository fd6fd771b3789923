/** A local GGUF model behind the gateway (the real tiny test model), called with the openai SDK. */
import { TINY_MODEL } from './helpers/models.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import OpenAI from 'openai';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';

const TINY = TINY_MODEL;
let assay: TestAssay;
let client: OpenAI;
let closedPort: number;
/** A local API the local model's HTTP tool calls. */
let api: Server;
const apiCalls: string[] = [];

before(async () => {
  // A port with nothing listening: the "download" of the missing model fails at once, as offline.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedPort = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  api = createHttpServer((req, res) => {
    apiCalls.push(req.url!);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ forecast: 'sunny', temp: 21 }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const apiPort = (api.address() as { port: number }).port;
  assay = await startAssay({
    http_tools: [
      {
        name: 'weather',
        description: 'Weather forecast for a city',
        url: `http://127.0.0.1:${apiPort}/forecast/{city}?unit={unit}`,
        // enums keep the tiny random model's forced call short and valid
        parameters: { type: 'object', properties: { city: { type: 'string', enum: ['oslo', 'paris'] }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city', 'unit'] },
        allow_private: true,
      },
    ],
    providers: [
      {
        id: 'local',
        type: 'local',
        models: {
          default: { path: TINY, threads: 1, context_size: 512, max_tokens: 16 },
          missing: { uri: `http://127.0.0.1:${closedPort}/missing.gguf`, threads: 1 },
        },
      },
    ],
    routes: [{ name: 'offline-first', targets: [{ model: 'local/missing' }], fallbacks: ['local/default'] }],
  });
  client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
});
after(async () => {
  await assay?.stop();
  await new Promise<void>((r) => (api ? api.close(() => r()) : r()));
});

test('chat, non-stream and stream, with usage; listed in /v1/models', async () => {
  const res = await client.chat.completions.create({ model: 'local/default', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, temperature: 0 });
  assert.equal(res.object, 'chat.completion');
  assert.equal(typeof res.choices[0].message.content, 'string');
  assert.equal(res.usage?.completion_tokens, 8);
  assert.equal(res.choices[0].finish_reason, 'length');

  const stream = await client.chat.completions.create({ model: 'local/default', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, temperature: 0, stream: true });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  assert.equal(text, res.choices[0].message.content, 'same greedy answer streamed');
  assert.ok((await client.models.list()).data.some((m) => m.id === 'local/default'));
});

test('response_format json_schema is enforced by grammar', async () => {
  const res = await client.chat.completions.create({
    model: 'local/default',
    messages: [{ role: 'user', content: 'answer' }],
    max_tokens: 40,
    response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } } },
  });
  assert.equal(typeof JSON.parse(res.choices[0].message.content!).ok, 'boolean');
});

test('embeddings', async () => {
  const res = await client.embeddings.create({ model: 'local/default', input: ['hello', 'world'] });
  assert.equal(res.data.length, 2);
  assert.ok(res.data[0].embedding.length > 0);
});

test('a missing model offline: 503 saying what to do; a route falls back to a model that is there', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'local/missing', messages: [{ role: 'user', content: 'x' }] }), (e: any) => {
    assert.equal(e.status, 503);
    assert.match(e.message, /ASSAY_LOCAL_MODEL|models pull/);
    return true;
  });
  const res = await client.chat.completions.create({ model: 'offline-first', messages: [{ role: 'user', content: 'x' }], max_tokens: 4 }).withResponse();
  assert.equal(res.response.headers.get('x-assay-target'), 'local/default');
  assert.equal(res.response.headers.get('x-assay-attempts'), '2');
});

test('unsupported parameter → 400 naming it', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'local/default', messages: [{ role: 'user', content: 'x' }], n: 3 }), (e: any) => {
    assert.equal(e.status, 400);
    assert.equal(e.param, 'n');
    return true;
  });
});

test('the tool loop through the local model: a forced call to a server-side HTTP tool runs, its result goes back, the model answers', async () => {
  const res = await client.chat.completions.create({
    model: 'local/default',
    messages: [{ role: 'user', content: 'weather in oslo?' }],
    max_tokens: 40,
    temperature: 0,
    tool_choice: 'required',
    ...({ assay: { tools: [{ http: { name: 'weather' } }], tool_loop: { max_steps: 3 } } } as {}),
  });
  const report = (res as unknown as { assay: { tool_loop: { steps: number; tool_calls: { name: string; status: string }[] } } }).assay;
  assert.equal(report.tool_loop.tool_calls[0]?.name, 'weather', 'the grammar-forced call named the server tool');
  assert.equal(report.tool_loop.tool_calls[0].status, 'ok');
  assert.match(apiCalls.at(-1)!, /^\/forecast\/(oslo|paris)\?unit=[cf]$/);
  assert.ok(report.tool_loop.steps >= 2, 'the model was called again with the tool result');
  assert.equal(typeof res.choices[0].message.content, 'string');
  assert.equal(res.choices[0].message.tool_calls, undefined);
});
