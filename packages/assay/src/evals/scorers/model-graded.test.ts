import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError, UpstreamError } from '../../errors.js';
import type { CallContext, ChatHandler } from '../../gateway/spec.js';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from '../../gateway/types.js';
import { emptyObservation, Span, type Observation } from '../../tracing/span.js';
import { graderFromChat } from './grader.js';
import { compileAssertion } from './registry.js';
import { ctxOf, run } from './test-helpers.js';
import type { GradeFn, GraderRequest, ScorerDeps } from './types.js';

/** A grade function that answers with canned text (or throws) and records what it was asked. */
function fakeGrader(answer: string | Error | ((req: GraderRequest) => string)) {
  const calls: GraderRequest[] = [];
  const grade: GradeFn = async (req) => {
    calls.push(req);
    if (answer instanceof Error) throw answer;
    const content = typeof answer === 'function' ? answer(req) : answer;
    return { content, raw: { choices: [{ message: { content } }] } };
  };
  const deps: ScorerDeps = { grade, defaultGrader: 'judge/default' };
  return { calls, deps };
}

const prompt = (calls: GraderRequest[]) => String(calls[0].messages[0].content);

function assertGradingRequest(req: GraderRequest, model: string, schemaName: string) {
  assert.equal(req.model, model);
  assert.equal(req.temperature, 0);
  assert.equal(req.response_format.type, 'json_schema');
  assert.ok(req.response_format.type === 'json_schema' && req.response_format.json_schema.name === schemaName && req.response_format.json_schema.strict === true);
}

