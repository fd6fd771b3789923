/**
 * What one key's calls can reach, end to end on both stores, with scripted upstreams: every model a
 * verification names passes the key's allow-list (403 before any upstream call), a route's required
 * verification can only be narrowed, memory is namespaced by key (or a shared memory_namespace),
 * a key bound to one end user refuses another, and client trace ids are namespaced by key.
 */
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { expectJson, startAssay, type TestAssay } from './helpers/assay.js';
import { startFakeEmbeddings, type FakeEmbeddings } from './helpers/fake-embeddings.js';
import { lastUser, startScriptedOpenAI, toolResults, type ScriptedOpenAI } from './helpers/scripted-openai.js';
import { storeKinds } from './helpers/stores.js';

/** An OpenAI-shaped error response: status, code and message. */
async function expectV1Error(res: Response, status: number, code: string, message?: RegExp) {
  const body = await expectJson<{ error: { code: string; message: string; param: string | null; type: string } }>(res, status);
  assert.equal(body.error.code, code, body.error.message);
  if (message) assert.match(body.error.message, message);
  return body.error;
}

const JUDGE = { strategy: 'judge', assert: [{ type: 'contains', value: '42' }], max_attempts: 2, budget: { max_calls: 4 } };

for (const kind of storeKinds) {
  describe(`key scope on ${kind.name}`, { skip: kind.skip }, () => {
    let up: ScriptedOpenAI;
    let emb: FakeEmbeddings;
    let assay: TestAssay;
    let store: ReturnType<(typeof kind)['make']>;
    const keys: Record<string, { id: string; key: string }> = {};

    const chat = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      fetch(`${assay.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'What is 40 + 2?' }], ...body }),
      });
    const makeKey = async (name: string, extra: Record<string, unknown>) => {
      keys[name] = await expectJson<{ id: string; key: string }>(await assay.post('/api/keys', { name, scopes: ['model'], ...extra }), 201);
    };

    before(async () => {
      store = kind.make();
      up = await startScriptedOpenAI();
      emb = await startFakeEmbeddings();
      assay = await startAssay(
        {
          providers: [
            { id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['m'] },
            { id: 'emb', type: 'openai', base_url: emb.url, api_key: 'k', models: ['bow'] },
          ],
          memory: { embedding_model: 'emb/bow', extract_model: 'up/extractor' },
          routes: [
            { name: 'smart', targets: [{ model: 'up/smart' }] },
            { name: 'guarded', targets: [{ model: 'up/guarded' }], verify: { ...JUDGE, on_fail: 'abstain', required: true } },
            { name: 'assistant', targets: [{ model: 'up/assistant' }], tools: ['memory'] },
            { name: 'extracting', targets: [{ model: 'up/assistant' }], tools: [{ memory: { extract: true } }] },
          ],
        },
        { databaseUrl: store.url },
      );
      await makeKey('narrow', { models: ['smart', 'guarded'] });
      await makeKey('a', { models: ['assistant', 'smart'] });
      await makeKey('b', { models: ['assistant', 'smart'] });
      await makeKey('shared1', { models: ['assistant'], policy: { memory_namespace: 'app-1' } });
      await makeKey('shared2', { models: ['assistant'], policy: { memory_namespace: 'app-1' } });
      await makeKey('bound', { policy: { user: 'u-bound' } });
      await makeKey('extracts', { models: ['extracting', 'up/extractor'] });
      await makeKey('noExtract', { models: ['extracting'] });
      up.scripts.set('smart', () => ({ content: '42' }));
      up.scripts.set('guarded', () => ({ content: 'It is 42.' }));
      up.scripts.set('assistant', (body) => {
        const results = toolResults(body);
        if (results.size) return { content: `ok: ${[...results.values()].join(' | ')}` };
        const q = lastUser(body);
        if (q.startsWith('note')) return { tool_calls: [{ name: 'remember', arguments: { fact: 'Prefers window seats' } }] };
        return { tool_calls: [{ name: 'recall', arguments: { query: 'window seats' } }] };
      });
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await emb?.close();
      await store?.cleanup();
    });
    beforeEach(() => {
      up.requests.length = 0;
    });

    describe('the model allow-list covers every model a call names', () => {
      test('a verifier, grader or assertion model outside the list is a 403 naming the option, before any upstream call', async () => {
        const cases: [unknown, string][] = [
          [{ strategy: 'check', model: 'up/other' }, 'assay.verify.model'],
          [{ ...JUDGE, grader: 'up/other' }, 'assay.verify.grader'],
          [{ ...JUDGE, assert: [{ type: 'llm-rubric', value: 'is right', provider: 'up/other' }] }, 'assay.verify.assert[0].provider'],
          [[{ strategy: 'vote', samples: 2 }, { strategy: 'check', model: 'up/*' }], 'assay.verify[1].model'],
        ];
        for (const [verify, param] of cases) {
          const err = await expectV1Error(await chat(keys.narrow.key, { model: 'smart', assay: { verify } }), 403, 'model_not_allowed', /may not call "up\/(other|\*)"/);
          assert.equal(err.param, param);
          assert.match(err.message, new RegExp(`asked for by ${param.replace(/[[\].]/g, '\\$&')}`));
        }
        assert.equal(up.requests.length, 0, 'no upstream call was made');
      });

      test('models the key may call verify as before', async () => {
        const res = await chat(keys.narrow.key, { model: 'smart', assay: { verify: { ...JUDGE, grader: 'smart' } } });
        const body = await expectJson<{ assay: { verification: { verdict: string } } }>(res, 200);
        assert.equal(body.assay.verification.verdict, 'passed');
      });

      test('a tool-loop or other layer call to a disallowed model is refused by the router', async () => {
        const err = await expectV1Error(await chat(keys.narrow.key, { model: 'up/smart' }), 403, 'model_not_allowed');
        assert.equal(err.param, 'model');
        assert.equal(up.requests.length, 0);
      });
    });

    test("memory extraction runs on memory.extract_model only when the key may call it", async () => {
      up.scripts.set('extractor', () => ({ content: JSON.stringify({ facts: ['Likes tea'] }) }));
      const extraction = async (key: string) => {
        const res = await chat(key, { model: 'extracting', user: 'u3', messages: [{ role: 'user', content: 'note: I like tea' }] });
        await expectJson(res, 200);
        const id = res.headers.get('x-assay-trace-id')!;
        // Extraction runs after the answer: wait until its span is in the trace.
        for (;;) {
          await assay.flush();
          const t = await expectJson<{ observations: { name: string; status: string; error: string | null }[] }>(await assay.api(`/api/traces/${id}`), 200);
          const span = t.observations.find((o) => o.name === 'memory.extract');
          if (span) return span;
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const refused = await extraction(keys.noExtract.key);
      assert.equal(refused.status, 'error');
      assert.match(refused.error ?? '', /may not call "up\/extractor"/);
      assert.equal(up.requests.filter((r) => r.model === 'extractor').length, 0, 'no extraction call went upstream');
      const allowed = await extraction(keys.extracts.key);
      assert.equal(allowed.status, 'ok');
      assert.equal(up.requests.filter((r) => r.model === 'extractor').length, 1);
    });

    describe('required verification', () => {
      test('assay.verify: false on a required route is refused', async () => {
        const err = await expectV1Error(await chat(keys.narrow.key, { model: 'guarded', assay: { verify: false } }), 403, 'verification_required', /routes\[guarded\]\.verify is required/);
        assert.equal(err.param, 'assay.verify');
        assert.equal(up.requests.length, 0);
      });

      test('a call may not widen it: higher budget, another strategy, a more lenient on_fail, other options', async () => {
        const refusals: [unknown, string][] = [
          [{ budget: { max_calls: 40 } }, 'assay.verify.budget.max_calls'],
          [{ strategy: 'vote' }, 'assay.verify.strategy'],
          ['schema', 'assay.verify.strategy'],
          [{ on_fail: 'return' }, 'assay.verify.on_fail'],
          [{ assert: [{ type: 'contains', value: '' }] }, 'assay.verify.assert'],
          [['judge'], 'assay.verify'],
        ];
        for (const [verify, param] of refusals) {
          const err = await expectV1Error(await chat(keys.narrow.key, { model: 'guarded', assay: { verify } }), 403, 'verification_required');
          assert.equal(err.param, param, JSON.stringify(verify));
        }
        await expectV1Error(await chat(keys.narrow.key, { model: 'guarded', assay: { verify: { budget: { max_calls: 'x' } } } }), 400, 'invalid_verify');
        const own = await expectV1Error(await chat(keys.narrow.key, { model: 'smart', assay: { verify: { ...JUDGE, required: true } } }), 400, 'invalid_verify', /required is a route's option/);
        assert.equal(own.param, 'assay.verify.required');
        assert.equal(up.requests.length, 0);
      });

      test('a call may narrow it: a lower budget and a stricter on_fail apply', async () => {
        up.scripts.set('guarded', () => ({ content: 'no idea' }));
        try {
          const res = await chat(keys.narrow.key, { model: 'guarded', assay: { verify: { strategy: 'judge', budget: { max_calls: 1 }, on_fail: 'error' } } });
          await expectV1Error(res, 422, 'verification_failed');
          assert.equal(up.requests.length, 1, 'the lowered budget allowed one call');
          const plain = await expectJson<{ assay: { verification: { verdict: string; calls: number } } }>(await chat(keys.narrow.key, { model: 'guarded' }), 200);
          assert.equal(plain.assay.verification.verdict, 'failed');
          assert.equal(plain.assay.verification.calls, 2, "the route's own max_attempts");
        } finally {
          up.scripts.set('guarded', () => ({ content: 'It is 42.' }));
        }
      });
    });

    describe('memory is namespaced by key', () => {
      const note = (key: string, user: string) => chat(key, { model: 'assistant', user, messages: [{ role: 'user', content: 'note: I like window seats' }] });
      const recall = async (key: string, user: string) => {
        const body = await expectJson<{ choices: { message: { content: string } }[] }>(
          await chat(key, { model: 'assistant', messages: [{ role: 'user', content: 'where do I like to sit?' }] }, { 'x-assay-user': user }),
          200,
        );
        return body.choices[0].message.content;
      };
      const listed = async (user: string, namespace?: string) => {
        const q = namespace === undefined ? '' : `?namespace=${namespace}`;
        return (await expectJson<{ data: { text: string; user_id: string; namespace: string }[] }>(await assay.api(`/api/memory/${user}${q}`), 200)).data;
      };

      test("key A's memories of u1 are invisible to key B's calls for u1; the admin API names the namespace", async () => {
        await expectJson(await note(keys.a.key, 'u1'), 200);
        assert.match(await recall(keys.a.key, 'u1'), /^ok: - Prefers window seats/);
        assert.equal(await recall(keys.b.key, 'u1'), 'ok: Nothing is stored about the user that matches this.');

        const mine = await listed('u1', keys.a.id);
        assert.deepEqual(mine.map((m) => [m.text, m.user_id, m.namespace]), [['Prefers window seats', 'u1', keys.a.id]]);
        assert.deepEqual(await listed('u1', keys.b.id), []);
        assert.deepEqual(await listed('u1'), [], 'the legacy namespace holds only memories stored before namespaces');
        await expectJson(await assay.post('/api/memory/old-user', { text: 'Stored before namespaces' }), 201);
        const users = async (q: string) =>
          (await expectJson<{ data: { user_id: string; namespace: string }[] }>(await assay.api(`/api/memory${q}`), 200)).data.map((u) => [u.user_id, u.namespace]);
        assert.deepEqual(await users(`?namespace=${keys.a.id}`), [['u1', keys.a.id]]);
        assert.deepEqual(await users('?namespace='), [['old-user', '']]);
        const all = (await users('')).map((u) => u.join('@'));
        for (const u of [`u1@${keys.a.id}`, 'old-user@']) assert.ok(all.includes(u), `no namespace lists every namespace: ${all.join(', ')}`);
        const wiped = await expectJson(await assay.api(`/api/memory/u1?namespace=${keys.a.id}`, { method: 'DELETE' }), 200);
        assert.deepEqual(wiped, { user_id: 'u1', namespace: keys.a.id, deleted: 1 });
        await expectV1Error(await assay.api('/api/memory/u1?namespace=bad%20ns'), 400, 'invalid_request', /namespace: a memory namespace is 1–64 letters/);
      });

      test('keys with one memory_namespace share their users', async () => {
        await expectJson(await note(keys.shared1.key, 'u2'), 200);
        assert.match(await recall(keys.shared2.key, 'u2'), /^ok: - Prefers window seats/);
        assert.equal((await listed('u2', 'app-1')).length, 1);
        assert.equal(await recall(keys.a.key, 'u2'), 'ok: Nothing is stored about the user that matches this.');
      });
    });

    describe('a key bound to one end user', () => {
      test('naming another user is a 403; naming none or the bound one is attributed to it', async () => {
        let err = await expectV1Error(await chat(keys.bound.key, { model: 'smart', user: 'someone-else' }), 403, 'user_bound', /bound to one end user \("u-bound"\)/);
        assert.equal(err.param, 'user');
        err = await expectV1Error(await chat(keys.bound.key, { model: 'smart' }, { 'x-assay-user': 'someone-else' }), 403, 'user_bound');
        assert.equal(err.param, 'x-assay-user');
        assert.equal(up.requests.length, 0);

        const ids: string[] = [];
        for (const res of [await chat(keys.bound.key, { model: 'smart' }), await chat(keys.bound.key, { model: 'smart', user: 'u-bound' })]) {
          await expectJson(res, 200);
          ids.push(res.headers.get('x-assay-trace-id')!);
        }
        await assay.flush();
        for (const id of ids) {
          const t = await expectJson<{ observations: { parent_id: string | null; user_id: string | null }[] }>(await assay.api(`/api/traces/${id}`), 200);
          assert.equal(t.observations.find((o) => o.parent_id === null)!.user_id, 'u-bound');
        }
      });
    });

    describe('client trace ids are namespaced by key', () => {
      test('the same id from two keys lands on two traces; from one key, on one', async () => {
        const send = async (key: string, id: string) => {
          const res = await chat(key, { model: 'smart' }, { 'x-assay-trace-id': id });
          await expectJson(res, 200);
          return res.headers.get('x-assay-trace-id')!;
        };
        const a1 = await send(keys.a.key, 'order-7');
        const b1 = await send(keys.b.key, 'order-7');
        const a2 = await send(keys.a.key, 'order-7');
        const a3 = await send(keys.a.key, a1);
        assert.equal(a1, `${keys.a.id}:order-7`);
        assert.equal(b1, `${keys.b.id}:order-7`);
        assert.equal(a2, a1);
        assert.equal(a3, a1, 'the id from the response header, sent back, is kept');
        const b2 = await send(keys.b.key, a1);
        assert.equal(b2, `${keys.b.id}:${a1}`, "another key's full id is still put in the sender's namespace");

        await assay.flush();
        const roots = async (id: string) =>
          (await expectJson<{ observations: { parent_id: string | null; key_id: string }[] }>(await assay.api(`/api/traces/${id}`), 200)).observations.filter((o) => o.parent_id === null);
        assert.deepEqual((await roots(a1)).map((o) => o.key_id), [keys.a.id, keys.a.id, keys.a.id]);
        assert.deepEqual((await roots(b1)).map((o) => o.key_id), [keys.b.id]);
      });
    });
  });
}
