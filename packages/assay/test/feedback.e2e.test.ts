/**
 * Score configs and end-user feedback end to end, both stores: configs are created, listed,
 * archived; scores are checked against them; experiment items take scores; a "browser" posts
 * thumbs with a public feedback key (CORS preflight, rate limit) against a real gateway trace id,
 * and that key is refused everywhere else.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { startAssay, type TestAssay } from './helpers/assay.js';
import { runCli } from './helpers/cli.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

const ORIGIN = 'https://shop.example';

for (const kind of storeKinds) {
  describe(`score configs and feedback (${kind.name})`, { skip: kind.skip }, () => {
    let up: FakeOpenAI;
    let assay: TestAssay;
    let store: TestStore;
    let feedbackKey: string;
    let feedbackKeyId: string;

    before(async () => {
      up = await startFakeOpenAI();
      store = kind.make();
      assay = await startAssay(
        {
          providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k' }],
          feedback: { cors_origins: [ORIGIN], rate_per_minute: 5 },
        },
        { databaseUrl: store.url },
      );
      const k = (await (await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'web widget', scopes: ['feedback'] }) })).json()) as {
        key: string;
        id: string;
      };
      feedbackKey = k.key;
      feedbackKeyId = k.id;
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await store?.cleanup();
    });
    const createConfig = async (body: unknown) => {
      const res = await assay.post('/api/score-configs', body);
      assert.equal(res.status, 201, await res.clone().text());
      return (await res.json()) as { id: string; name: string; archived: boolean };
    };
    const errorOf = async (res: Response) => ((await res.json()) as { error: { message: string; code: string } }).error;

    test('configs: create, list, get, duplicate name 409, bad definitions 400, type changes refused', async () => {
      const q = await createConfig({ name: 'quality', data_type: 'NUMERIC', min: 0, max: 5, description: '0-5 stars' });
      await createConfig({ name: 'tone', data_type: 'CATEGORICAL', categories: [{ label: 'polite', value: 1 }, { label: 'rude', value: 0 }] });
      const list = (await (await assay.api('/api/score-configs')).json()) as { data: { name: string }[] };
      assert.deepEqual(list.data.map((c) => c.name), ['quality', 'tone']);
      const got = (await (await assay.api(`/api/score-configs/${q.id}`)).json()) as { min: number; max: number; archived: boolean };
      assert.deepEqual([got.min, got.max, got.archived], [0, 5, false]);

      const dup = await assay.post('/api/score-configs', { name: 'quality', data_type: 'BOOLEAN' });
      assert.equal(dup.status, 409);
      assert.match((await errorOf(dup)).message, /already exists/);
      const bad = await assay.post('/api/score-configs', { name: 'x', data_type: 'CATEGORICAL' });
      assert.equal(bad.status, 400);
      assert.match((await errorOf(bad)).message, /needs categories/);

      const change = await assay.api(`/api/score-configs/${q.id}`, { method: 'PATCH', body: JSON.stringify({ data_type: 'TEXT' }) });
      assert.equal(change.status, 400);
      assert.equal((await errorOf(change)).code, 'score_config_immutable');
      const desc = await assay.api(`/api/score-configs/${q.id}`, { method: 'PATCH', body: JSON.stringify({ description: 'stars' }) });
      assert.equal(((await desc.json()) as { description: string }).description, 'stars');
      assert.equal((await assay.api('/api/score-configs/sc_nope')).status, 404);

      const lf = (await (await assay.api('/api/public/score-configs')).json()) as { data: { name: string; dataType: string }[]; meta: { totalItems: number } };
      assert.equal(lf.meta.totalItems, 2);
      assert.equal(lf.data[0].dataType, 'NUMERIC');
    });

    test('scores are checked against their config: range, categories, archived', async () => {
      const ok = await assay.post('/api/scores', { trace_id: 't-cfg', name: 'quality', value: 4 });
      assert.equal(ok.status, 201, await ok.clone().text());
      assert.match(((await ok.json()) as { config_id: string }).config_id, /^sc_/);

      const out = await assay.post('/api/scores', { trace_id: 't-cfg', name: 'quality', value: 7 });
      assert.equal(out.status, 400);
      const e = await errorOf(out);
      assert.equal(e.code, 'score_out_of_range');
      assert.match(e.message, /outside the range \[0, 5\]/);

      const cat = (await (await assay.post('/api/scores', { trace_id: 't-cfg', name: 'tone', value: 'rude' })).json()) as { value: number; string_value: string; data_type: string };
      assert.deepEqual([cat.data_type, cat.value, cat.string_value], ['CATEGORICAL', 0, 'rude']);
      const byValue = (await (await assay.post('/api/scores', { trace_id: 't-cfg', name: 'tone', value: 1 })).json()) as { string_value: string };
      assert.equal(byValue.string_value, 'polite');
      const unknown = await assay.post('/api/scores', { trace_id: 't-cfg', name: 'tone', value: 'meh' });
      assert.equal(unknown.status, 400);
      assert.match((await errorOf(unknown)).message, /"polite" \(1\), "rude" \(0\)/);

      const arch = await createConfig({ name: 'old', data_type: 'BOOLEAN' });
      const patched = await assay.api(`/api/score-configs/${arch.id}`, { method: 'PATCH', body: JSON.stringify({ archived: true }) });
      assert.equal(((await patched.json()) as { archived: boolean }).archived, true);
      const archived = await assay.post('/api/scores', { trace_id: 't-cfg', name: 'old', value: true, config_id: arch.id });
      assert.equal(archived.status, 400);
      assert.equal((await errorOf(archived)).code, 'score_config_archived');
      const listed = (await (await assay.api('/api/score-configs')).json()) as { data: { name: string }[] };
      assert.ok(!listed.data.some((c) => c.name === 'old'));
      const missing = await assay.post('/api/scores', { trace_id: 't-cfg', name: 'quality', value: 1, config_id: 'sc_missing' });
      assert.equal(missing.status, 400);
    });

    test('experiment item scores', async () => {
      const res = await assay.post('/api/scores', { experiment_id: 'exp_1', item_id: 'item-7', name: 'quality', value: 3, comment: 'ok' });
      assert.equal(res.status, 201, await res.clone().text());
      const half = await assay.post('/api/scores', { experiment_id: 'exp_1', name: 'quality', value: 3 });
      assert.equal(half.status, 400);
      const page = (await (await assay.api('/api/scores?experiment_id=exp_1&item_id=item-7')).json()) as { data: { experiment_item_id: string; value: number }[] };
      assert.equal(page.data.length, 1);
      assert.deepEqual([page.data[0].experiment_item_id, page.data[0].value], ['item-7', 3]);
    });

    test('a browser posts thumbs against a gateway trace id; the key is write-only', async () => {
      const chat = await assay.post('/v1/chat/completions', { model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(chat.status, 200);
      const traceId = chat.headers.get('x-assay-trace-id')!;
      assert.ok(traceId);

      const pre = await fetch(`${assay.url}/api/public/feedback`, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-assay-feedback-key' },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(pre.headers.get('access-control-allow-headers')!, /x-assay-feedback-key/);
      assert.match(pre.headers.get('access-control-allow-methods')!, /POST/);

      const browser = (body: unknown, origin = ORIGIN, key = feedbackKey) =>
        fetch(`${assay.url}/api/public/feedback`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/json', 'x-assay-feedback-key': key },
          body: JSON.stringify(body),
        });
      const res = await browser({ trace_id: traceId, value: 'down', comment: 'wrong answer', metadata: { user: 'u-42' } });
      assert.equal(res.status, 201, await res.clone().text());
      assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);

      const scores = (await (await assay.api(`/api/scores?trace_id=${traceId}`)).json()) as { data: Record<string, any>[] };
      assert.equal(scores.data.length, 1);
      const s = scores.data[0];
      assert.deepEqual([s.name, s.data_type, s.value, s.string_value, s.source, s.author, s.comment], ['user-feedback', 'BOOLEAN', 0, 'false', 'end-user', feedbackKeyId, 'wrong answer']);
      assert.equal(s.metadata.user_id, 'u-42');

      // Bearer works too; a feedback_id makes a second post replace the first.
      for (const value of ['up', 'down']) {
        const r = await fetch(`${assay.url}/api/public/feedback`, {
          method: 'POST',
          headers: { authorization: `Bearer ${feedbackKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ trace_id: traceId, value, name: 'thumb', feedback_id: 'msg-1' }),
        });
        assert.equal(r.status, 201);
      }
      const thumbs = (await (await assay.api(`/api/scores?trace_id=${traceId}&name=thumb`)).json()) as { data: { value: number }[] };
      assert.deepEqual(thumbs.data.map((t) => t.value), [0]);

      assert.equal((await browser({ trace_id: 'not a trace id!', value: 'up' })).status, 400);
      assert.equal((await browser({ trace_id: traceId, value: 'up' }, 'https://evil.example')).status, 403);
      const unauth = await browser({ trace_id: traceId, value: 'up' }, ORIGIN, 'sk-assay-wrong');
      assert.equal(unauth.status, 401);
      assert.equal(unauth.headers.get('access-control-allow-origin'), ORIGIN, 'errors carry CORS headers too');

      // Everything else refuses the feedback key.
      for (const [method, path] of [
        ['GET', '/api/traces'],
        ['GET', `/api/traces/${traceId}`],
        ['GET', '/api/scores'],
        ['POST', '/api/scores'],
        ['GET', '/api/score-configs'],
        ['POST', '/v1/chat/completions'],
        ['GET', '/v1/models'],
        ['GET', '/api/keys'],
        ['POST', '/api/public/ingestion'],
      ] as const) {
        const r = await assay.api(path, { method, key: feedbackKey, body: method === 'POST' ? JSON.stringify({}) : undefined });
        assert.equal(r.status, 403, `${method} ${path}`);
      }
      const signIn = await fetch(`${assay.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: feedbackKey }) });
      assert.equal(signIn.status, 403);
    });

    test('assay keys create --scope feedback', { skip: kind.name !== 'sqlite' && 'the CLI is store-independent' }, async () => {
      const r = await runCli(['keys', 'create', '--name', 'widget', '--scope', 'feedback', '--json'], { url: assay.url, cwd: assay.dataDir });
      assert.equal(r.status, 0, r.stderr);
      const k = JSON.parse(r.stdout) as { key: string; scopes: string[] };
      assert.deepEqual(k.scopes, ['feedback']);
      const help = await runCli(['keys', 'create', '--help'], { url: assay.url, cwd: assay.dataDir });
      assert.match(help.stdout.replace(/\s+/g, ' '), /feedback \(post end-user feedback/);
    });

    test('rate limit per key and client: 429 with retry-after', async () => {
      const k = (await (await assay.post('/api/keys', { name: 'rate', scopes: ['feedback'] })).json()) as { key: string };
      const send = () =>
        fetch(`${assay.url}/api/public/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-assay-feedback-key': k.key },
          body: JSON.stringify({ trace_id: 'trace-rate', value: 1 }),
        });
      for (let i = 0; i < 5; i++) assert.equal((await send()).status, 201);
      const limited = await send();
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    });
  });
}
