/**
 * The SDK against a real Assay server: a nested trace with a wrapped OpenAI client (one streamed,
 * one plain call) is exported over OTLP/JSON and read back from GET /api/traces/:id; a score is
 * posted to /api/scores and listed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { ADMIN_KEY, startAssay, type TestAssay } from '../../assay/test/helpers/assay.js';
import { Assay } from '../src/index.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';

interface Row {
  id: string;
  parent_id: string | null;
  type: string;
  name: string;
  status: string;
  model: string | null;
  user_id: string | null;
  session_id: string | null;
  tags: string[];
  environment: string | null;
  release: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cached_input_tokens: number | null;
  reasoning_tokens: number | null;
  ttft_ms: number | null;
  input: unknown;
  output: unknown;
  error: string | null;
}

let server: TestAssay;
let upstream: FakeOpenAI;
let assay: Assay;

before(async () => {
  server = await startAssay({});
  upstream = await startFakeOpenAI();
  assay = new Assay({ host: server.url, apiKey: ADMIN_KEY, environment: 'e2e', release: 'r1', flushOnExit: false, onError: (e) => console.error(e) });
});
after(async () => {
  await assay.shutdown();
  await upstream.close();
  await server.stop();
});

async function readTrace(id: string, expected: number): Promise<Row[]> {
  let last = '';
  for (let i = 0; i < 50; i++) {
    const res = await server.api(`/api/traces/${id}`);
    last = `${res.status} ${await res.clone().text()}`;
    if (res.ok) {
      const body = (await res.json()) as { observations: Row[] };
      if (body.observations.length >= expected) return body.observations;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`trace ${id} did not show ${expected} observations; last answer: ${last.slice(0, 500)}`);
}

test('a nested trace with wrapped OpenAI calls is stored and read back', async () => {
  const openai = assay.wrapOpenAI(new OpenAI({ apiKey: 'sk-upstream', baseURL: upstream.url, maxRetries: 0 }));
  let traceId = '';
  const answer = await assay.trace({ name: 'support-chat', userId: 'u-1', sessionId: 's-1', tags: ['e2e'] }, async (root) => {
    traceId = root.traceId;
    const docs = await assay.observe('retrieve', async () => ['doc-1'], { type: 'retrieval', input: { q: 'refund' } });
    const stream = await openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: `context: ${docs.join()}` }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    await assert.rejects(openai.chat.completions.create({ model: 'fail', messages: [{ role: 'user', content: 'x' }] }));
    return text;
  });
  assert.equal(answer, 'Hello');
  await assay.flush();

  const rows = await readTrace(traceId, 4);
  assert.equal(rows.length, 4);
  const root = rows.find((r) => r.name === 'support-chat');
  const retrieve = rows.find((r) => r.name === 'retrieve');
  const gen = rows.find((r) => r.name === 'chat gpt-test');
  const failed = rows.find((r) => r.name === 'chat fail');
  assert.ok(root && retrieve && gen && failed, `names: ${rows.map((r) => r.name).join(', ')}`);

  assert.equal(root.parent_id, null);
  assert.equal(retrieve.parent_id, root.id);
  assert.equal(gen.parent_id, root.id);
  assert.equal(root.type, 'span');
  assert.equal(retrieve.type, 'retrieval');
  assert.deepEqual(retrieve.input, { q: 'refund' });
  assert.deepEqual(retrieve.output, ['doc-1']);
  for (const r of rows) {
    assert.equal(r.user_id, 'u-1', r.name);
    assert.equal(r.session_id, 's-1', r.name);
    assert.deepEqual(r.tags, ['e2e'], r.name);
    assert.equal(r.environment, 'e2e', r.name);
    assert.equal(r.release, 'r1', r.name);
  }

  assert.equal(gen.type, 'generation');
  assert.equal(gen.status, 'ok');
  assert.match(String(gen.model), /^gpt-test/);
  assert.equal(gen.input_tokens, 12);
  assert.equal(gen.output_tokens, 7);
  assert.equal(gen.cached_input_tokens, 4);
  assert.equal(gen.reasoning_tokens, 2);
  assert.equal(typeof gen.ttft_ms, 'number');
  assert.deepEqual(gen.output, { role: 'assistant', content: 'Hello' });
  assert.equal(root.input_tokens, null, 'token counts only on the model call');

  assert.equal(failed.type, 'generation');
  assert.equal(failed.status, 'error');
  assert.match(String(failed.error), /does not exist/);

  const scoreId = await assay.score({ traceId, observationId: gen.id, name: 'helpful', value: 1, comment: 'e2e' });
  const listed = await server.api(`/api/scores?trace_id=${traceId}`);
  assert.equal(listed.status, 200);
  const scores = (await listed.json()) as { data: { id: string; name: string; value: number; observation_id: string }[] };
  assert.equal(scores.data.length, 1);
  assert.equal(scores.data[0].id, scoreId);
  assert.equal(scores.data[0].observation_id, gen.id);
  assert.equal(scores.data[0].value, 1);
});
