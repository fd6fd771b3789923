/**
 * Retrieval in the tool loop, end to end on SQLite and PostgreSQL: a knowledge base created and
 * filled through /api/kb (embeddings from a fake upstream whose vectors carry meaning), a route
 * with `retrieve: {kb}`, a scripted model that searches and answers. The answer carries citations,
 * the trace holds the retrieval span with each arm's scores and the query embedding under it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';
import { startFakeEmbeddings, type FakeEmbeddings } from './helpers/fake-embeddings.js';
import { startScriptedOpenAI, toolResults, type ScriptedOpenAI } from './helpers/scripted-openai.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

const DOCS = [
  { source: 'guide/keys.md', content: '# API keys\n\nTo rotate an API key, create a new key, deploy it, then revoke the old key from the keys page.' },
  { source: 'guide/billing.md', content: '# Billing\n\nInvoices are sent on the first day of each month to the billing email address.' },
  { source: 'guide/limits.md', content: '# Limits\n\nEach project may run at most 50 requests per second; contact support for more.' },
];

for (const kind of storeKinds) {
  describe(`retrieve tool on ${kind.name}`, { skip: kind.skip }, () => {
    let store: TestStore;
    let emb: FakeEmbeddings;
    let up: ScriptedOpenAI;
    let assay: TestAssay;
    let client: OpenAI;

    before(async () => {
      store = kind.make();
      emb = await startFakeEmbeddings();
      up = await startScriptedOpenAI();
      assay = await startAssay(
        {
          providers: [
            { id: 'emb', type: 'openai', base_url: emb.url, api_key: 'k', models: ['bow'] },
            { id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['m'] },
          ],
          knowledge: { default_embedding_model: 'emb/bow' },
          routes: [
            { name: 'support', targets: [{ model: 'up/support' }], tools: [{ retrieve: { kb: 'guide', k: 2 } }] },
            { name: 'support-checked', targets: [{ model: 'up/support' }], tools: [{ retrieve: { kb: 'guide', k: 2 } }], verify: { strategy: 'check', model: 'up/checker', max_revisions: 0 } },
          ],
        },
        { databaseUrl: store.url },
      );
      client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
      let res = await assay.api('/api/kb', { method: 'POST', body: JSON.stringify({ name: 'guide' }) });
      assert.equal(res.status, 201, await res.clone().text());
      res = await assay.api('/api/kb/guide/documents', { method: 'POST', body: JSON.stringify({ documents: DOCS }) });
      assert.equal(res.status, 200, await res.clone().text());
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await emb?.close();
      await store?.cleanup();
    });

    test('the model searches, reads numbered passages with sources, answers; citations and spans record it', async () => {
      up.scripts.set('support', (body) => {
        const results = toolResults(body);
        if (results.size === 0) return { tool_calls: [{ name: 'retrieve', arguments: { query: 'how do I rotate an API key' } }] };
        return { content: `According to [1]: ${[...results.values()][0].split('\n').find((l) => l.startsWith('To rotate'))}` };
      });
      const { data, response } = await client.chat.completions
        .create({ model: 'support', messages: [{ role: 'user', content: 'How do I rotate my key?' }] })
        .withResponse();
      const offered = up.requests[0].tools!.find((t) => t.function.name === 'retrieve')!;
      assert.match(offered.function.description!, /knowledge base "guide"/);
      const fed = [...toolResults(up.requests[1]).values()][0];
      assert.match(fed, /^\[1\] guide\/keys\.md — API keys\nAPI keys\n\nTo rotate an API key/);
      assert.equal(fed.split(/\n\n(?=\[\d\])/).length, 2, 'k = 2 passages');
      assert.match(data.choices[0].message.content!, /^According to \[1\]: To rotate an API key/);

      const report = (data as unknown as { assay: { citations: any[]; tool_loop: any } }).assay;
      assert.equal(report.citations.length, 2);
      assert.equal(report.citations[0].type, 'chunk');
      assert.equal(report.citations[0].source, 'guide/keys.md');
      assert.equal(report.citations[0].kb, 'guide');
      assert.ok(report.citations[0].score > 0);
      assert.match(report.citations[0].text, /rotate an API key/);

      await assay.flush();
      const t = (await (await assay.api(`/api/traces/${response.headers.get('x-assay-trace-id')}`)).json()) as { observations: any[] };
      const retrieval = t.observations.find((o) => o.type === 'retrieval')!;
      assert.equal(retrieval.name, 'retrieve');
      assert.deepEqual(retrieval.input, { query: 'how do I rotate an API key' });
      const hits = retrieval.output.data.hits;
      assert.equal(hits[0].source, 'guide/keys.md');
      assert.ok(hits[0].vector && typeof hits[0].vector.distance === 'number', 'the vector arm scored the hit');
      assert.ok(hits[0].text && hits[0].text.rank === 1, 'the text arm ranked it first');
      const embedding = t.observations.find((o) => o.type === 'embedding' && o.parent_id === retrieval.id);
      assert.ok(embedding, 'the query embedding is a child of the retrieval span');
      assert.equal(embedding.name, 'kb.search');
    });

    test('check verifies the answer against the passages the tool loop retrieved; both reports come back', async () => {
      up.scripts.set('support', (body) => {
        const results = toolResults(body);
        if (results.size === 0) return { tool_calls: [{ name: 'retrieve', arguments: { query: 'how do I rotate an API key' } }] };
        return { content: 'Create a new key, deploy it, then revoke the old one.' };
      });
      up.scripts.set('checker', () => ({ content: JSON.stringify({ claims: [{ claim: 'rotate by creating, deploying, revoking', supported: true, evidence: 'To rotate an API key, create a new key' }] }) }));
      up.requests.length = 0;
      const data = await client.chat.completions.create({ model: 'support-checked', messages: [{ role: 'user', content: 'How do I rotate my key?' }] });
      const ext = (data as unknown as { assay: { citations: any[]; tool_loop: any; verification: any } }).assay;
      assert.equal(ext.tool_loop.steps, 2);
      assert.equal(ext.citations.length, 2);
      assert.equal(ext.verification.verdict, 'passed');
      assert.equal(ext.verification.calls, 3, 'two tool-loop steps and the checker');
      const check = up.requests.find((b) => b.model === 'checker')!;
      const shown = String(check.messages.at(-1)?.content);
      assert.match(shown, /\[retrieved: guide\/keys\.md\] .*To rotate an API key/s);
      assert.equal(check.tools, undefined, 'the checker does not get the route\'s tools');
      assert.equal(data.usage?.total_tokens, 45);
    });

    test('a route naming a knowledge base that does not exist fails the call with a clear 400', async () => {
      const res = await assay.api('/v1/chat/completions', {
        method: 'POST',
        body: JSON.stringify({ model: 'up/support', messages: [{ role: 'user', content: 'x' }], assay: { tools: [{ retrieve: { kb: 'handbook' } }] } }),
      });
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as any).error.message, /knowledge base "handbook", which does not exist/);
    });
  });
}
