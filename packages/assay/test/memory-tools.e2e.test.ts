/**
 * Memory in the tool loop, end to end: the model stores a fact with `remember` in one
 * conversation and finds it with `recall` in another; `recall: auto` puts the user's memories in
 * the call up front; `extract: true` has a configured model pull facts from the conversation after
 * the answer. Memories are per end user (the `user` field or x-assay-user) within the calling
 * key's namespace, and visible through /api/memory?namespace=<key id>.
 */
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';
import { startFakeEmbeddings, type FakeEmbeddings } from './helpers/fake-embeddings.js';
import { lastUser, startScriptedOpenAI, toolResults, type ScriptedOpenAI } from './helpers/scripted-openai.js';

let emb: FakeEmbeddings;
let up: ScriptedOpenAI;
let assay: TestAssay;
let client: OpenAI;

/** The admin key's memory namespace (its id): its calls' memories live there. */
let ns: string;
const memories = async (user: string) => {
  const res = await assay.api(`/api/memory/${encodeURIComponent(user)}?namespace=${ns}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: { text: string; source: string }[] }).data;
};

before(async () => {
  emb = await startFakeEmbeddings();
  up = await startScriptedOpenAI();
  assay = await startAssay({
    providers: [
      { id: 'emb', type: 'openai', base_url: emb.url, api_key: 'k', models: ['bow'] },
      { id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['m'] },
    ],
    memory: { embedding_model: 'emb/bow', extract_model: 'up/extractor', recall_k: 3 },
    routes: [
      { name: 'assistant', targets: [{ model: 'up/assistant' }], tools: ['memory'] },
      { name: 'auto', targets: [{ model: 'up/auto' }], tools: [{ memory: { recall: 'auto', extract: true } }] },
    ],
  });
  client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
  const keys = (await (await assay.api('/api/keys')).json()) as { data: { id: string; scopes: string[] }[] };
  ns = keys.data.find((k) => k.scopes.includes('admin'))!.id;
});
after(async () => {
  await assay?.stop();
  await up?.close();
  await emb?.close();
});
beforeEach(() => {
  up.requests.length = 0;
});

describe('memory tools', () => {
  test('remember in one conversation, recall in another; other users see nothing', async () => {
    up.scripts.set('assistant', (body) => {
      const results = toolResults(body);
      const q = lastUser(body);
      if (results.size) return { content: `ok: ${[...results.values()].join(' | ')}` };
      if (q.startsWith('note')) return { tool_calls: [{ name: 'remember', arguments: { fact: 'Is allergic to peanuts' } }, { name: 'remember', arguments: { fact: 'Plays the cello on weekends' } }] };
      return { tool_calls: [{ name: 'recall', arguments: { query: 'peanut allergies' } }] };
    });
    const stored = await client.chat.completions.create({ model: 'assistant', user: 'alice', messages: [{ role: 'user', content: 'note: peanuts are a problem for me; I play cello' }] });
    assert.equal(stored.choices[0].message.content, 'ok: Remembered. | Remembered.');
    assert.deepEqual((await memories('alice')).map((m) => m.source), ['tool', 'tool']);

    const recalled = await client.chat.completions.create(
      { model: 'assistant', messages: [{ role: 'user', content: 'what should I avoid eating?' }] },
      { headers: { 'x-assay-user': 'alice' } },
    );
    assert.match(recalled.choices[0].message.content!, /^ok: - Is allergic to peanuts/);
    const cites = (recalled as unknown as { assay: { citations: { type: string; text: string }[] } }).assay.citations;
    assert.equal(cites[0].type, 'memory');
    assert.equal(cites[0].text, 'Is allergic to peanuts');

    const bob = await client.chat.completions.create({ model: 'assistant', user: 'bob', messages: [{ role: 'user', content: 'what should I avoid eating?' }] });
    assert.equal(bob.choices[0].message.content, 'ok: Nothing is stored about the user that matches this.');
  });

  test('recall: auto adds the memories up front; extract: true stores facts from the conversation after the answer', async () => {
    const headers = { 'x-assay-user': 'carol' };
    await assay.api(`/api/memory/carol?namespace=${ns}`, { method: 'POST', body: JSON.stringify({ text: 'Lives in Lisbon' }) });
    up.scripts.set('auto', () => ({ content: 'Noted.' }));
    up.scripts.set('extractor', () => ({ content: JSON.stringify({ facts: ['Has a dog named Rex'] }) }));
    const res = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Where do I live? Also, my dog Rex is sick.' }] }, { headers });
    assert.equal(res.choices[0].message.content, 'Noted.');
    const sent = up.requests.find((r) => r.model === 'auto')!;
    const system = sent.messages.find((m) => m.role === 'system');
    assert.match(String(system?.content), /Known facts about the user[\s\S]*Lives in Lisbon/);
    // extraction runs after the answer: wait for it
    let texts: string[] = [];
    for (let i = 0; i < 50 && !texts.includes('Has a dog named Rex'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      texts = (await memories('carol')).map((m) => m.text);
    }
    assert.ok(texts.includes('Has a dog named Rex'), `extracted fact stored (have: ${texts.join(', ')})`);
    const extraction = up.requests.find((r) => r.model === 'extractor')!;
    assert.ok(JSON.stringify(extraction.messages).includes('my dog Rex is sick'), 'the extractor saw the conversation');
  });

  test('memory tools without an end user: 400 saying how to name one', async () => {
    const res = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'assistant', messages: [{ role: 'user', content: 'x' }] }) });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error.message, /memory tools need the end user: set `user`/);
    assert.equal(up.requests.length, 0);
  });
});