describe('llm-rubric', () => {
  const spec = { type: 'llm-rubric', value: 'Is polite and mentions {{city}}' };
  const ctx = ctxOf('Bonjour! Paris is lovely.', { vars: { city: 'Paris' }, prompt: 'Say hi from Paris' });

  test('pass: structured request at temperature 0, prompt and raw answer in metadata', async () => {
    const answer = '{"reason":"Polite and mentions Paris.","pass":true,"score":0.9}';
    const { calls, deps } = fakeGrader(answer);
    const r = await run(spec, ctx, deps);
    assert.equal(r.pass, true);
    assert.equal(r.score, 0.9);
    assert.equal(r.reason, 'Polite and mentions Paris.');
    assertGradingRequest(calls[0], 'judge/default', 'llm_rubric_grade');
    assert.match(prompt(calls), /<rubric>\nIs polite and mentions Paris\n<\/rubric>/);
    assert.match(prompt(calls), /<output>\nBonjour! Paris is lovely.\n<\/output>/);
    assert.match(prompt(calls), /<task>\nSay hi from Paris\n<\/task>/);
    assert.equal(r.metadata?.renderedGradingPrompt, prompt(calls));
    assert.equal(r.metadata?.graderOutput, answer);
    assert.equal(r.metadata?.graderModel, 'judge/default');
  });

  test('fail, threshold, provider override and not-', async () => {
    const { calls, deps } = fakeGrader('{"reason":"Rude.","pass":false,"score":0.1}');
    const r = await run({ ...spec, provider: 'judge/big' }, ctx, deps);
    assert.equal(r.pass, false);
    assert.equal(r.score, 0.1);
    assert.equal(calls[0].model, 'judge/big');
    const neg = await run({ ...spec, type: 'not-llm-rubric' }, ctx, deps);
    assert.equal(neg.pass, true);
    assert.equal(neg.score, 0.9);
    const { deps: d2 } = fakeGrader('{"reason":"Mostly.","pass":true,"score":0.6}');
    const low = await run({ ...spec, threshold: 0.7 }, ctx, d2);
    assert.equal(low.pass, false);
    assert.match(low.reason, /score 0.6 < threshold 0.7/);
  });

  test('grader errors are errors, never passes (even under not- and weight 0)', async () => {
    const cases: [string | Error, RegExp][] = [
      ['not json at all', /not valid JSON/],
      ['{"reason":"x","pass":"yes","score":1}', /data\/pass must be boolean/],
      ['{"reason":"x","pass":true}', /required property 'score'/],
      ['{"reason":"x","pass":true,"score":7}', /outside 0\.\.1/],
      [new UpstreamError({ status: 503, message: 'overloaded', failure: 'http', target: 'judge' }), /grader call failed \(HTTP 503\): overloaded/],
    ];
    for (const [answer, re] of cases) {
      const { deps } = fakeGrader(answer);
      for (const variant of [spec, { ...spec, type: 'not-llm-rubric' }, { ...spec, weight: 0 }]) {
        const r = await run(variant, ctx, deps);
        assert.equal(r.pass, false, `${variant.type} ${String(answer)}`);
        assert.equal(r.score, 0);
        assert.match(r.error ?? '', re);
        assert.ok(r.metadata?.renderedGradingPrompt);
        if (typeof answer === 'string') assert.equal(r.metadata?.graderOutput, answer);
      }
    }
  });

  test('a JSON answer in a ``` fence is accepted', async () => {
    const { deps } = fakeGrader('```json\n{"reason":"ok","pass":true,"score":1}\n```');
    assert.equal((await run(spec, ctx, deps)).pass, true);
  });

  test('rubricPrompt replaces the prompt: text or a JSON message list, rendered with vars', async () => {
    const { calls, deps } = fakeGrader('{"reason":"ok","pass":true,"score":1}');
    await run({ ...spec, rubricPrompt: 'Rubric: {{rubric}} / Output: {{output}} / City: {{city}}' }, ctx, deps);
    assert.equal(prompt(calls), 'Rubric: Is polite and mentions Paris / Output: Bonjour! Paris is lovely. / City: Paris');
    const messages = JSON.stringify([{ role: 'system', content: 'Grade strictly.' }, { role: 'user', content: '{{output}} vs {{rubric}}' }]);
    await run({ ...spec, rubricPrompt: messages }, ctx, deps);
    assert.deepEqual(calls[1].messages, [{ role: 'system', content: 'Grade strictly.' }, { role: 'user', content: 'Bonjour! Paris is lovely. vs Is polite and mentions Paris' }]);
    const missing = await run({ ...spec, rubricPrompt: 'needs {{nothing}}' }, ctx, deps);
    assert.equal(missing.pass, false);
    assert.match(missing.error ?? '', /\{\{nothing\}\} is not defined/);
  });

  test('an output containing {{…}} is not rendered again', async () => {
    const { calls, deps } = fakeGrader('{"reason":"ok","pass":true,"score":1}');
    await run(spec, ctxOf('literal {{city}}', { vars: { city: 'Paris' } }), deps);
    assert.match(prompt(calls), /<output>\nliteral \{\{city\}\}\n<\/output>/);
    assert.doesNotMatch(prompt(calls), /<task>/);
  });

  test('compile errors: no grader, no model, empty rubric, bad rubricPrompt', () => {
    const fails = (s: unknown, deps: ScorerDeps, re: RegExp) => assert.throws(() => compileAssertion(s, deps), (e: unknown) => e instanceof AssayError && re.test(e.message));
    fails(spec, {}, /no grader connection/);
    fails(spec, { grade: fakeGrader('').deps.grade }, /assertion\.provider: llm-rubric needs a grader model/);
    fails({ type: 'llm-rubric', value: ' ' }, fakeGrader('').deps, /must not be empty/);
    fails({ ...spec, rubricPrompt: '[{"role":"robot","content":"x"}]' }, fakeGrader('').deps, /rubricPrompt: a JSON prompt/);
  });
});

