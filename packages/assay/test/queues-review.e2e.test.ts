/**
 * Reviewing a queue: a model judge vs the human labels (12 real gateway calls labelled by a human
 * on a boolean question, a judge's scores on the same traces agreeing on 10: κ, α, accuracy and the
 * verdict as computed by hand), and skipping an item (its lease goes to another annotator).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAssay, type TestAssay } from './helpers/assay.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';

let up: FakeOpenAI;
let assay: TestAssay;

const call = async (path: string, method = 'GET', body?: unknown, expect = 200) => {
  const res = await assay.api(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  assert.equal(res.status, expect, text);
  return text ? JSON.parse(text) : null;
};

before(async () => {
  up = await startFakeOpenAI();
  assay = await startAssay({ providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['m'] }] });
});
after(async () => {
  await assay?.stop();
  await up?.close();
});

test('judge vs human: κ, α, accuracy and the verdict on a queue, as computed by hand', async () => {
  const traces: string[] = [];
  for (let i = 0; i < 12; i++) {
    const res = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: `q${i}` }] }) });
    assert.equal(res.status, 200);
    traces.push(res.headers.get('x-assay-trace-id')!);
  }
  await assay.flush();
  const q = await call('/api/queues', 'POST', { name: 'judge-check', questions: [{ id: 'ok', prompt: 'Is the answer acceptable?', kind: 'boolean' }] }, 201);
  await call(`/api/queues/${q.id}/items`, 'POST', { traces }, 201);
  // The human says: the first 6 calls are fine, the last 6 are not.
  const human = new Map(traces.map((t, i) => [t, i < 6]));
  for (let i = 0; i < 12; i++) {
    const next = await call(`/api/queues/${q.id}/next`);
    const traceId: string = next.item.trace_id;
    await call(`/api/queues/${q.id}/items/${next.item.id}/annotations`, 'POST', { answers: { ok: human.get(traceId) } }, 201);
  }
  // The judge agrees on 10: it flips call 0 (true → false) and call 11 (false → true).
  for (const [i, t] of traces.entries()) {
    const verdict = i === 0 ? false : i === 11 ? true : human.get(t)!;
    await call('/api/scores', 'POST', { trace_id: t, name: 'judge-ok', value: verdict, data_type: 'BOOLEAN', comment: 'from a model judge' }, 201);
  }
  const r = await call(`/api/queues/${q.id}/judge?question=ok&score=judge-ok`);
  assert.equal(r.items, 12);
  assert.equal(r.unscored, 0);
  // accuracy 10/12; κ: p_o = 10/12, p_e = 0.5·0.5 + 0.5·0.5 = 0.5 → (0.8333 − 0.5)/0.5 = 2/3
  assert.ok(Math.abs(r.accuracy - 10 / 12) < 1e-9);
  assert.ok(Math.abs(r.kappa - 2 / 3) < 1e-9, String(r.kappa));
  // α nominal: o_TT = o_FF = 10, o_TF = o_FT = 2, n = 24: D_o = 4/24, D_e = 2·12·12/(24·23) = 0.52174 → α = 1 − 0.31944 = 0.68056
  assert.ok(Math.abs(r.alpha - 0.680556) < 1e-5, String(r.alpha));
  assert.equal(r.verdict, 'tentative');

  const bad = await assay.api(`/api/queues/${q.id}/judge?question=ok`);
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as any).error.message, /score is required/);
});

test('skip: an item passed over is not handed out again in the sitting, and its lease is released', async () => {
  const traces: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: `s${i}` }] }) });
    traces.push(res.headers.get('x-assay-trace-id')!);
  }
  await assay.flush();
  const q = await call('/api/queues', 'POST', { name: 'skips', questions: [{ id: 'ok', prompt: 'ok?', kind: 'boolean' }] }, 201);
  await call(`/api/queues/${q.id}/items`, 'POST', { traces }, 201);
  const first = await call(`/api/queues/${q.id}/next`);
  assert.equal((await call(`/api/queues/${q.id}/next`)).item.id, first.item.id, 'without skip: the leased item again');
  const second = await call(`/api/queues/${q.id}/next?skip=${first.item.id}`);
  assert.notEqual(second.item.id, first.item.id);
  const reader = await call('/api/keys', 'POST', { name: 'other', scopes: ['read'] }, 201);
  const other = await assay.api(`/api/queues/${q.id}/next`, { key: reader.key });
  const body = (await other.json()) as any;
  assert.equal(body.item.id, first.item.id, 'the skipped item is free for another annotator');
  const none = await call(`/api/queues/${q.id}/next?skip=${first.item.id},${second.item.id}`);
  assert.equal(none.item, null);
});

test('items by a score filter: the traces users gave a thumbs down, combined with a model filter', async () => {
  const traces: string[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: `f${i}` }] }) });
    traces.push(res.headers.get('x-assay-trace-id')!);
  }
  await assay.flush();
  // thumbs down on calls 1 and 3, up on 0; none on 2
  for (const [i, v] of [[0, true], [1, false], [3, false]] as const) {
    await call('/api/scores', 'POST', { trace_id: traces[i], name: 'user-feedback', value: v, data_type: 'BOOLEAN' }, 201);
  }
  const q = await call('/api/queues', 'POST', { name: 'thumbs-down', questions: [{ id: 'why', prompt: 'What went wrong?', kind: 'text' }] }, 201);
  const added = await call(`/api/queues/${q.id}/items`, 'POST', { filter: { model: 'up/m', score: { name: 'user-feedback', value: false }, limit: 10 } }, 201);
  assert.equal(added.added, 2);
  const items = await call(`/api/queues/${q.id}/items`);
  assert.deepEqual(items.data.map((it: any) => it.content.trace_id).sort(), [traces[1], traces[3]].sort());
  const ranged = await call('/api/queues', 'POST', { name: 'none', questions: [{ id: 'x', prompt: 'x', kind: 'text' }] }, 201);
  const none = await call(`/api/queues/${ranged.id}/items`, 'POST', { filter: { score: { name: 'no-such-score', min: 1 } } }, 201);
  assert.equal(none.added, 0);
});
