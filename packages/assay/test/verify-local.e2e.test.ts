/**
 * Verification through the real tiny local GGUF model (random weights: it cannot answer, but its
 * output follows the grammar the provider builds from a JSON schema). Schema verification enforced
 * by grammar, a vote over grammar-constrained samples, and program-aided answers whose code the
 * schema's enum pins down (a working program, and one that always throws).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';
import { TINY_MODEL } from './helpers/models.js';

let assay: TestAssay;
let client: OpenAI;
const report = (x: unknown) => (x as { assay: { verification: Record<string, any> } }).assay.verification;
const withAssay = (assay: Record<string, unknown>): {} => ({ assay });
const enumSchema = (name: string, key: string, values: string[]) => ({
  type: 'json_schema' as const,
  json_schema: { name, schema: { type: 'object', properties: { [key]: { type: 'string', enum: values } }, required: [key], additionalProperties: false } },
});

before(async () => {
  assay = await startAssay({
    providers: [{ id: 'local', type: 'local', models: { default: { path: TINY_MODEL, threads: 1, context_size: 1024, max_tokens: 48 } } }],
  });
  client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
});
after(async () => {
  await assay?.stop();
});

test('schema: the grammar makes the first answer valid; the report says it was enforced by grammar', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'local/default', messages: [{ role: 'user', content: 'Is it raining?' }], response_format: enumSchema('reply', 'answer', ['yes', 'no']), ...withAssay({ verify: 'schema' }) })
    .withResponse();
  const r = report(data);
  assert.equal(r.verdict, 'passed', JSON.stringify(r));
  assert.equal(r.enforced_by, 'grammar');
  assert.equal(r.calls, 1);
  assert.ok(['yes', 'no'].includes(JSON.parse(data.choices[0].message.content!).answer));
  assert.equal(response.headers.get('x-assay-verification'), 'passed');
});

test('vote: three sampled answers read by JSON path; the verdict follows the tally', async () => {
  const data = await client.chat.completions.create({
    model: 'local/default',
    messages: [{ role: 'user', content: 'Pick a colour.' }],
    seed: 11,
    temperature: 1,
    response_format: enumSchema('pick', 'colour', ['red', 'green', 'blue']),
    ...withAssay({ verify: { strategy: 'vote', samples: 3, extract: { json_path: '$.colour' } } }),
  });
  const r = report(data);
  assert.equal(r.attempts.length, 3);
  assert.ok(r.attempts.every((a: any) => a.verdict === 'pass' && ['red', 'green', 'blue'].includes(a.answer)), JSON.stringify(r.attempts));
  const total = r.votes.reduce((s: number, v: any) => s + v.votes, 0);
  assert.equal(total, 3);
  assert.equal(r.confidence, r.votes[0].votes / 3);
  const expected = r.votes[0].votes >= 2 ? 'passed' : 'abstained';
  assert.equal(r.verdict, expected);
  if (expected === 'passed') assert.equal(JSON.parse(data.choices[0].message.content!).colour, r.votes[0].answer);
});

test('program: the model\'s code runs in the sandbox and its result is the answer; code that throws is fed back and fails', async () => {
  const ok = await client.chat.completions.create({
    model: 'local/default',
    messages: [{ role: 'user', content: 'What is 6 times 7?' }],
    response_format: enumSchema('program', 'code', ['return 6 * 7']),
    ...withAssay({ verify: 'program' }),
  });
  assert.equal(ok.choices[0].message.content, '42');
  assert.equal(report(ok).verdict, 'passed');
  assert.equal(report(ok).result, 42);

  const bad = await client.chat.completions.create({
    model: 'local/default',
    messages: [{ role: 'user', content: 'What is 6 times 7?' }],
    response_format: enumSchema('program', 'code', ['return x * 7']),
    ...withAssay({ verify: { strategy: 'program', max_retries: 1, on_fail: 'return' } }),
  });
  const r = report(bad);
  assert.equal(r.verdict, 'failed');
  assert.equal(r.attempts.length, 2);
  assert.ok(r.attempts.every((a: any) => /ReferenceError/.test(a.reason)), JSON.stringify(r.attempts));
});
