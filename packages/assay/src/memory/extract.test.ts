/**
 * Fact extraction with a fake chat handler on both stores: the request sent (model, JSON schema,
 * temperature 0, transcript), facts stored as 'extracted', and every failure returned as a value
 * with nothing stored.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../store/db.js';
import { storeKinds, type TestStore } from '../../test/helpers/stores.js';
import type { ChatHandler } from '../gateway/spec.js';
import type { ChatCompletionChunk, ChatMessage, ChatRequest } from '../gateway/types.js';
import type { Observation } from '../tracing/span.js';
import { MAX_TRANSCRIPT_CHARS, parseFacts, transcript } from './extract.js';
import { MemoryService } from './service.js';
import { hashEmbedder } from './test-embedder.js';

const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You are a cooking assistant.' },
  { role: 'user', content: 'I am allergic to peanuts, what can I bake?' },
  { role: 'assistant', content: 'Try a lemon cake.' },
  { role: 'tool', content: 'ignored', tool_call_id: 'c1' },
  { role: 'user', content: [{ type: 'text', text: 'My daughter Mia loves lemons.' }] },
];

function fakeChat(answer: string | Error, opts: { stream?: boolean } = {}): ChatHandler & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  const fn = (async (req: ChatRequest) => {
    requests.push(req);
    if (answer instanceof Error) throw answer;
    if (opts.stream) {
      const chunks = async function* (): AsyncGenerator<ChatCompletionChunk> {
        for (const part of [answer.slice(0, 5), answer.slice(5)]) {
          yield { id: 'c', object: 'chat.completion.chunk', created: 1, model: req.model, choices: [{ index: 0, delta: { content: part }, finish_reason: null }] };
        }
      };
      return { kind: 'stream' as const, chunks: chunks() };
    }
    return {
      kind: 'response' as const,
      response: {
        id: 'c', object: 'chat.completion' as const, created: 1, model: req.model,
        choices: [{ index: 0, message: { role: 'assistant' as const, content: answer }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 },
      },
    };
  }) as unknown as ChatHandler & { requests: ChatRequest[] };
  fn.requests = requests;
  return fn;
}

test('parseFacts accepts {facts: string[]} (also fenced) and says what else was wrong', () => {
  assert.deepEqual(parseFacts('{"facts": [" A. ", "", "A.", "B."]}'), { facts: ['A.', 'B.'] });
  assert.deepEqual(parseFacts('```json\n{"facts": []}\n```'), { facts: [] });
  assert.match((parseFacts('not json') as { error: string }).error, /did not return JSON/);
  assert.match((parseFacts('{"memories": []}') as { error: string }).error, /without a "facts" array/);
  assert.match((parseFacts('{"facts": [1]}') as { error: string }).error, /not all strings/);
  assert.match((parseFacts('') as { error: string }).error, /no content/);
  assert.equal((parseFacts(JSON.stringify({ facts: Array.from({ length: 30 }, (_, i) => `F${i}`) })) as { facts: string[] }).facts.length, 20);
});

test('the transcript keeps user and assistant text, newest first when long', () => {
  assert.equal(transcript(CONVERSATION), 'user: I am allergic to peanuts, what can I bake?\nassistant: Try a lemon cake.\nuser: My daughter Mia loves lemons.');
  const long = Array.from({ length: 100 }, (_, i) => ({ role: 'user' as const, content: `${i} ${'x'.repeat(1000)}` }));
  const t = transcript(long);
  assert.ok(t.length <= MAX_TRANSCRIPT_CHARS && t.endsWith('x') && t.includes('user: 99 '));
  assert.ok(!t.includes('user: 0 '));
});

for (const kind of storeKinds) {
  describe(`memory extraction on ${kind.name}`, { skip: kind.skip }, () => {
    let t: TestStore;
    let db: Db;
    const recorded: Observation[] = [];
    const service = (extract_model: string | null = 'up/extractor') =>
      new MemoryService({ db, config: { embedding_model: 'up/embed', extract_model: extract_model ?? undefined, recall_k: 5, max_per_user: 100 }, embed: hashEmbedder(), sink: { record: (o) => recorded.push(o) } });

    before(async () => {
      t = kind.make();
      db = await openDb(t.location);
    });
    after(async () => {
      await db?.close();
      await t?.cleanup();
    });

    test('facts from the model are stored as extracted, in a traced call', async () => {
      const chat = fakeChat('{"facts": ["Is allergic to peanuts.", "Has a daughter named Mia who loves lemons."]}');
      const m = service();
      const r = await m.extract('zoe', CONVERSATION, chat);
      assert.equal(r.error, undefined);
      assert.deepEqual(r.facts, ['Is allergic to peanuts.', 'Has a daughter named Mia who loves lemons.']);
      assert.deepEqual(r.stored.map((s) => s.created), [true, true]);
      const req = chat.requests[0];
      assert.equal(req.model, 'up/extractor');
      assert.equal(req.temperature, 0);
      assert.equal(req.response_format?.type, 'json_schema');
      assert.match(String(req.messages[1].content), /user: My daughter Mia loves lemons\./);
      assert.doesNotMatch(String(req.messages[1].content), /cooking assistant|ignored/);
      const span = recorded.find((o) => o.name === 'memory.extract')!;
      assert.equal(span.type, 'generation');
      assert.equal(span.status, 'ok');
      assert.equal(span.user_id, 'zoe');
      assert.equal(span.total_tokens, 60);
      const list = (await m.list('zoe')).data;
      assert.ok(list.every((x) => x.source === 'extracted' && x.traceId === span.trace_id));
      assert.equal((await m.recall('zoe', 'peanut allergy', { k: 1 }))[0].text, 'Is allergic to peanuts.');
      // Again: already known, nothing new; a streamed answer works the same.
      const again = await m.extract('zoe', CONVERSATION, fakeChat('{"facts": ["is allergic to peanuts"]}', { stream: true }));
      assert.deepEqual(again.stored.map((s) => s.created), [false]);
      assert.equal((await m.list('zoe')).data.length, 2);
    });

    test('bad output, a failed call or no extract model: an error value, nothing stored', async () => {
      const m = service();
      recorded.length = 0;
      const bad = await m.extract('yan', CONVERSATION, fakeChat('Sure! The user is allergic to peanuts.'));
      assert.match(bad.error!, /did not return JSON/);
      assert.deepEqual(bad.stored, []);
      assert.equal(recorded.find((o) => o.name === 'memory.extract')?.status, 'error');
      const shape = await m.extract('yan', CONVERSATION, fakeChat('{"memories": ["x"]}'));
      assert.match(shape.error!, /"facts" array/);
      const down = await m.extract('yan', CONVERSATION, fakeChat(Object.assign(new Error('upstream says 503'), { status: 503 })));
      assert.match(down.error!, /extraction call to up\/extractor failed: upstream says 503/);
      assert.deepEqual((await m.list('yan')).data, []);
      const off = await service(null).extract('yan', CONVERSATION, fakeChat('{"facts": ["x"]}'));
      assert.match(off.error!, /extract_model is not set/);
      const noUser = await m.extract('', CONVERSATION, fakeChat('{"facts": ["x"]}'));
      assert.match(noUser.error!, /user id is empty/);
      const empty = await m.extract('yan', [{ role: 'system', content: 'x' }], fakeChat('{"facts": ["x"]}'));
      assert.deepEqual(empty, { facts: [], stored: [] });
    });
  });
}
