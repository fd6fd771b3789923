/** The admin API: keys (create, scopes, model allowlists, revoke) and the trace list with filters and cursors. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { emptyObservation } from '../src/tracing/span.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { expectError, expectJson, startAssay, type TestAssay } from './helpers/assay.js';
import { storeKinds } from './helpers/stores.js';

for (const kind of storeKinds) {
  describe(`admin API on ${kind.name}`, { skip: kind.skip }, () => {
    let up: FakeOpenAI;
    let assay: TestAssay;
    let store: ReturnType<(typeof kind)['make']>;

    before(async () => {
      store = kind.make();
      up = await startFakeOpenAI();
      assay = await startAssay(
        { providers: [{ id: 'up', type: 'openai', base_url: up.url }], routes: [{ name: 'smart', targets: [{ model: 'up/m' }] }] },
        { databaseUrl: store.url },
      );
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await store?.cleanup();
    });

    test('keys: create (shown once), scopes and model allowlists enforced, revoke', async () => {
      let res = await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'app', models: ['smart'] }) });
      assert.equal(res.status, 201);
      const created = (await res.json()) as { id: string; key: string; scopes: string[]; hash?: string };
      assert.match(created.key, /^sk-assay-/);
      assert.deepEqual(created.scopes, ['model']);
      assert.equal(created.hash, undefined);

      const app = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: created.key, maxRetries: 0 });
      const ok = await app.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }] });
      assert.equal(ok.choices[0].message.content, 'echo: x');
      await assert.rejects(app.chat.completions.create({ model: 'up/m', messages: [{ role: 'user', content: 'x' }] }), { status: 403 });
      assert.deepEqual((await app.models.list()).data.map((m) => m.id), ['smart']);

      res = await assay.api('/api/keys', { key: created.key });
      assert.equal(res.status, 403, 'a model key cannot manage keys');
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /admin/);

      const list = (await (await assay.api('/api/keys')).json()) as { data: { id: string; hash?: string }[] };
      assert.ok(list.data.some((k) => k.id === created.id));
      assert.ok(list.data.every((k) => k.hash === undefined));

      res = await assay.api(`/api/keys/${created.id}`, { method: 'DELETE' });
      assert.equal(res.status, 200);
      await assert.rejects(app.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }] }), { status: 401 });
      res = await assay.api(`/api/keys/${created.id}`, { method: 'DELETE' });
      assert.equal(res.status, 400);
      res = await assay.api('/api/keys/key_nope', { method: 'DELETE' });
      assert.equal(res.status, 404);
      res = await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'x', scopes: ['root'] }) });
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /unknown scope "root"/);
    });

    test('keys: a policy is set at creation, changed with PATCH, checked field by field', async () => {
      const policy = { tools: { run_code: true, knowledge_bases: ['docs'] }, user: 'u-1', rate_limits: { requests_per_minute: 60 } };
      const created = await expectJson<{ id: string; policy: unknown }>(await assay.post('/api/keys', { name: 'bot', policy }), 201);
      assert.deepEqual(created.policy, policy);
      const bad = await expectError(await assay.post('/api/keys', { name: 'bot', policy: { rate_limits: { requests_per_minute: 0 } } }), 400, 'invalid_request');
      assert.match(bad.message, /policy\.rate_limits\.requests_per_minute/);
      await expectError(await assay.post('/api/keys', { name: 'bot', policy: { tools: { shell: true } } }), 400, 'invalid_request');

      const patch = (id: string, body: unknown) => assay.api(`/api/keys/${id}`, { method: 'PATCH', body: JSON.stringify(body) });
      const changed = await expectJson<{ policy: unknown; models: unknown }>(await patch(created.id, { policy: { user: 'u-2' }, models: ['smart'] }), 200);
      assert.deepEqual(changed.policy, { user: 'u-2' });
      assert.deepEqual(changed.models, ['smart']);
      const listed = await expectJson<{ data: { id: string; policy: unknown }[] }>(await assay.api('/api/keys'), 200);
      assert.deepEqual(listed.data.find((k) => k.id === created.id)?.policy, { user: 'u-2' });
      assert.equal((await expectJson<{ policy: unknown }>(await patch(created.id, { policy: null }), 200)).policy, null);
      await expectError(await patch('key_nope', { policy: null }), 404, 'key_not_found');
      await assay.api(`/api/keys/${created.id}`, { method: 'DELETE' });
      await expectError(await patch(created.id, { policy: null }), 400, 'already_revoked');
    });

    test('traces: filters, cursor pagination, bad query → 400', async () => {
      const client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: 'sk-assay-test-admin-key', maxRetries: 0 });
      const t0 = Date.now();
      for (let i = 0; i < 7; i++) {
        await client.chat.completions.create(
          { model: i % 2 ? 'smart' : 'up/other', messages: [{ role: 'user', content: `q${i}` }], user: i < 5 ? 'alice' : 'bob' },
          { headers: { 'x-assay-session-id': 'conv-1' } },
        );
      }
      await assert.rejects(client.chat.completions.create({ model: 'up/fail-500', messages: [{ role: 'user', content: 'x' }], user: 'alice' }));
      await assay.flush();

      const get = async (q: string) => {
        const res = await assay.api(`/api/traces?${q}`);
        assert.equal(res.status, 200, await res.clone().text());
        return (await res.json()) as { data: Record<string, any>[]; next_cursor: string | null };
      };
      const all: Record<string, any>[] = [];
      let cursor: string | null = null;
      do {
        const page = await get(`user=alice&limit=2&from=${t0}${cursor ? `&cursor=${cursor}` : ''}`);
        assert.ok(page.data.length <= 2);
        all.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor);
      assert.equal(all.length, 6);
      assert.equal(new Set(all.map((r) => r.trace_id)).size, 6);
      for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].start_time >= all[i].start_time);
      assert.equal(all[0].input, undefined, 'list rows are narrow');

      assert.equal((await get(`route=smart&from=${t0}`)).data.length, 3);
      assert.equal((await get(`model=up/other&from=${t0}`)).data.length, 4);
      assert.equal((await get(`status=error&from=${t0}`)).data.length, 1);
      assert.equal((await get(`session=conv-1&user=bob&from=${t0}`)).data.length, 2);
      assert.equal((await get(`from=${new Date(Date.now() + 60_000).toISOString()}`)).data.length, 0);

      // Tags, free text over bodies, attributes of any observation, and per-trace totals.
      await client.chat.completions.create(
        { model: 'smart', messages: [{ role: 'user', content: 'find the zebra' }], metadata: { feature: 'zoo' } },
        { headers: { 'x-assay-tags': 'animals,beta' } },
      );
      const root = emptyObservation({ trace_id: 'ingested-1', type: 'agent', name: 'plan', start_time: Date.now() });
      const child = emptyObservation({
        trace_id: 'ingested-1', parent_id: root.id, type: 'generation', name: 'llm', model: 'm', start_time: Date.now(),
        input_tokens: 5, output_tokens: 2, total_tokens: 7, cost: 0.5, status: 'error', metadata: { attributes: { 'http.route': '/users' } },
      });
      await assay.deps.ingest.observations([root, child]);
      await assay.flush();
      assert.deepEqual((await get(`tag=animals&from=${t0}`)).data.map((r) => r.tags), [['animals', 'beta']]);
      assert.equal((await get(`tag=anim&from=${t0}`)).data.length, 0);
      const zebra = (await get(`q=ZEBRA&from=${t0}`)).data;
      assert.equal(zebra.length, 1);
      assert.equal(zebra[0].totals.observations, 2, 'the call and its attempt');
      assert.equal(zebra[0].totals.total_tokens, 10);
      assert.equal((await get(`q=100%25&from=${t0}`)).data.length, 0, 'LIKE wildcards are literal');
      assert.equal((await get(`attr=feature=zoo&from=${t0}`)).data.length, 1);
      const byAttr = (await get(`attr=http.route=/users&from=${t0}`)).data;
      assert.deepEqual(byAttr.map((r) => r.trace_id), ['ingested-1']);
      assert.deepEqual(byAttr[0].totals, { observations: 2, errors: 1, cost: 0.5, input_tokens: 5, output_tokens: 2, total_tokens: 7 });

      // Sessions: the conversation's traces in order, with its scores.
      const sessions = (await (await assay.api(`/api/sessions?from=${t0}`)).json()) as { data: Record<string, any>[] };
      const conv = sessions.data.find((x) => x.session_id === 'conv-1')!;
      assert.deepEqual([conv.traces, conv.total_tokens, conv.errors], [7, 70, 0]);
      await assay.api('/api/scores', { method: 'POST', body: JSON.stringify({ session_id: 'conv-1', name: 'resolved', value: true }) });
      const one = (await (await assay.api('/api/sessions/conv-1')).json()) as { traces: Record<string, any>[]; scores: Record<string, any>[] };
      assert.equal(one.traces.length, 7);
      for (let i = 1; i < one.traces.length; i++) assert.ok(one.traces[i - 1].start_time <= one.traces[i].start_time);
      assert.deepEqual(one.scores.map((x) => x.name), ['resolved']);
      assert.equal(one.traces[0].input, undefined, 'bodies only when asked');
      const withBodies = (await (await assay.api('/api/sessions/conv-1?bodies=true')).json()) as { traces: Record<string, any>[] };
      assert.equal(withBodies.traces[0].input.messages[0].content, 'q0');
      assert.match(withBodies.traces[0].output.choices[0].message.content, /echo: q0/);
      assert.equal((await assay.api('/api/sessions/conv-1?bodies=yes')).status, 400);
      assert.equal((await assay.api('/api/sessions/nope')).status, 404);

      for (const q of ['status=maybe', 'limit=0', 'from=yesterday', 'colour=red', 'attr=novalue']) {
        const res = await assay.api(`/api/traces?${q}`);
        assert.equal(res.status, 400, q);
        const body = (await res.json()) as { error: { message: string; code: string } };
        assert.ok(body.error.message && body.error.code, q);
      }
      assert.equal((await assay.api('/api/traces/does-not-exist')).status, 404);
    });
  });
}
