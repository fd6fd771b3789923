/**
 * Langfuse-compatible ingestion with the real `langfuse` JS SDK as the sender, read back through
 * /api/traces and the scores store, on SQLite and PostgreSQL; plus raw-fetch edge cases.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Langfuse } from 'langfuse';
import { startAssay, ADMIN_KEY, type TestAssay } from './helpers/assay.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

type Obs = Record<string, any>;

async function createKey(assay: TestAssay, scopes: string[]): Promise<{ id: string; key: string }> {
  const res = await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: `langfuse ${scopes.join('+')}`, scopes }) });
  assert.equal(res.status, 201);
  return (await res.json()) as { id: string; key: string };
}

const basic = (pub: string, secret: string) => `Basic ${Buffer.from(`${pub}:${secret}`).toString('base64')}`;

async function getTrace(assay: TestAssay, id: string): Promise<Obs[]> {
  const res = await assay.api(`/api/traces/${id}`);
  assert.equal(res.status, 200, `trace ${id}`);
  return ((await res.json()) as { observations: Obs[] }).observations;
}

for (const kind of storeKinds) {
  describe(`langfuse SDK → Assay (${kind.name})`, { skip: kind.skip }, () => {
    let store: TestStore;
    let assay: TestAssay;
    let key: { id: string; key: string };

    before(async () => {
      store = kind.make();
      assay = await startAssay({}, { databaseUrl: store.url });
      key = await createKey(assay, ['ingest']);
    });
    after(async () => {
      await assay?.stop();
      await store?.cleanup();
    });

    for (const flushAt of [undefined, 1]) {
      test(`trace → span → generation → end → trace.update → score (flushAt ${flushAt ?? 'default'})`, async () => {
        const langfuse = new Langfuse({ publicKey: key.id, secretKey: key.key, baseUrl: assay.url, flushAt, release: 'v1.2.3' });
        const errors: unknown[] = [];
        langfuse.on('error', (e) => errors.push(e));
        const trace = langfuse.trace({ name: 'chat', userId: 'user-7', sessionId: 'sess-1', tags: ['beta'], metadata: { plan: 'pro' }, input: 'hi' });
        const span = trace.span({ name: 'retrieve', input: { q: 'hi' } });
        const gen = span.generation({
          name: 'answer',
          model: 'gpt-4o-mini',
          modelParameters: { temperature: 0.3 },
          input: [{ role: 'user', content: 'hi' }],
        });
        gen.end({ output: { role: 'assistant', content: 'hello' }, usage: { input: 1000, output: 200 } });
        const gen2 = trace.generation({ name: 'judge', model: 'custom-model', costDetails: { input: 0.01, output: 0.02 }, usageDetails: { input: 5, output: 6 } });
        gen2.end({ level: 'ERROR', statusMessage: 'judge failed' });
        span.end({ output: { docs: 2 } });
        trace.update({ output: 'hello', tags: ['prod'] });
        trace.score({ name: 'quality', value: 0.8, comment: 'good' });
        gen.score({ name: 'correct', value: 'yes' });
        await langfuse.shutdownAsync();
        assert.deepEqual(errors, []);

        const obs = await getTrace(assay, trace.id);
        assert.equal(obs.length, 4, `one row per observation: ${obs.map((o) => `${o.type}:${o.name}`).join(', ')}`);
        const root = obs.find((o) => o.id === trace.id)!;
        assert.equal(root.parent_id, null);
        assert.equal(root.type, 'span');
        assert.equal(root.name, 'chat');
        assert.equal(root.output, 'hello');
        assert.equal(root.input, 'hi');
        assert.equal(root.release, 'v1.2.3');
        assert.deepEqual([...root.tags].sort(), ['beta', 'prod']);
        assert.equal(root.metadata.plan, 'pro');

        const s = obs.find((o) => o.id === span.id)!;
        assert.equal(s.parent_id, trace.id);
        assert.equal(s.type, 'span');
        assert.deepEqual(s.output, { docs: 2 });
        assert.ok(s.end_time !== null && s.end_time >= s.start_time);
        assert.equal(s.total_tokens, null);

        const g = obs.find((o) => o.id === gen.id)!;
        assert.equal(g.type, 'generation');
        assert.equal(g.parent_id, span.id);
        assert.equal(g.name, 'answer');
        assert.equal(g.model, 'gpt-4o-mini');
        assert.deepEqual(g.input, [{ role: 'user', content: 'hi' }]);
        assert.deepEqual(g.output, { role: 'assistant', content: 'hello' });
        assert.ok(g.end_time !== null, 'end_time present after generation.end');
        assert.equal(g.latency_ms, g.end_time - g.start_time);
        assert.equal(g.input_tokens, 1000);
        assert.equal(g.output_tokens, 200);
        assert.equal(g.total_tokens, 1200);
        assert.deepEqual(g.metadata.model_parameters, { temperature: 0.3 });
        assert.equal(g.cost_details?.source, 'computed', 'priced from the price table');
        assert.ok(Math.abs(g.cost - (1000 * 0.15 + 200 * 0.6) / 1e6) < 1e-9, `cost ${g.cost}`);
        if (flushAt === undefined) {
          // One batch: the trace's fields are copied onto its observations. (With flushAt 1 each event is
          // its own concurrent request, and a trace-create committed after an observation is a known gap.)
          assert.equal(g.user_id, 'user-7', 'trace-level fields are copied onto observations');
          assert.equal(g.session_id, 'sess-1');
          assert.equal(g.release, 'v1.2.3');
          assert.ok(g.tags.includes('beta'));
          assert.equal(s.user_id, 'user-7');
        }

        const j = obs.find((o) => o.id === gen2.id)!;
        assert.equal(j.parent_id, trace.id);
        assert.equal(j.cost, 0.03);
        assert.equal(j.cost_details.source, 'provider');
        assert.equal(j.total_tokens, 11);
        assert.equal(j.status, 'error');
        assert.equal(j.error, 'judge failed');
        assert.equal(j.level, 'ERROR');

        const scores = await assay.deps.store.scores.list({ projectId: 'default', traceId: trace.id }, 10);
        const byName = Object.fromEntries(scores.data.map((x) => [x.name, x]));
        assert.equal(byName.quality.value, 0.8);
        assert.equal(byName.quality.data_type, 'NUMERIC');
        assert.equal(byName.quality.observation_id, null);
        assert.equal(byName.quality.comment, 'good');
        assert.equal(byName.quality.source, 'langfuse');
        assert.equal(byName.quality.author, key.id);
        assert.equal(byName.correct.data_type, 'CATEGORICAL');
        assert.equal(byName.correct.string_value, 'yes');
        assert.equal(byName.correct.observation_id, gen.id);
      });
    }

    test('GET /api/public/projects and /health answer with the SDK credentials', async () => {
      let res = await fetch(`${assay.url}/api/public/projects`, { headers: { authorization: basic(key.id, key.key) } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { data: [{ id: 'default', name: 'default', metadata: {} }] });
      res = await fetch(`${assay.url}/api/public/health`);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { status: string }).status, 'OK');
    });

    test('raw batches: 207 with mixed good and bad events, duplicate envelope ids applied once', async () => {
      const post = (batch: unknown) =>
        fetch(`${assay.url}/api/public/ingestion`, {
          method: 'POST',
          headers: { authorization: basic(key.id, key.key), 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
      const ts = new Date().toISOString();
      let res = await post([
        { id: 'e1', type: 'trace-create', timestamp: ts, body: { id: 'raw-t', name: 'raw' } },
        { id: 'e2', type: 'span-create', timestamp: ts, body: { id: 'raw-s', traceId: 'raw-t', startTime: 'not a date' } },
        { id: 'e3', type: 'frobnicate', timestamp: ts, body: {} },
        { id: 'e4', type: 'span-create', timestamp: ts, body: { id: 'raw-s2', traceId: 'raw-t', name: 'first', tags: ['a'] } },
        { id: 'e4', type: 'span-create', timestamp: ts, body: { id: 'raw-s2', traceId: 'raw-t', name: 'first', tags: ['a'] } },
        { id: 'e5', type: 'generation-create', timestamp: ts, body: { id: 'raw-g', traceId: 'raw-t', promptName: 'greeter', promptVersion: 2, usageDetails: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14, prompt_tokens_details: { cached_tokens: 6 } } } },
      ]);
      assert.equal(res.status, 207);
      let body = (await res.json()) as { successes: { id: string; status: number }[]; errors: { id: string; status: number; message: string }[] };
      assert.deepEqual(body.successes, [{ id: 'e1', status: 201 }, { id: 'e4', status: 201 }, { id: 'e4', status: 201 }, { id: 'e5', status: 201 }]);
      assert.deepEqual(body.errors.map((e) => [e.id, e.status]), [['e2', 400], ['e3', 400]]);
      assert.match(body.errors[0].message, /body\.startTime/);
      assert.match(body.errors[1].message, /frobnicate/);

      // a resent event id is acknowledged without being applied again, even if its body changed
      res = await post([{ id: 'e4', type: 'span-update', timestamp: ts, body: { id: 'raw-s2', traceId: 'raw-t', name: 'second' } }]);
      assert.equal(res.status, 207);
      body = (await res.json()) as typeof body;
      assert.deepEqual(body, { successes: [{ id: 'e4', status: 201 }], errors: [] });
      const obs = await getTrace(assay, 'raw-t');
      assert.deepEqual(obs.map((o) => o.id).sort(), ['raw-g', 'raw-s2', 'raw-t']);
      assert.equal(obs.find((o) => o.id === 'raw-s2')!.name, 'first');
      const g = obs.find((o) => o.id === 'raw-g')!;
      assert.equal(g.prompt_name, 'greeter');
      assert.equal(g.prompt_version, 2);
      assert.deepEqual([g.input_tokens, g.output_tokens, g.total_tokens, g.cached_input_tokens], [10, 4, 14, 6]);
    });

    test('whole-request errors: 400 non-JSON or no batch, 413 oversize, 401 wrong public key, 403 without ingest scope, 404 unknown path', async () => {
      const url = `${assay.url}/api/public/ingestion`;
      const auth = basic(key.id, key.key);
      let res = await fetch(url, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: 'not json' });
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /not valid JSON/);
      res = await fetch(url, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{"events": []}' });
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /batch/);

      const big = JSON.stringify({ batch: [{ id: 'x', type: 'span-create', body: { input: 'x'.repeat(3_600_000) } }] });
      res = await fetch(url, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: big });
      assert.equal(res.status, 413);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /3\.5 MB/);

      res = await fetch(url, { method: 'POST', headers: { authorization: basic('pk-lf-wrong', key.key) }, body: '{"batch":[]}' });
      assert.equal(res.status, 401);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, new RegExp(key.id));
      res = await fetch(url, { method: 'POST', headers: { authorization: basic(key.id, 'sk-wrong') }, body: '{"batch":[]}' });
      assert.equal(res.status, 401);

      const reader = await createKey(assay, ['read']);
      res = await fetch(url, { method: 'POST', headers: { authorization: basic(reader.id, reader.key) }, body: '{"batch":[]}' });
      assert.equal(res.status, 403);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /ingest/);
      res = await fetch(`${assay.url}/api/public/projects`, { headers: { authorization: basic(reader.id, reader.key) } });
      assert.equal(res.status, 403);

      res = await fetch(`${assay.url}/api/public/nothing-here`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unknown_endpoint');
    });
  });
}