describe('factuality', () => {
  const spec = { type: 'factuality', value: 'Paris is the capital of France.' };
  const ctx = ctxOf('The capital is Paris, a city of 2 million.', { prompt: 'What is the capital of France?' });
  const answer = (choice: string) => `{"reason":"because","choice":"${choice}"}`;

  test('choices map to the autoevals scores; D fails, the others pass (promptfoo rule)', async () => {
    const expected: Record<string, [number, boolean]> = { A: [0.4, true], B: [0.6, true], C: [1, true], D: [0, false], E: [1, true] };
    for (const [choice, [score, pass]] of Object.entries(expected)) {
      const { calls, deps } = fakeGrader(answer(choice));
      const r = await run(spec, ctx, deps);
      assert.equal(r.score, score, choice);
      assert.equal(r.pass, pass, choice);
      assert.equal(r.metadata?.choice, choice);
      assert.match(r.reason, new RegExp(`^\\(${choice}\\) because`));
      assertGradingRequest(calls[0], 'judge/default', 'factuality_grade');
      assert.match(prompt(calls), /<question>\nWhat is the capital of France\?\n<\/question>/);
      assert.match(prompt(calls), /<expert_answer>\nParis is the capital of France.\n<\/expert_answer>/);
      assert.match(prompt(calls), /<submitted_answer>\nThe capital is Paris, a city of 2 million.\n<\/submitted_answer>/);
      assert.equal(r.metadata?.graderOutput, answer(choice));
    }
  });

  test('threshold, config.scores (promptfoo names), alias, question from vars', async () => {
    const { deps } = fakeGrader(answer('A'));
    assert.equal((await run({ ...spec, threshold: 0.5 }, ctx, deps)).pass, false);
    const custom = await run({ ...spec, type: 'model-graded-factuality', config: { scores: { subset: 1 } } }, ctx, deps);
    assert.equal(custom.score, 1);
    const { calls, deps: d2 } = fakeGrader(answer('C'));
    await run(spec, ctxOf('Paris', { vars: { question: 'Capital of France?' } }), d2);
    assert.match(prompt(calls), /<question>\nCapital of France\?\n<\/question>/);
    const none = await run(spec, ctxOf('Paris'), d2);
    assert.equal(none.pass, false);
    assert.match(none.error ?? '', /needs the question/);
    assert.throws(() => compileAssertion({ ...spec, config: { scores: { Z: 1 } } }, d2), /unknown choice "Z"/);
  });

  test('a choice outside A–E is a schema error, not a pass', async () => {
    const { deps } = fakeGrader(answer('F'));
    const r = await run(spec, ctx, deps);
    assert.equal(r.pass, false);
    assert.match(r.error ?? '', /data\/choice must be one of/);
  });
});

describe('model-graded-closedqa', () => {
  const spec = { type: 'model-graded-closedqa', value: 'mentions a colour' };

  test('pass / fail / error', async () => {
    const { calls, deps } = fakeGrader('{"reason":"Says blue.","pass":true}');
    const r = await run(spec, ctxOf('The sky is blue', { prompt: 'Describe the sky' }), deps);
    assert.deepEqual([r.pass, r.score, r.reason], [true, 1, 'Says blue.']);
    assertGradingRequest(calls[0], 'judge/default', 'closedqa_grade');
    assert.match(prompt(calls), /<criterion>\nmentions a colour\n<\/criterion>/);
    assert.match(prompt(calls), /<task>\nDescribe the sky\n<\/task>/);
    const { deps: no } = fakeGrader('{"reason":"No colour.","pass":false}');
    const f = await run(spec, ctxOf('It is big'), no);
    assert.deepEqual([f.pass, f.score], [false, 0]);
    const { deps: bad } = fakeGrader('{"reason":"x","pass":true,"extra":1}');
    const e = await run({ ...spec, type: 'not-model-graded-closedqa' }, ctxOf('x'), bad);
    assert.equal(e.pass, false);
    assert.match(e.error ?? '', /additional property 'extra'/);
  });
});

