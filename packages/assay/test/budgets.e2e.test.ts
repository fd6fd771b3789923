/**
 * Budgets end to end: the gateway blocks a spent budget with a 429 naming it, reroutes a spent
 * reroute budget to its cheaper route, seeds counters from stored traces after a restart, and
 * shares counters between two instances through Redis.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { startAssay, type TestAssay } from './helpers/assay.js';
import { storeKinds, sqliteStore, type TestStore } from './helpers/stores.js';

let up: FakeOpenAI;
before(async () => {
  up = await startFakeOpenAI();
});
after(async () => {
  await up?.close();
});

const config = () => ({
  providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k' }],
  routes: [
    { name: 'smart', targets: [{ model: 'up/gpt-4o' }] },
    { name: 'cheap', targets: [{ model: 'up/gpt-4o-mini' }] },
  ],
});

async function chat(assay: TestAssay, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return assay.api('/v1/chat/completions', {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
}

async function budget(assay: TestAssay, body: Record<string, unknown>) {
  const res = await assay.api('/api/budgets', { method: 'POST', body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { id: string };
}

for (const kind of storeKinds) {
  describe(`budgets (${kind.name})`, { skip: kind.skip }, () => {
    let store: TestStore;
    let assay: TestAssay;
    before(async () => {
      store = kind.make();
      assay = await startAssay(config(), { databaseUrl: store.url });
    });
    after(async () => {
      await assay?.stop();
      await store?.cleanup();
    });

    test('a spent block budget answers 429 naming it, for that user only; it survives a restart', async () => {
      await budget(assay, { name: 'free-tier', scope: 'user', metric: 'tokens', limit: 15, window: 'day' });
      assert.equal((await chat(assay, { user: 'ann' })).status, 200); // 10 tokens
      assert.equal((await chat(assay, { user: 'ann' })).status, 200); // 20: spent now
      const blocked = await chat(assay, { user: 'ann' });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.headers.get('x-should-retry'), 'false');
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
      const err = ((await blocked.json()) as { error: { message: string; code: string } }).error;
      assert.equal(err.code, 'budget_exceeded');
      assert.match(err.message, /Budget "free-tier" is spent for user ann: 20 of 15 tokens/);
      assert.equal((await chat(assay, { user: 'bob' })).status, 200);

      // A new instance on the same store seeds its counters from the stored traces.
      await assay.flush();
      await assay.stop();
      assay = await startAssay(config(), { databaseUrl: store.url });
      assert.equal((await chat(assay, { user: 'ann' })).status, 429);
      assert.equal((await chat(assay, { user: 'bob' })).status, 200);
    });

    test('a spent reroute budget sends calls to the cheaper route and says so in the trace', async () => {
      const b = await budget(assay, { name: 'batch-spend', scope: 'tag', subject: 'batch', metric: 'cost', limit: 0.00001, window: 'month', action: 'reroute', reroute_to: 'cheap' });
      const first = await chat(assay, {}, { 'x-assay-tags': 'batch' });
      assert.equal(first.headers.get('x-assay-target'), 'up/gpt-4o'); // 7×2.5 + 3×10 per 1M = $0.0000475: spent
      const second = await chat(assay, {}, { 'x-assay-tags': 'batch' });
      assert.equal(second.status, 200);
      assert.equal(second.headers.get('x-assay-target'), 'up/gpt-4o-mini');
      const untagged = await chat(assay, {});
      assert.equal(untagged.headers.get('x-assay-target'), 'up/gpt-4o');

      await assay.flush();
      const t = (await (await assay.api(`/api/traces/${second.headers.get('x-assay-trace-id')}`)).json()) as { observations: Record<string, any>[] };
      const root = t.observations.find((o) => o.parent_id === null)!;
      assert.deepEqual(root.metadata.budget_reroute, { budget: 'batch-spend', from: 'smart', to: 'cheap' });

      const got = (await (await assay.api(`/api/budgets/${b.id}`)).json()) as { used: number; remaining: number };
      assert.ok(got.used > 0.00001, JSON.stringify(got));
      assert.equal(got.remaining, 0);
    });

    test('bad budgets are precise 400s; PATCH changes only what it names', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ name: 'x', scope: 'team', metric: 'cost', limit: 1, window: 'day' }, /scope must be key, user or tag/],
        [{ name: 'x', scope: 'key', metric: 'cost', limit: 1, window: 'day', action: 'reroute' }, /reroute_to/],
        [{ name: 'x', scope: 'key', metric: 'cost', limit: -1, window: 'day' }, /limit/],
      ];
      for (const [body, re] of cases) {
        const res = await assay.api('/api/budgets', { method: 'POST', body: JSON.stringify(body) });
        assert.equal(res.status, 400);
        assert.match(((await res.json()) as { error: { message: string } }).error.message, re);
      }
      const b = await budget(assay, { name: 'patch-me', scope: 'key', metric: 'cost', limit: 5, window: 'week', action: 'reroute', reroute_to: 'cheap' });
      const res = await assay.api(`/api/budgets/${b.id}`, { method: 'PATCH', body: JSON.stringify({ limit: 7 }) });
      assert.equal(res.status, 200, await res.clone().text());
      const p = (await res.json()) as Record<string, unknown>;
      assert.deepEqual([p.limit, p.action, p.reroute_to, p.window], [7, 'reroute', 'cheap', 'week']);
      assert.equal((await assay.api(`/api/budgets/${b.id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await assay.api(`/api/budgets/${b.id}`)).status, 404);
    });
  });
}

describe('a spent budget alerts its channels', () => {
  test('the webhook receives a budget notice once per window', async () => {
    const received: Record<string, any>[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const assay = await startAssay({ ...config(), alerts: { allow_hosts: ['127.0.0.1'] } }); // an internal receiver
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      const ch = await assay.api('/api/channels', { method: 'POST', body: JSON.stringify({ name: 'ops', type: 'webhook', config: { url, secret: 'a-secret-of-16-chars' } }) });
      assert.equal(ch.status, 201, await ch.clone().text());
      const { id } = (await ch.json()) as { id: string };
      await budget(assay, { name: 'tight', scope: 'user', metric: 'tokens', limit: 15, window: 'day', channels: [id] });
      for (let i = 0; i < 3; i++) await chat(assay, { user: 'kim' });
      for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(received.length, 1);
      assert.equal(received[0].kind, 'budget');
      assert.equal(received[0].state, 'ALERT');
      assert.match(received[0].message, /Budget "tight" is spent for user kim: 20 of 15 tokens/);
      assert.equal(received[0].details.subject, 'kim');
    } finally {
      await assay.stop();
      hook.close();
    }
  });
});

describe('budgets shared through Redis', () => {
  test('two instances on one Redis see each other’s spend', async () => {
    const store = sqliteStore();
    const redis = { url: 'redis://127.0.0.1:6379' };
    const a = await startAssay({ ...config(), redis }, { databaseUrl: store.url });
    const name = `shared-${randomBytes(4).toString('hex')}`;
    await budget(a, { name, scope: 'user', subject: 'zoe', metric: 'tokens', limit: 15, window: 'day' });
    const b = await startAssay({ ...config(), redis }, { databaseUrl: store.url });
    try {
      assert.equal((await chat(a, { user: 'zoe' })).status, 200);
      assert.equal((await chat(a, { user: 'zoe' })).status, 200);
      await new Promise((r) => setTimeout(r, 50)); // the counter update is sent after the call is recorded
      const blocked = await chat(b, { user: 'zoe' });
      assert.equal(blocked.status, 429, 'instance b sees what instance a spent');
    } finally {
      await a.stop();
      await b.stop();
      await store.cleanup();
    }
  });
});
