/** Trace recording switches and per-call metadata validation. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { startAssay, type TestAssay } from './helpers/assay.js';

let up: FakeOpenAI;
let assay: TestAssay;
const chat = (headers: Record<string, string> = {}, body: Record<string, unknown> = {}) =>
  assay.api('/v1/chat/completions', {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'secret text' }], ...body }),
  });

before(async () => {
  up = await startFakeOpenAI();
  assay = await startAssay({ providers: [{ id: 'up', type: 'openai', base_url: up.url }], tracing: { store_bodies: false } });
});
after(async () => {
  await assay?.stop();
  await up?.close();
});

test('tracing.store_bodies: false keeps metadata, tokens and timings but no bodies', async () => {
  for (const stream of [false, true]) {
    const res = await chat({}, { stream, user: 'u1' });
    assert.equal(res.status, 200);
    await res.text();
    await assay.flush();
    const t = (await (await assay.api(`/api/traces/${res.headers.get('x-assay-trace-id')}`)).json()) as { observations: Record<string, any>[] };
    const root = t.observations.find((o) => o.parent_id === null)!;
    assert.equal(root.input, null);
    assert.equal(root.output, null);
    assert.equal(root.user_id, 'u1');
    assert.equal(root.total_tokens, 10);
    assert.ok(!JSON.stringify(t).includes('secret text'), 'the request text is nowhere in the trace');
  }
});

test('bad per-call metadata headers → 400 saying what is allowed', async () => {
  let res = await chat({ 'x-assay-trace-id': 'has spaces in it' });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /x-assay-trace-id/);
  res = await chat({ 'x-assay-tags': Array.from({ length: 51 }, (_, i) => `t${i}`).join(',') });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /at most 50/);
  res = await chat({}, { metadata: { n: 1 } });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /metadata/);
});

test('unknown endpoints answer 404 in the right shape', async () => {
  let res = await assay.api('/v1/completions', { method: 'POST', body: '{}' });
  assert.equal(res.status, 404);
  let body = (await res.json()) as { error: Record<string, unknown> };
  assert.equal(body.error.type, 'not_found_error');
  res = await assay.api('/api/nothing');
  assert.equal(res.status, 404);
  body = (await res.json()) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
});
