import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AssayError } from '../errors.js';
import type { CallContext } from '../gateway/spec.js';
import type { ChatCompletionChunk, ChatRequest, ChatResult } from '../gateway/types.js';
import { limitsLayer } from './layer.js';
import { duration, Limiter } from './limiter.js';
import { gcra, MemoryLimitStore, RedisLimitStore, type LimitStore } from './store.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function limiter(store: LimitStore, defaults = {}, api: number | null = null) {
  return new Limiter({ store, defaults, apiRequestsPerMinute: api, leaseTtlMs: 60_000 });
}

async function refused(p: Promise<unknown>): Promise<AssayError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AssayError);
    return err;
  }
  assert.fail('expected a 429');
}

test('GCRA: a full minute at once, then limit/60 per second; remaining and reset as OpenAI reports them', () => {
  let tat: number | null = null;
  for (let i = 0; i < 60; i++) {
    const s = gcra(tat, 0, 60, 1);
    assert.ok(s.allowed);
    assert.equal(s.remaining, 59 - i);
    tat = s.tat;
  }
  const over = gcra(tat, 0, 60, 1);
  assert.equal(over.allowed, false);
  assert.equal(over.retryMs, 1000);
  assert.equal(over.resetMs, 60_000);
  assert.ok(gcra(tat, 1000, 60, 1).allowed, 'one request back after a second');
  assert.equal(gcra(null, 0, 10, 50).allowed, true, 'a cost above the limit is clamped to the limit (never unpassable)');
});

test('durations in the form of OpenAI reset headers', () => {
  assert.equal(duration(20), '20ms');
  assert.equal(duration(1500), '1.5s');
  assert.equal(duration(360_000), '6m0s');
  assert.equal(duration(61_250), '1m1.25s');
});

test('requests per minute: 429 naming the limit with retry-after, and calls pass again when the bucket refills', async () => {
  const t = clock();
  const l = limiter(new MemoryLimitStore(t.now), { requests_per_minute: 3 });
  const key = { id: 'key_a', policy: null };
  for (let i = 0; i < 3; i++) {
    const a = await l.admit(key, () => 10);
    assert.equal(a.headers['x-ratelimit-limit-requests'], '3');
    assert.equal(a.headers['x-ratelimit-remaining-requests'], String(2 - i));
  }
  const e = await refused(l.admit(key, () => 10));
  assert.equal(e.status, 429);
  assert.equal(e.type, 'requests');
  assert.equal(e.code, 'rate_limit_exceeded');
  assert.match(e.message, /requests per minute: limit 3\. Try again in 20s/);
  assert.equal(e.headers['retry-after'], '20');
  assert.equal(e.headers['x-ratelimit-remaining-requests'], '0');
  t.advance(20_000);
  await l.admit(key, () => 10);
  const other = await l.admit({ id: 'key_b', policy: null }, () => 10);
  assert.equal(other.headers['x-ratelimit-remaining-requests'], '2', 'each key has its own bucket');
});

test("a key's policy overrides the config's defaults field by field", async () => {
  const l = limiter(new MemoryLimitStore(), { requests_per_minute: 100, max_in_flight: 5 });
  assert.deepEqual(l.limitsFor({ id: 'k', policy: { rate_limits: { requests_per_minute: 2 } } }), { requests_per_minute: 2, max_in_flight: 5 });
  assert.deepEqual(l.limitsFor({ id: 'k', policy: null }), { requests_per_minute: 100, max_in_flight: 5 });
});

test('tokens per minute: admitted on the estimate, charged the real usage at the end', async () => {
  const t = clock();
  const l = limiter(new MemoryLimitStore(t.now), { tokens_per_minute: 1000 });
  const key = { id: 'k', policy: null };
  const a = await l.admit(key, () => 600);
  assert.equal(a.headers['x-ratelimit-remaining-tokens'], '400');
  const e = await refused(l.admit(key, () => 600));
  assert.equal(e.type, 'tokens');
  assert.match(e.message, /tokens per minute: limit 1000, remaining 400, requested 600/);
  await a.finish(100); // used far less than estimated: the rest comes back
  const b = await l.admit(key, () => 600);
  assert.equal(b.headers['x-ratelimit-remaining-tokens'], '300');
  await b.finish(900); // used more: charged
  const c = await refused(l.admit(key, () => 1));
  assert.equal(c.type, 'tokens');
});

test('calls in flight: the next is refused until one finishes; a refused call takes nothing', async () => {
  const l = limiter(new MemoryLimitStore(), { max_in_flight: 2, requests_per_minute: 10 });
  const key = { id: 'k', policy: null };
  const a = await l.admit(key, () => 1);
  const b = await l.admit(key, () => 1);
  const e = await refused(l.admit(key, () => 1));
  assert.equal(e.code, 'concurrency_limit_exceeded');
  assert.equal(e.headers['retry-after'], '1');
  await a.finish(null);
  await a.finish(null); // finishing twice releases once
  const c = await l.admit(key, () => 1);
  assert.equal(c.headers['x-ratelimit-remaining-requests'], '7', 'the refused call took no request');
  await refused(l.admit(key, () => 1));
  b.finish(null);
  c.finish(null);
});

