/**
 * Rate and concurrency limits per key end to end: requests, tokens and calls in flight on /v1 (chat,
 * streams, embeddings) with OpenAI's 429 body and x-ratelimit-* headers, the management API's rate
 * per key, and one count shared by two instances through Redis.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { expectError, expectJson, startAssay, type TestAssay } from './helpers/assay.js';
import { sqliteStore, storeKinds, type TestStore } from './helpers/stores.js';

let up: FakeOpenAI;
before(async () => {
  up = await startFakeOpenAI();
});
after(async () => {
  await up?.close();
});

const config = (extra: Record<string, unknown> = {}) => ({
  providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k' }],
  routes: [
    { name: 'smart', targets: [{ model: 'up/gpt-4o' }] },
    { name: 'slow', targets: [{ model: 'up/slow-150' }] },
    { name: 'embed', targets: [{ model: 'up/text-embedding-3-small' }] },
  ],
  ...extra,
});

async function newKey(assay: TestAssay, body: Record<string, unknown>): Promise<string> {
  return (await expectJson<{ key: string }>(await assay.post('/api/keys', { name: 'limited', scopes: ['model'], ...body }), 201)).key;
}

function chat(assay: TestAssay, key: string, body: Record<string, unknown> = {}, signal?: AbortSignal) {
  return assay.api('/v1/chat/completions', {
    method: 'POST',
    key,
    signal,
    body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls until one is not a 429 (a lease is released when the server sees the client go away). */
async function untilAdmitted(call: () => Promise<Response>): Promise<Response> {
  for (let i = 0; i < 100; i++) {
    const res = await call();
    if (res.status !== 429) return res;
    await res.body?.cancel();
    await sleep(20);
  }
  assert.fail('never admitted');
}