describe('graderFromChat', () => {
  function setup(handler: (req: ChatRequest, ctx: CallContext) => ReturnType<ChatHandler>) {
    const recorded: Observation[] = [];
    const sink = { record: (o: Observation) => recorded.push(o) };
    const root = new Span(sink, emptyObservation({ trace_id: 't1', type: 'span', name: 'experiment item' }));
    const seen: { req: ChatRequest; ctx: CallContext }[] = [];
    const chat: ChatHandler = (req, ctx) => {
      seen.push({ req, ctx });
      return handler(req, ctx);
    };
    const makeCtx = (): CallContext => ({ traceId: 't1', signal: new AbortController().signal, keyId: null, userId: null, sessionId: null, tags: [], metadata: {}, span: root });
    return { grade: graderFromChat(chat, makeCtx), recorded, seen, root };
  }
  const completion = (content: string | null, extra: Record<string, unknown> = {}): ChatCompletion => ({
    id: 'c1', object: 'chat.completion', created: 1, model: 'judge', usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    choices: [{ index: 0, message: { role: 'assistant', content, ...extra }, finish_reason: 'stop' }],
  });
  const req: GraderRequest = { model: 'judge', messages: [{ role: 'user', content: 'grade' }], temperature: 0, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } };

  test('sends a non-streaming request under an evaluator child span and returns the content', async () => {
    const { grade, recorded, seen, root } = setup(async () => ({ kind: 'response', response: completion('{"ok":true}') }));
    const r = await grade(req, {});
    assert.equal(r.content, '{"ok":true}');
    assert.equal((r.raw as ChatCompletion).id, 'c1');
    assert.equal(seen[0].req.stream, false);
    assert.equal(seen[0].req.temperature, 0);
    assert.equal(recorded.length, 1);
    const span = recorded[0];
    assert.deepEqual([span.type, span.name, span.parent_id, span.trace_id, span.status, span.output, span.total_tokens], ['evaluator', 'grader judge', root.id, 't1', 'ok', '{"ok":true}', 15]);
    assert.equal(seen[0].ctx.span.id, span.id);
  });

  test('accumulates a stream; refusals, empty answers and handler errors throw and mark the span', async () => {
    const chunks: ChatCompletionChunk[] = ['{"a"', ':1}'].map((t, i) => ({ id: 's', object: 'chat.completion.chunk', created: 1, model: 'judge', choices: [{ index: 0, delta: { content: t }, finish_reason: i ? 'stop' : null }] }));
    const streamed = setup(async () => ({ kind: 'stream', chunks: (async function* () { yield* chunks; })() }));
    assert.equal((await streamed.grade(req, {})).content, '{"a":1}');
    const refused = setup(async () => ({ kind: 'response', response: completion(null, { refusal: 'no' }) }));
    await assert.rejects(refused.grade(req, {}), /the grader refused: no/);
    assert.equal(refused.recorded[0].status, 'error');
    const empty = setup(async () => ({ kind: 'response', response: completion('  ') }));
    await assert.rejects(empty.grade(req, {}), /no content/);
    const failing = setup(async () => {
      throw new UpstreamError({ status: 429, message: 'slow down', failure: 'http', target: 'judge' });
    });
    await assert.rejects(failing.grade(req, {}), /slow down/);
    assert.deepEqual([failing.recorded[0].status, failing.recorded[0].status_code], ['error', 429]);
  });

  test('a parent span given by the scorer caller wins over the context span', async () => {
    const { grade, recorded } = setup(async () => ({ kind: 'response', response: completion('{"reason":"ok","pass":true,"score":1}') }));
    const runSpan = new Span({ record: (o) => recorded.push(o) }, emptyObservation({ trace_id: 't2', type: 'span', name: 'run' }));
    const r = await compileAssertion({ type: 'llm-rubric', value: 'ok' }, { grade, defaultGrader: 'judge' })(ctxOf('x'), { parent: runSpan });
    assert.equal(r.pass, true);
    assert.deepEqual([recorded[0].parent_id, recorded[0].trace_id], [runSpan.id, 't2']);
  });

  test('the caller signal aborts the call', async () => {
    const { grade, seen } = setup(async (_req, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      throw new Error('aborted');
    });
    const ac = new AbortController();
    const p = grade(req, { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, /aborted/);
    assert.equal(seen[0].ctx.signal.aborted, true);
  });
});