test('expired leases (an instance that died mid-call) stop counting', async () => {
  const t = clock();
  const store = new MemoryLimitStore(t.now);
  assert.equal(store.acquire('k', 'l1', 1, 1000), true);
  assert.equal(store.acquire('k', 'l2', 1, 1000), false);
  t.advance(1001);
  assert.equal(store.acquire('k', 'l2', 1, 1000), true);
});

test('management API: one request rate per key', async () => {
  const t = clock();
  const l = limiter(new MemoryLimitStore(t.now), {}, 2);
  const key = { id: 'k', policy: null };
  assert.equal((await l.admitApi(key))['x-ratelimit-remaining-requests'], '1');
  await l.admitApi(key);
  const e = await refused(l.admitApi(key));
  assert.match(e.message, /management API: 2 requests per minute/);
  assert.equal(e.headers['retry-after'], '30');
  assert.deepEqual(await limiter(new MemoryLimitStore()).admitApi(key), {}, 'no headers without a limit');
});

test('Redis store: two instances share one bucket and one set of leases', { skip: process.env.ASSAY_TEST_NO_REDIS ? 'redis disabled' : false }, async () => {
  const prefix = `assay-test:${randomBytes(4).toString('hex')}:`;
  const one = new RedisLimitStore('redis://127.0.0.1:6379', prefix);
  const two = new RedisLimitStore('redis://127.0.0.1:6379', prefix);
  const a = limiter(one, { requests_per_minute: 3, max_in_flight: 2, tokens_per_minute: 100 });
  const b = limiter(two, { requests_per_minute: 3, max_in_flight: 2, tokens_per_minute: 100 });
  const key = { id: 'k', policy: null };
  try {
    const x = await a.admit(key, () => 10);
    const y = await b.admit(key, () => 10);
    assert.equal((await refused(a.admit(key, () => 10))).code, 'concurrency_limit_exceeded');
    await x.finish(50);
    await y.finish(10);
    const z = await b.admit(key, () => 10);
    assert.equal(z.headers['x-ratelimit-remaining-requests'], '0');
    assert.equal(z.headers['x-ratelimit-remaining-tokens'], '30', '100 − (50 + 10 + 10)');
    z.finish(null);
    assert.equal((await refused(a.admit(key, () => 10))).type, 'requests');
  } finally {
    await one.close();
    await two.close();
    const { Redis } = await import('ioredis');
    const r = new Redis('redis://127.0.0.1:6379');
    const keys = await r.keys(`${prefix}*`);
    if (keys.length) await r.del(...keys);
    await r.quit();
  }
});

async function* chunks(usage: number): AsyncGenerator<ChatCompletionChunk> {
  yield { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] } as ChatCompletionChunk;
  yield { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [], usage: { prompt_tokens: usage - 1, completion_tokens: 1, total_tokens: usage } } as ChatCompletionChunk;
}

test('the layer: a stream holds its lease until it ends or is given up unread, and is charged its real usage', async () => {
  const l = limiter(new MemoryLimitStore(), { max_in_flight: 1, tokens_per_minute: 1000 });
  const handler = limitsLayer(l)(async (): Promise<ChatResult> => ({ kind: 'stream', chunks: chunks(50) }));
  const ctx = { key: { id: 'k', scopes: ['model'], policy: null, models: null, memoryNamespace: 'k' } } as unknown as CallContext;
  const req = { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 400 } as ChatRequest;
  const first = await handler(req, ctx);
  assert.equal(first.headers?.['x-ratelimit-limit-tokens'], '1000');
  assert.equal((await refused(handler(req, ctx))).code, 'concurrency_limit_exceeded', 'the stream is in flight');
  if (first.kind !== 'stream') assert.fail();
  for await (const _ of first.chunks);
  const second = await handler(req, ctx); // the finished stream gave its lease back
  assert.ok(Number(second.headers?.['x-ratelimit-remaining-tokens']) >= 1000 - 50 - 410, 'charged 50, not its ~410 estimate');
  if (second.kind !== 'stream') assert.fail();
  await second.chunks[Symbol.asyncIterator]().return?.(undefined); // the client went away before the first chunk
  await handler(req, ctx);
});

test('an unreachable Redis lets calls through without limits and says so in the log', async () => {
  const logged: string[] = [];
  const store = new RedisLimitStore('redis://127.0.0.1:1', 'assay-test:');
  const l = new Limiter({ store, defaults: { requests_per_minute: 1 }, apiRequestsPerMinute: 1, leaseTtlMs: 1000, log: (m) => logged.push(m) });
  try {
    const a = await l.admit({ id: 'k', policy: null }, () => 1);
    assert.deepEqual(a.headers, {});
    assert.deepEqual(await l.admitApi({ id: 'k', policy: null }), {});
    assert.match(logged[0], /rate limits not enforced: the limit store failed/);
  } finally {
    await l.close();
  }
});