for (const kind of storeKinds) {
  describe(`rate and concurrency limits (${kind.name})`, { skip: kind.skip }, () => {
    let store: TestStore;
    let assay: TestAssay;
    before(async () => {
      store = kind.make();
      assay = await startAssay(config({ limits: { api_requests_per_minute: 3 } }), { databaseUrl: store.url });
    });
    after(async () => {
      await assay?.stop();
      await store?.cleanup();
    });

    test('requests per minute: 429 in OpenAI shape with retry-after and x-ratelimit headers; passes again once refilled', async () => {
      const key = await newKey(assay, { policy: { rate_limits: { requests_per_minute: 60 } } });
      // A full minute's quota at once; it refills at one a second while the loop runs.
      let over: Response | null = null;
      for (let i = 0; i < 200 && !over; i++) {
        const res = await chat(assay, key);
        if (res.status === 429) over = res;
        else {
          assert.equal(res.status, 200, await res.clone().text());
          assert.equal(res.headers.get('x-ratelimit-limit-requests'), '60');
          if (i === 0) assert.equal(res.headers.get('x-ratelimit-remaining-requests'), '59');
          assert.match(res.headers.get('x-ratelimit-reset-requests')!, /^(\d+ms|[\d.]+s|\d+m[\d.]+s)$/);
          await res.body?.cancel();
        }
      }
      assert.ok(over, 'the quota ran out');
      assert.equal(over.headers.get('retry-after'), '1');
      assert.equal(over.headers.get('x-ratelimit-remaining-requests'), '0');
      assert.equal(over.headers.get('x-ratelimit-limit-requests'), '60');
      assert.ok(over.headers.get('x-assay-trace-id'), 'a refused call is traced');
      const { error } = await expectJson<{ error: { message: string; type: string; code: string; param: null } }>(over, 429);
      assert.deepEqual({ type: error.type, code: error.code, param: error.param }, { type: 'requests', code: 'rate_limit_exceeded', param: null });
      assert.match(error.message, /Rate limit reached for key key_\w+ on requests per minute: limit 60\. Try again in [\d.]+m?s\./);
      await sleep(Number(over.headers.get('retry-after-ms')));
      assert.equal((await chat(assay, key)).status, 200, 'one request refilled');
    });

    test('tokens per minute: admitted on the estimate (prompt + max_tokens), charged the real usage; embeddings count too', async () => {
      const key = await newKey(assay, { policy: { rate_limits: { tokens_per_minute: 100 } } });
      const first = await chat(assay, key, { max_tokens: 80 });
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-ratelimit-limit-tokens'), '100');
      const remaining = Number(first.headers.get('x-ratelimit-remaining-tokens'));
      assert.ok(remaining <= 20, `the estimate was taken (${remaining} left)`);
      // The call used 10 tokens, not ~90: the rest came back, so a second such call passes.
      assert.equal((await chat(assay, key, { max_tokens: 80 })).status, 200);
      const over = await chat(assay, key, { max_tokens: 95 });
      const { error } = await expectJson<{ error: { message: string; type: string; code: string } }>(over, 429);
      assert.equal(error.type, 'tokens');
      assert.match(error.message, /tokens per minute: limit 100, remaining \d+, requested 100/);
      assert.ok(Number(over.headers.get('retry-after')) >= 1);
      const emb = await assay.api('/v1/embeddings', { method: 'POST', key, body: JSON.stringify({ model: 'embed', input: 'hello' }) });
      assert.equal(emb.status, 200, await emb.clone().text());
      assert.equal(emb.headers.get('x-ratelimit-limit-tokens'), '100');
      assert.ok(Number(emb.headers.get('x-ratelimit-remaining-tokens')) < 100);
    });

    test('max_in_flight: a stream holds its slot until it ends or the client goes away', async () => {
      const key = await newKey(assay, { policy: { rate_limits: { max_in_flight: 1 } } });
      const stream = await chat(assay, key, { model: 'slow', stream: true });
      assert.equal(stream.status, 200);
      const reader = stream.body!.getReader();
      await reader.read(); // the stream is under way
      const busy = await chat(assay, key);
      const { error } = await expectJson<{ error: { message: string; code: string } }>(busy, 429);
      assert.equal(error.code, 'concurrency_limit_exceeded');
      assert.match(error.message, /at most 1 at once \(max_in_flight\)/);
      assert.equal(busy.headers.get('retry-after'), '1');
      while (!(await reader.read()).done);
      assert.equal((await untilAdmitted(() => chat(assay, key))).status, 200, 'the finished stream gave its slot back');

      const gone = new AbortController();
      const abandoned = await chat(assay, key, { model: 'slow', stream: true }, gone.signal);
      await abandoned.body!.getReader().read();
      gone.abort();
      assert.equal((await untilAdmitted(() => chat(assay, key))).status, 200, 'a client that went away gave its slot back');
    });

    test('the management API: a per-key request rate for read keys, in the /api error shape; admin keys are not limited', async () => {
      const read = await newKey(assay, { scopes: ['read'] });
      for (let i = 0; i < 3; i++) {
        const ok = await assay.api('/api/traces', { key: read });
        assert.equal(ok.status, 200);
        assert.equal(ok.headers.get('x-ratelimit-limit-requests'), '3');
        await ok.body?.cancel();
      }
      const over = await assay.api('/api/traces', { key: read });
      assert.ok(Number(over.headers.get('retry-after')) >= 1 && Number(over.headers.get('retry-after')) <= 20, 'a third of a minute at most');
      await expectError(over, 429, 'rate_limit_exceeded', /management API: 3 requests per minute \(limits\.api_requests_per_minute\)\. Try again in [\d.]+s\./);
      for (let i = 0; i < 5; i++) assert.equal((await assay.api('/api/traces')).status, 200);
    });

    test('a key without limits gets no x-ratelimit headers', async () => {
      const key = await newKey(assay, {});
      const res = await chat(assay, key);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-ratelimit-limit-requests'), null);
    });
  });
}

describe('limits shared through Redis', () => {
  test('two instances on one Redis count one key together', async () => {
    const store = sqliteStore();
    const prefix = `assay-test:${randomBytes(4).toString('hex')}:`;
    const redis = { url: 'redis://127.0.0.1:6379', key_prefix: prefix };
    const limits = { per_key: { requests_per_minute: 3 } };
    const a = await startAssay(config({ redis, limits }), { databaseUrl: store.url });
    const b = await startAssay(config({ redis, limits }), { databaseUrl: store.url });
    try {
      const key = await newKey(a, {});
      assert.equal((await chat(a, key)).headers.get('x-ratelimit-remaining-requests'), '2');
      assert.equal((await chat(b, key)).headers.get('x-ratelimit-remaining-requests'), '1');
      assert.equal((await chat(a, key)).status, 200);
      const over = await chat(b, key);
      assert.equal(over.status, 429, 'instance b counts what instance a let through');
      assert.ok(Number(over.headers.get('retry-after')) >= 1 && Number(over.headers.get('retry-after')) <= 20, 'a third of a minute at most');
    } finally {
      await a.stop();
      await b.stop();
      await store.cleanup();
      const r = new Redis(redis.url);
      const keys = await r.keys(`${prefix}*`);
      if (keys.length) await r.del(...keys);
      await r.quit();
    }
  });
});
