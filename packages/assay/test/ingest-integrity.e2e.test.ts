/**
 * Ingest integrity end to end: an ingest key (OTLP, Langfuse, POST /api/scores) creates and updates
 * its own rows only. An update of a gateway row, another key's row or a human score is refused for
 * that record alone, the row stays as it was and the rest of the batch is written; an admin key may
 * still correct rows; ingested generations never count toward a budget. SQLite and PostgreSQL.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { expectError, expectJson, startAssay, type TestAssay } from './helpers/assay.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

let up: FakeOpenAI;
before(async () => {
  up = await startFakeOpenAI();
});
after(async () => {
  await up?.close();
});

const config = () => ({ providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k' }], routes: [{ name: 'smart', targets: [{ model: 'up/gpt-4o' }] }] });

type Obs = Record<string, any>;
type Ingestion = { successes: { id: string; status: number }[]; errors: { id: string; status: number; message: string }[] };

async function createKey(assay: TestAssay, scopes: string[]): Promise<{ id: string; key: string }> {
  return expectJson(await assay.post('/api/keys', { name: scopes.join('+'), scopes }), 201);
}

async function trace(assay: TestAssay, id: string): Promise<Obs[]> {
  return (await expectJson<{ observations: Obs[] }>(await assay.api(`/api/traces/${id}`), 200)).observations;
}

/** A gateway call for user `user`: its trace id and root observation. */
async function gatewayCall(assay: TestAssay, user = 'ann'): Promise<{ traceId: string; root: Obs }> {
  const res = await assay.post('/v1/chat/completions', { model: 'smart', user, messages: [{ role: 'user', content: 'hi' }] });
  await expectJson(res, 200);
  const traceId = res.headers.get('x-assay-trace-id')!;
  await assay.flush();
  return { traceId, root: (await trace(assay, traceId)).find((o) => o.parent_id === null)! };
}

const lf = (assay: TestAssay, key: string, batch: unknown[]) => assay.post('/api/public/ingestion', { batch }, key);
const ts = () => new Date().toISOString();

function otlpSpan(traceId: string, spanId: string, attrs: Record<string, string | number>) {
  const now = Date.now();
  return {
    traceId,
    spanId,
    name: 'chat forged',
    kind: 3,
    startTimeUnixNano: `${now}000000`,
    endTimeUnixNano: `${now + 5}000000`,
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } })),
  };
}
const otlp = (assay: TestAssay, key: string, spans: unknown[]) => assay.post('/v1/traces', { resourceSpans: [{ scopeSpans: [{ spans }] }] }, key);

