/** Routing end to end: weights, fallbacks, retries, timeouts and the circuit breaker, each visible in the trace. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';

let up: FakeOpenAI;
let assay: TestAssay;
let client: OpenAI;

const attemptsOf = async (traceId: string) => {
  await assay.flush();
  const t = (await (await assay.api(`/api/traces/${traceId}`)).json()) as { observations: Record<string, any>[] };
  const r = t.observations.find((o) => o.parent_id === null)!;
  return { root: r, attempts: t.observations.filter((o) => o.parent_id === r.id).sort((a, b) => a.metadata.attempt - b.metadata.attempt) };
};
const ask = (model: string, stream = false) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream } as never).withResponse();

before(async () => {
  up = await startFakeOpenAI();
  assay = await startAssay({
    providers: [
      { id: 'up', type: 'openai', base_url: up.url },
      { id: 'down', type: 'openai', base_url: 'http://127.0.0.1:9/v1' },
    ],
    router: { backoff_ms: 5, cooldown_failures: 2, cooldown_ms: 60_000 },
    routes: [
      { name: 'fallback', targets: [{ model: 'up/fail-500' }], fallbacks: ['up/good'] },
      { name: 'unreachable', targets: [{ model: 'down/m' }], fallbacks: ['up/good'] },
      { name: 'retry', targets: [{ model: 'up/flaky-2' }], retries: 2 },
      { name: 'timeout', targets: [{ model: 'up/slow-400' }], fallbacks: ['up/good'], timeout_ms: 100 },
      { name: 'target-timeout', targets: [{ model: 'up/slow-300', timeout_ms: 80 }], fallbacks: [{ model: 'up/slow-30', timeout_ms: 1000 }], timeout_ms: 10 },
      { name: 'no-fallback-on-400', targets: [{ model: 'up/fail-400' }], fallbacks: ['up/good'] },
      { name: 'weighted', targets: [{ model: 'up/a', weight: 3 }, { model: 'up/b', weight: 1 }] },
      { name: 'breaker', targets: [{ model: 'up/fail-503' }], fallbacks: ['up/good'] },
      { name: 'stream-fallback', targets: [{ model: 'up/fail-502' }], fallbacks: ['up/good'] },
    ],
  });
  client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
});
after(async () => {
  await assay?.stop();
  await up?.close();
});

test('5xx falls back to the next target; both attempts are in the trace', async () => {
  const { data, response } = await ask('fallback');
  assert.equal((data as any).model, 'good');
  assert.equal(response.headers.get('x-assay-attempts'), '2');
  const { root, attempts } = await attemptsOf(response.headers.get('x-assay-trace-id')!);
  assert.equal(root.model, 'up/good');
  assert.deepEqual(attempts.map((a) => [a.model, a.status, a.status_code]), [['up/fail-500', 'error', 500], ['up/good', 'ok', 200]]);
  assert.equal(attempts[1].metadata.fallback, true);
});

test('connection errors fall back', async () => {
  const { response } = await ask('unreachable');
  const { attempts } = await attemptsOf(response.headers.get('x-assay-trace-id')!);
  assert.equal(attempts[0].status, 'error');
  assert.match(attempts[0].error, /could not reach down\/m/);
  assert.equal(attempts[1].status, 'ok');
});

test('retries with backoff until the flaky target answers', async () => {
  const { response } = await ask('retry');
  const { attempts } = await attemptsOf(response.headers.get('x-assay-trace-id')!);
  assert.deepEqual(attempts.map((a) => a.status_code), [503, 503, 200]);
  assert.deepEqual(attempts.map((a) => a.metadata.retry), [0, 1, 2]);
});

test('a timed-out attempt falls back', async () => {
  const { data, response } = await ask('timeout');
  assert.equal((data as any).model, 'good');
  const { attempts } = await attemptsOf(response.headers.get('x-assay-trace-id')!);
  assert.match(attempts[0].error, /did not answer within 100 ms/);
  assert.equal(attempts[0].status_code, 504);
});

test('a target\'s own timeout wins over the route\'s', async () => {
  const { data, response } = await ask('target-timeout');
  assert.equal((data as any).model, 'slow-30', 'the fallback had 1000 ms, not the route\'s 10 ms');
  const { attempts } = await attemptsOf(response.headers.get('x-assay-trace-id')!);
  assert.match(attempts[0].error, /did not answer within 80 ms/);
});

test('a 400 from the upstream is the request\'s fault: no fallback', async () => {
  await assert.rejects(ask('no-fallback-on-400'), { status: 400 });
  assert.notEqual(up.requests.at(-1)!.body.model, 'good');
});

test('weights split traffic about 3:1', async () => {
  const counts: Record<string, number> = { a: 0, b: 0 };
  const n = 200;
  for (let i = 0; i < n; i++) counts[String(((await ask('weighted')).data as any).model)]++;
  // Expected 150 : 50 (sd ≈ 6); the bounds are 5 sd wide so chance alone does not fail the test.
  assert.ok(counts.a >= 120 && counts.a <= 180 && counts.a + counts.b === n, JSON.stringify(counts));
});

test('after repeated failures the target cools down and is skipped', async () => {
  for (let i = 0; i < 2; i++) await ask('breaker');
  const before = up.requests.filter((r) => r.body.model === 'fail-503').length;
  const { response } = await ask('breaker');
  const after = up.requests.filter((r) => r.body.model === 'fail-503').length;
  assert.equal(after, before, 'the cooling-down target was not called');
  const { attempts } = await attemptsOf(response.headers.get('x-assay-trace-id')!);
  assert.deepEqual(attempts.map((a) => a.model), ['up/good']);
  const health = (await (await assay.api('/api/routes')).json()) as { data: any[] };
  const target = health.data.find((r) => r.name === 'breaker').targets[0];
  assert.equal(target.health.state, 'open');
  assert.match(target.health.last_error, /upstream says 503/);
});

test('streams fall back before the first chunk', async () => {
  const { data, response } = await ask('stream-fallback', true);
  let text = '';
  for await (const c of data as any) text += c.choices[0]?.delta?.content ?? '';
  assert.equal(text, 'echo: hi');
  const { attempts } = await attemptsOf(response.headers.get('x-assay-trace-id')!);
  assert.deepEqual(attempts.map((a) => a.status_code), [502, 200]);
  assert.ok(attempts[1].ttft_ms > 0);
});
