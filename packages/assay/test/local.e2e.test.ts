/** A local GGUF model behind the gateway (the real tiny test model), called with the openai SDK. */
import { TINY_MODEL } from './helpers/models.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';

const TINY = TINY_MODEL;
let assay: TestAssay;
let client: OpenAI;
let closedPort: number;

before(async () => {
  // A port with nothing listening: the "download" of the missing model fails at once, as offline.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedPort = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  assay = await startAssay({
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