for (const kind of storeKinds) {
  describe(`ingest integrity (${kind.name})`, { skip: kind.skip }, () => {
    let store: TestStore;
    let assay: TestAssay;
    let ingest: { id: string; key: string };
    let other: { id: string; key: string };
    before(async () => {
      store = kind.make();
      assay = await startAssay(config(), { databaseUrl: store.url });
      ingest = await createKey(assay, ['ingest']);
      other = await createKey(assay, ['ingest']);
    });
    after(async () => {
      await assay?.stop();
      await store?.cleanup();
    });

    test('Langfuse: an update of a gateway observation is refused for that event alone; the row is unchanged; an admin may correct it', async () => {
      const { traceId, root } = await gatewayCall(assay);
      const res = await lf(assay, ingest.key, [
        { id: 'forge', type: 'generation-update', timestamp: ts(), body: { id: root.id, traceId, name: 'forged', costDetails: { total: 999 }, usageDetails: { input: 9_000_000 } } },
        { id: 'forge-again', type: 'span-update', timestamp: ts(), body: { id: root.id, traceId, name: 'forged', level: 'ERROR' } },
        { id: 'mine', type: 'trace-create', timestamp: ts(), body: { id: `own-${kind.name}`, name: 'mine' } },
      ]);
      const body = await expectJson<Ingestion>(res, 207);
      assert.deepEqual(body.successes.map((s) => s.id), ['mine']);
      assert.deepEqual(body.errors.map((e) => [e.id, e.status]), [['forge', 403], ['forge-again', 403]]);
      assert.match(body.errors[0].message, new RegExp(`observation ${root.id} of trace ${traceId} was written by the gateway`));
      const after = (await trace(assay, traceId)).find((o) => o.id === root.id)!;
      assert.deepEqual([after.name, after.cost, after.input_tokens, after.status], [root.name, root.cost, root.input_tokens, root.status]);
      assert.equal((await trace(assay, `own-${kind.name}`))[0].name, 'mine');

      const fix = await expectJson<Ingestion>(await lf(assay, (await createKey(assay, ['admin'])).key, [{ id: 'fix', type: 'generation-update', timestamp: ts(), body: { id: root.id, traceId, name: 'corrected' } }]), 207);
      assert.deepEqual(fix.errors, []);
      assert.equal((await trace(assay, traceId)).find((o) => o.id === root.id)!.name, 'corrected');
    });

    test("Langfuse: a key updates its own rows but not another key's", async () => {
      const t = `shared-${kind.name}`;
      await expectJson(await lf(assay, other.key, [{ id: 'o1', type: 'span-create', timestamp: ts(), body: { id: 's1', traceId: t, name: 'theirs' } }]), 207);
      const res = await expectJson<Ingestion>(await lf(assay, ingest.key, [
        { id: 'u1', type: 'span-update', timestamp: ts(), body: { id: 's1', traceId: t, name: 'stolen' } },
        { id: 'c2', type: 'span-create', timestamp: ts(), body: { id: 's2', traceId: t, name: 'mine' } },
      ]), 207);
      assert.deepEqual(res.errors.map((e) => [e.id, e.status]), [['u1', 403]]);
      assert.match(res.errors[0].message, /written by another key/);
      const own = await expectJson<Ingestion>(await lf(assay, other.key, [{ id: 'o2', type: 'span-update', timestamp: ts(), body: { id: 's1', traceId: t, name: 'renamed' } }]), 207);
      assert.deepEqual(own.errors, []);
      const names = Object.fromEntries((await trace(assay, t)).map((o) => [o.id, o.name]));
      assert.equal(names.s1, 'renamed');
      assert.equal(names.s2, 'mine');
    });

    test('OTLP: a span resent with a gateway span id is rejected in partialSuccess and the row is unchanged; other spans are written', async () => {
      const { traceId, root } = await gatewayCall(assay);
      const res = await otlp(assay, ingest.key, [
        otlpSpan(traceId, root.id, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 5_000_000, 'user.id': 'mallory' }),
        otlpSpan(traceId, 'ab'.repeat(8), { 'app.note': 'added' }),
      ]);
      const body = await expectJson<{ partialSuccess?: { rejectedSpans: string; errorMessage: string } }>(res, 200);
      assert.equal(body.partialSuccess?.rejectedSpans, '1');
      assert.match(body.partialSuccess!.errorMessage, /1 span\(s\) rejected, 1 accepted: observation .* was written by the gateway/);
      const rows = await trace(assay, traceId);
      const after = rows.find((o) => o.id === root.id)!;
      assert.deepEqual([after.name, after.input_tokens, after.user_id], [root.name, root.input_tokens, root.user_id]);
      assert.ok(rows.some((o) => o.id === 'ab'.repeat(8)));
    });

    test('scores: an ingest key cannot overwrite a human score or another key’s, by Langfuse or by POST /api/scores; its own it can', async () => {
      const { traceId } = await gatewayCall(assay);
      const human = await expectJson<{ id: string }>(await assay.post('/api/scores', { trace_id: traceId, name: 'quality', value: 1, comment: 'by a reviewer' }), 201);
      const res = await expectJson<Ingestion>(await lf(assay, ingest.key, [
        { id: 'sc1', type: 'score-create', timestamp: ts(), body: { id: human.id, traceId, name: 'quality', value: 0 } },
        { id: 'sc2', type: 'score-create', timestamp: ts(), body: { id: `own-score-${kind.name}`, traceId, name: 'quality', value: 0.5 } },
      ]), 207);
      assert.deepEqual(res.errors.map((e) => [e.id, e.status]), [['sc1', 403]]);
      assert.match(res.errors[0].message, new RegExp(`score ${human.id} was written by another key`));
      await expectError(await assay.post('/api/scores', { id: human.id, trace_id: traceId, name: 'quality', value: 0 }, ingest.key), 403, 'score_not_yours', new RegExp(`score ${human.id}`));
      const stored = await expectJson<{ value: number; comment: string }>(await assay.api(`/api/scores/${human.id}`), 200);
      assert.deepEqual([stored.value, stored.comment], [1, 'by a reviewer']);

      await expectJson(await assay.post('/api/scores', { id: `own-score-${kind.name}`, trace_id: traceId, name: 'quality', value: 0.75 }, ingest.key), 201);
      await expectError(await assay.post('/api/scores', { id: `own-score-${kind.name}`, trace_id: traceId, name: 'quality', value: 0 }, other.key), 403, 'score_not_yours');
      assert.equal((await expectJson<{ value: number }>(await assay.api(`/api/scores/own-score-${kind.name}`), 200)).value, 0.75);
    });

    test('budgets count gateway calls only: an ingested generation with a huge usage does not spend a user’s budget', async () => {
      await expectJson(await assay.post('/api/budgets', { name: 'tokens-per-user', scope: 'user', metric: 'tokens', limit: 15, window: 'day' }), 201);
      await gatewayCall(assay, 'zoe'); // 10 tokens
      const res = await otlp(assay, ingest.key, [
        otlpSpan('cd'.repeat(16), 'ef'.repeat(8), { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 9_000_000, 'gen_ai.usage.output_tokens': 9_000_000, 'user.id': 'zoe' }),
      ]);
      assert.deepEqual(await expectJson(res, 200), {});
      const forged = (await trace(assay, 'cd'.repeat(16)))[0];
      assert.equal(forged.total_tokens, 18_000_000, 'the ingested row itself is stored as sent');
      // Counters are seeded from stored rows when a server starts: only the gateway's 10 tokens count.
      await assay.stop();
      assay = await startAssay(config(), { databaseUrl: store.url });
      await expectJson(await assay.post('/v1/chat/completions', { model: 'smart', user: 'zoe', messages: [{ role: 'user', content: 'hi' }] }), 200);
      await expectError(await assay.post('/v1/chat/completions', { model: 'smart', user: 'zoe', messages: [{ role: 'user', content: 'hi' }] }), 429, 'budget_exceeded', /20 of 15 tokens/);
    });
  });
}
