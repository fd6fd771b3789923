/**
 * Long-term memory end to end on a real server, both stores: /api/memory (store, dedupe, list,
 * search, delete, wipe, user ids with slashes, scopes, errors), memory turned off, and extraction
 * through the gateway's chat pipeline. The upstream is a small fake whose embeddings carry meaning
 * (hashed trigrams, src/memory/test-embedder.ts) and whose chat models answer extraction requests:
 *   facts   → {"facts": [...]} naming what the last user message says
 *   garbage → prose instead of JSON
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAssay, type TestAssay } from './helpers/assay.js';
import { storeKinds, type TestStore } from './helpers/stores.js';
import { hashEmbed } from '../src/memory/test-embedder.js';

interface Upstream { url: string; embedded: string[]; close(): Promise<void> }

async function startUpstream(): Promise<Upstream> {
  const embedded: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const json = (obj: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (req.url === '/v1/embeddings') {
      const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
      embedded.push(...inputs);
      return json({
        object: 'list', model: body.model,
        data: inputs.map((t, index) => {
          const v = hashEmbed(t);
          return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? Buffer.from(v.buffer).toString('base64') : Array.from(v) };
        }),
        usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
      });
    }
    const last = String(body.messages?.[1]?.content ?? '');
    const content = body.model === 'facts'
      ? JSON.stringify({ facts: last.includes('peanuts') ? ['Is allergic to peanuts.', 'Lives in Lyon.'] : [] })
      : 'The user seems to like cats.';
    json({
      id: 'x', object: 'chat.completion', created: 1, model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 },
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    embedded,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const FACTS = ['Is allergic to peanuts.', 'Has a dog named Rex.', 'Works as a nurse in Lyon.', 'Prefers answers in French.'];

describe('memory off', () => {
  let assay: TestAssay;
  before(async () => {
    assay = await startAssay({});
  });
  after(async () => assay?.stop());

  test('every /api/memory route says how to turn it on', async () => {
    for (const [method, path] of [['GET', '/api/memory'], ['GET', '/api/memory/alice'], ['POST', '/api/memory/alice/search'], ['DELETE', '/api/memory/alice']]) {
      const res = await assay.api(path, { method, body: method === 'POST' ? JSON.stringify({ query: 'x' }) : undefined });
      assert.equal(res.status, 404, path);
      const e = (await res.json()) as { error: { message: string; code: string } };
      assert.equal(e.error.code, 'memory_not_configured');
      assert.match(e.error.message, /add a `memory:` section with `embedding_model`/);
    }
    assert.equal(assay.deps.memory, null);
  });
});

for (const kind of storeKinds) {
  describe(`memory API (${kind.name})`, { skip: kind.skip }, () => {
    let up: Upstream;
    let store: TestStore;
    let assay: TestAssay;
    const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });

    before(async () => {
      up = await startUpstream();
      store = kind.make();
      assay = await startAssay(
        {
          providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k' }],
          memory: { embedding_model: 'up/embed', extract_model: 'up/facts', recall_k: 3 },
        },
        { databaseUrl: store.url },
      );
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await store?.cleanup();
    });

    test('store, dedupe, list, search, delete, wipe', async () => {
      const user = encodeURIComponent('team/alice@example.com');
      const ids: string[] = [];
      for (const text of FACTS) {
        const r = await json(await assay.api(`/api/memory/${user}`, { method: 'POST', body: JSON.stringify({ text, metadata: { via: 'test' } }) }));
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.created, true);
        assert.equal(r.body.user_id, 'team/alice@example.com');
        assert.equal(r.body.source, 'api');
        assert.deepEqual(r.body.metadata, { via: 'test' });
        assert.equal(r.body.model, 'up/embed');
        ids.push(r.body.id);
      }
      const again = await json(await assay.api(`/api/memory/${user}`, { method: 'POST', body: JSON.stringify({ text: 'is allergic to PEANUTS' }) }));
      assert.equal(again.status, 200);
      assert.equal(again.body.id, ids[0]);
      assert.equal(again.body.created, false);

      const users = await json(await assay.api('/api/memory'));
      assert.deepEqual(users.body.data.map((u: any) => [u.user_id, u.count]), [['team/alice@example.com', 4]]);

      const p1 = await json(await assay.api(`/api/memory/${user}?limit=3`));
      assert.deepEqual(p1.body.data.map((m: any) => m.text), [FACTS[3], FACTS[2], FACTS[1]]);
      const p2 = await json(await assay.api(`/api/memory/${user}?limit=3&cursor=${p1.body.next_cursor}`));
      assert.deepEqual(p2.body.data.map((m: any) => m.text), [FACTS[0]]);
      assert.equal(p2.body.next_cursor, null);

      const found = await json(await assay.api(`/api/memory/${user}/search`, { method: 'POST', body: JSON.stringify({ query: 'What allergies does the user have?' }) }));
      assert.equal(found.status, 200);
      assert.equal(found.body.data.length, 3, 'recall_k from the config');
      assert.equal(found.body.data[0].text, FACTS[0]);
      assert.equal(found.body.data[0].vector_rank, 1);
      const rex = await json(await assay.api(`/api/memory/${user}/search`, { method: 'POST', body: JSON.stringify({ query: 'Rex', k: 1 }) }));
      assert.deepEqual(rex.body.data.map((h: any) => [h.text, h.text_rank]), [[FACTS[1], 1]]);

      const one = await json(await assay.api(`/api/memory/${user}/${ids[2]}`));
      assert.equal(one.body.text, FACTS[2]);
      assert.equal((await json(await assay.api(`/api/memory/${user}/${ids[2]}`, { method: 'DELETE' }))).body.deleted, true);
      const gone = await json(await assay.api(`/api/memory/${user}/${ids[2]}`, { method: 'DELETE' }));
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.code, 'memory_not_found');
      assert.equal((await assay.api(`/api/memory/${user}/${ids[2]}`)).status, 404);

      const wiped = await json(await assay.api(`/api/memory/${user}`, { method: 'DELETE' }));
      assert.deepEqual(wiped.body, { user_id: 'team/alice@example.com', namespace: '', deleted: 3 });
      assert.deepEqual((await json(await assay.api(`/api/memory/${user}/search`, { method: 'POST', body: JSON.stringify({ query: 'peanuts' }) }))).body.data, []);
      assert.deepEqual((await json(await assay.api('/api/memory'))).body.data, []);
      await assay.flush();
      assert.ok(up.embedded.includes('What allergies does the user have?'), 'queries are embedded through the gateway');
    });

    test('bad requests say what to fix', async () => {
      const cases: [string, string, unknown, RegExp][] = [
        ['POST', '/api/memory/bob', {}, /text is required/],
        ['POST', '/api/memory/bob', { text: '   ' }, /text is empty/],
        ['POST', '/api/memory/bob', { text: 'x'.repeat(4001) }, /4001 characters; a memory holds at most 4000/],
        ['POST', '/api/memory/bob', { text: 'ok', extra: 1 }, /extra/],
        ['POST', '/api/memory/bob/search', { query: 'x', k: 99 }, /k/],
        ['POST', `/api/memory/${'u'.repeat(257)}`, { text: 'ok' }, /257 characters; at most 256/],
      ];
      for (const [method, path, body, re] of cases) {
        const r = await json(await assay.api(path, { method, body: JSON.stringify(body) }));
        assert.equal(r.status, 400, `${path} ${JSON.stringify(body).slice(0, 40)}`);
        assert.match(r.body.error.message, re);
      }
      const notJson = await assay.api('/api/memory/bob', { method: 'POST', body: 'nope' });
      assert.equal(notJson.status, 400);
      assert.equal((await json(await assay.api('/api/memory/bob?limit=0'))).status, 400);
    });

    test('scopes: read keys read and search, only admin keys write', async () => {
      const created = await json(await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'reader', scopes: ['read'] }) }));
      const key = created.body.key as string;
      await assay.api('/api/memory/carol', { method: 'POST', body: JSON.stringify({ text: 'Plays the cello.' }) });
      assert.equal((await assay.api('/api/memory/carol', { key })).status, 200);
      assert.equal((await assay.api('/api/memory/carol/search', { key, method: 'POST', body: JSON.stringify({ query: 'cello' }) })).status, 200);
      assert.equal((await assay.api('/api/memory/carol', { key, method: 'POST', body: JSON.stringify({ text: 'x' }) })).status, 403);
      assert.equal((await assay.api('/api/memory/carol', { key, method: 'DELETE' })).status, 403);
      assert.equal((await assay.api('/api/memory/carol', { key: 'sk-assay-wrong' })).status, 401);
    });

    test('extraction through the chat pipeline stores facts, and refuses prose', async () => {
      const memory = assay.deps.memory!;
      const messages = [
        { role: 'user' as const, content: 'I live in Lyon and I am allergic to peanuts. Any dessert idea?' },
        { role: 'assistant' as const, content: 'A lemon tart.' },
      ];
      const r = await memory.extract('dana', messages, assay.deps.chat);
      assert.equal(r.error, undefined);
      assert.deepEqual(r.facts, ['Is allergic to peanuts.', 'Lives in Lyon.']);
      const list = await json(await assay.api('/api/memory/dana'));
      assert.deepEqual(list.body.data.map((m: any) => m.source), ['extracted', 'extracted']);
      const traceId = list.body.data[0].trace_id as string;
      await assay.flush();
      const trace = await json(await assay.api(`/api/traces/${traceId}`));
      const names = trace.body.observations.map((o: any) => `${o.type}:${o.name}`);
      assert.ok(names.includes('generation:memory.extract') && names.includes('embedding:memory.remember'), names.join(', '));
      const root = trace.body.observations.find((o: any) => o.parent_id === null);
      assert.equal(root.model, 'up/facts');
      assert.equal(root.user_id, 'dana');

      const prose = await memory.extract('dana', messages, (req, ctx) => assay.deps.chat({ ...req, model: 'up/garbage' }, ctx));
      assert.match(prose.error!, /did not return JSON/);
      assert.deepEqual(prose.stored, []);
      assert.equal((await json(await assay.api('/api/memory/dana'))).body.data.length, 2);
    });
  });
}
