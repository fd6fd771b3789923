/**
 * The `check` strategy end to end: a scripted generator and a scripted verifier model. Claims
 * checked against the conversation's context (revised, then passing; never passing: abstains; a
 * verifier answer that cannot be read), and factored chain-of-verification (questions answered
 * without the draft, an inconsistency revised).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { type TestAssay } from './helpers/assay.js';
import { lastUser, scriptedGateway, type ScriptedBody, type ScriptedOpenAI } from './helpers/scripted-openai.js';

let up: ScriptedOpenAI;
let assay: TestAssay;
let client: OpenAI;
scriptedGateway({
  routes: [{ name: 'grounded', targets: [{ model: 'up/gen' }], verify: { strategy: 'check', model: 'up/checker' } }],
}, (gw) => ({ up, assay, client } = gw));

const report = (x: unknown) => (x as { assay: { verification: Record<string, any> } }).assay.verification;
const withAssay = (assay: Record<string, unknown>): {} => ({ assay });
const CONTEXT = 'Paris is the capital of France. It has about 2.1 million inhabitants.';
const messages = [
  { role: 'system' as const, content: `Answer from this context only:\n${CONTEXT}` },
  { role: 'user' as const, content: 'Tell me about Paris.' },
];
const DRAFT = 'Paris is the capital of France and has 50 million inhabitants.';
const REVISED = 'Paris is the capital of France and has about 2.1 million inhabitants.';

/** The generator: the draft first, the revision when the request carries the checker's findings. */
const generator = () => (b: ScriptedBody) => ({ content: b.messages.length > 2 ? REVISED : DRAFT });
const schemaName = (b: ScriptedBody) => (b.response_format as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;


describe('check: claims', () => {
  test('an unsupported claim is fed back, the revision passes; the verifier sees the context and the draft', async () => {
    up.scripts.set('gen', generator());
    up.scripts.set('checker', (b) => {
      const revised = lastUser(b).endsWith(REVISED);
      return {
        content: JSON.stringify({
          claims: [
            { claim: 'Paris is the capital of France', supported: true, evidence: 'Paris is the capital of France.' },
            revised ? { claim: 'Paris has about 2.1 million inhabitants', supported: true, evidence: 'It has about 2.1 million inhabitants.' } : { claim: 'Paris has 50 million inhabitants', supported: false, evidence: '' },
          ],
        }),
      };
    });
    const { data, response } = await client.chat.completions.create({ model: 'grounded', messages }).withResponse();
    assert.equal(data.choices[0].message.content, REVISED);
    const r = report(data);
    assert.equal(r.verdict, 'passed');
    assert.equal(r.revised, true);
    assert.equal(r.confidence, 1);
    assert.deepEqual(r.attempts.map((a: any) => a.verdict), ['fail', 'pass']);
    assert.equal(r.attempts[0].score, 0.5);
    assert.match(r.attempts[0].reason, /50 million/);
    assert.equal(r.calls, 4);

    const checks = up.requests.filter((b) => b.model === 'checker');
    assert.equal(checks.length, 2);
    assert.equal(schemaName(checks[0]), 'claims');
    assert.equal(checks[0].temperature, 0);
    assert.ok(lastUser(checks[0]).includes(CONTEXT), 'the context is shown');
    assert.ok(lastUser(checks[0]).includes(DRAFT), 'the draft is shown');
    const revision = up.requests.filter((b) => b.model === 'gen')[1];
    assert.match(String(revision.messages.at(-1)?.content), /does not support:\n- Paris has 50 million inhabitants/);
    assert.equal(revision.messages.at(-2)?.content, DRAFT);

    await assay.flush();
    const t = (await (await assay.api(`/api/traces/${response.headers.get('x-assay-trace-id')}`)).json()) as { observations: Record<string, any>[] };
    const evaluators = t.observations.filter((o) => o.type === 'evaluator');
    assert.deepEqual(evaluators.map((o) => o.name), ['check claims', 'check claims']);
    assert.deepEqual(t.observations.filter((o) => o.name === 'draft' || o.name === 'revision 1').map((o) => o.metadata.verdict).sort(), ['fail', 'pass']);
  });

  test('never supported: abstains after max_revisions with a clear message; on_fail "return" gives the last draft', async () => {
    up.scripts.set('gen', generator());
    up.scripts.set('checker', () => ({ content: JSON.stringify({ claims: [{ claim: 'x', supported: false, evidence: '' }] }) }));
    const data = await client.chat.completions.create({ model: 'grounded', messages });
    assert.equal(report(data).verdict, 'abstained');
    assert.match(data.choices[0].message.content!, /^I can't give a verified answer to this: the answer did not pass the check \(1 not supported: x\)/);
    assert.equal(up.requests.length, 4);

    const ret = await client.chat.completions.create({ model: 'up/gen', messages, ...withAssay({ verify: { strategy: 'check', model: 'up/checker', max_revisions: 0, on_fail: 'return' } }) });
    assert.equal(ret.choices[0].message.content, DRAFT);
    assert.equal(report(ret).verdict, 'abstained');
  });

  test('min_supported lets a share of claims pass; a verifier answer that cannot be read fails the check (never passes it)', async () => {
    up.scripts.set('gen', generator());
    up.scripts.set('checker', () => ({ content: JSON.stringify({ claims: [{ claim: 'a', supported: true, evidence: 'a' }, { claim: 'b', supported: false, evidence: '' }] }) }));
    const half = await client.chat.completions.create({ model: 'grounded', messages, ...withAssay({ verify: { strategy: 'check', model: 'up/checker', min_supported: 0.5 } }) });
    assert.equal(report(half).verdict, 'passed');
    assert.equal(report(half).confidence, 0.5);

    up.scripts.set('checker', () => ({ content: 'All good!' }));
    const bad = await client.chat.completions.create({ model: 'grounded', messages });
    assert.equal(report(bad).verdict, 'failed');
    assert.match(report(bad).attempts[0].reason, /the verifier's answer is not valid JSON/);
    assert.match(bad.choices[0].message.content!, /^I can't give a verified answer/);
  });
});

describe('check: chain-of-verification', () => {
  test('questions are answered without the draft; an inconsistency is revised and the revision re-checked', async () => {
    up.scripts.set('gen', generator());
    up.scripts.set('checker', (b) => {
      const name = schemaName(b);
      if (name === 'questions') return { content: JSON.stringify({ questions: ['What is the capital of France?', 'How many people live in Paris?'] }) };
      if (name === 'checks') {
        const revised = lastUser(b).startsWith(`ANSWER:\n${REVISED}`);
        return {
          content: JSON.stringify({
            checks: [
              { question: 'What is the capital of France?', consistent: true, note: '' },
              { question: 'How many people live in Paris?', consistent: revised, note: revised ? '' : 'the answer says 50 million' },
            ],
          }),
        };
      }
      return { content: lastUser(b).includes('capital') ? 'Paris.' : 'About 2.1 million.' };
    });
    const data = await client.chat.completions.create({ model: 'up/gen', messages, ...withAssay({ verify: { strategy: 'check', mode: 'cove', model: 'up/checker' } }) });
    assert.equal(data.choices[0].message.content, REVISED);
    const r = report(data);
    assert.equal(r.verdict, 'passed');
    assert.equal(r.mode, 'cove');
    assert.deepEqual(r.attempts[0].questions.map((q: any) => q.consistent), [true, false]);
    assert.equal(r.attempts[0].questions[1].answer, 'About 2.1 million.');

    const answers = up.requests.filter((b) => b.model === 'checker' && !schemaName(b));
    assert.equal(answers.length, 4, 'two questions, answered once per round');
    for (const b of answers) {
      const all = JSON.stringify(b.messages);
      assert.ok(!all.includes('50 million') && !all.includes(REVISED), 'a verification question never sees the draft');
      assert.ok(all.includes(CONTEXT), 'but it sees the context');
    }
    const revision = up.requests.filter((b) => b.model === 'gen')[1];
    assert.match(String(revision.messages.at(-1)?.content), /How many people live in Paris\? — checked answer: About 2\.1 million\./);
    assert.equal(r.calls, 10, 'draft, plan, 2 answers, compare; revision, plan, 2 answers, compare');
  });
});
