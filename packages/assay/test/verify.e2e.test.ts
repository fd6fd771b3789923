/**
 * Verification end to end: the openai SDK as the client, scripted upstream models (always right,
 * always wrong, flaky, invalid JSON, throwing code), a real Assay with the real sandbox. Covers the
 * schema, vote, program and judge strategies, composition, budgets and step limits, streaming (the
 * verified answer only, after verification), route config, reports, headers and trace spans.
 * `check` has its own file.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';
import { lastUser, scriptedGateway, type ScriptedOpenAI } from './helpers/scripted-openai.js';

let up: ScriptedOpenAI;
let assay: TestAssay;
let client: OpenAI;
scriptedGateway({
  routes: [
    { name: 'strict-json', targets: [{ model: 'up/route-json' }], verify: { strategy: 'schema', max_retries: 1 } },
    { name: 'voted', targets: [{ model: 'up/route-vote' }], verify: [{ strategy: 'vote', samples: 3, extract: 'last_line' }] },
  ],
}, (gw) => ({ up, assay, client } = gw));

const report = (x: unknown) => (x as { assay: { verification: Record<string, any> } }).assay.verification;
const withAssay = (assay: Record<string, unknown>): {} => ({ assay });
const ANSWER_SCHEMA = { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false };
const jsonSchema = { type: 'json_schema' as const, json_schema: { name: 'answer', schema: ANSWER_SCHEMA } };
const ask = (content = 'What is 17 + 25?') => [{ role: 'user' as const, content }];

/** The replies in order, the last one repeated. */
function sequence(...contents: string[]) {
  let i = 0;
  return () => ({ content: contents[Math.min(i++, contents.length - 1)] });
}

async function trace(id: string) {
  await assay.flush();
  const res = await assay.api(`/api/traces/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()) as { observations: Record<string, any>[] };
}

async function raw(body: Record<string, unknown>) {
  return fetch(`${assay.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}


describe('schema', () => {
  test('valid at once: one call, passed, report and headers', async () => {
    up.scripts.set('s-ok', sequence('{"answer": 42}'));
    const { data, response } = await client.chat.completions
      .create({ model: 'up/s-ok', messages: ask(), response_format: jsonSchema, ...withAssay({ verify: 'schema' }) })
      .withResponse();
    assert.equal(data.choices[0].message.content, '{"answer": 42}');
    const r = report(data);
    assert.equal(r.strategy, 'schema');
    assert.equal(r.verdict, 'passed');
    assert.equal(r.confidence, 1);
    assert.equal(r.enforced_by, 'validation');
    assert.equal(r.calls, 1);
    assert.equal(response.headers.get('x-assay-verification'), 'passed');
    assert.equal(response.headers.get('x-assay-verification-strategy'), 'schema');
    assert.equal(response.headers.get('x-assay-verification-attempts'), '1');
    assert.equal(response.headers.get('x-assay-verification-calls'), '1');
    assert.ok(Number(response.headers.get('x-assay-verification-ms')) >= 0);
    assert.equal(up.requests.length, 1);
    assert.equal(up.requests[0].assay, undefined, 'the extension never reaches the provider');
  });

  test('invalid JSON, then a schema violation, then valid: the errors are fed back, usage sums every call', async () => {
    up.scripts.set('s-flaky', sequence('{"answer": 4', '{"answer": "42"}', '{"answer": 42}'));
    const { data, response } = await client.chat.completions
      .create({ model: 'up/s-flaky', messages: ask(), response_format: jsonSchema, ...withAssay({ verify: { strategy: 'schema', max_retries: 2 } }) })
      .withResponse();
    assert.equal(data.choices[0].message.content, '{"answer": 42}');
    const r = report(data);
    assert.equal(r.verdict, 'passed');
    assert.deepEqual(r.attempts.map((a: any) => a.verdict), ['fail', 'fail', 'pass']);
    assert.match(r.attempts[0].reason, /not valid JSON/);
    assert.match(r.attempts[1].reason, /data\/answer must be number/);
    assert.equal(up.requests.length, 3);
    const second = up.requests[1].messages;
    assert.equal(second.at(-2)?.role, 'assistant');
    assert.equal(second.at(-2)?.content, '{"answer": 4');
    assert.match(String(second.at(-1)?.content), /not valid JSON/);
    assert.match(String(up.requests[2].messages.at(-1)?.content), /data\/answer must be number/);
    assert.equal(up.requests[2].messages.length, 3, 'only the last failure is fed back, not every earlier one');
    assert.deepEqual([data.usage?.prompt_tokens, data.usage?.completion_tokens], [30, 15]);

    const t = await trace(response.headers.get('x-assay-trace-id')!);
    const verify = t.observations.find((o) => o.name === 'verify:schema')!;
    assert.ok(verify);
    const attempts = t.observations.filter((o) => o.parent_id === verify.id).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(attempts.map((o) => o.name), ['attempt 1', 'attempt 2', 'attempt 3']);
    assert.deepEqual(attempts.map((o) => o.metadata.verdict), ['fail', 'fail', 'pass']);
    const generations = t.observations.filter((o) => o.name === 'attempt up/s-flaky'); // the router's upstream attempts
    assert.equal(generations.length, 3);
    assert.ok(generations.every((g) => attempts.some((a) => a.id === g.parent_id)), 'each model call nests under its attempt');
    const root = t.observations.find((o) => o.parent_id === null)!;
    assert.equal(root.total_tokens, 45);
    assert.equal(root.model, 'up/s-flaky', 'the call names the model that answered');
    assert.equal(root.provider, 'up');
    assert.equal(root.metadata.verification.verdict, 'passed');
  });

  test('never valid: 422 verification_failed after exactly max_retries + 1 calls, with the headers', async () => {
    up.scripts.set('s-bad', sequence('sure! {"answer": 42}'));
    const res = await raw({ model: 'up/s-bad', messages: ask(), response_format: jsonSchema, assay: { verify: { strategy: 'schema', max_retries: 3 } } });
    assert.equal(res.status, 422);
    const body = (await res.json()) as { error: { code: string; type: string; message: string } };
    assert.equal(body.error.code, 'verification_failed');
    assert.equal(body.error.type, 'verification_error');
    assert.match(body.error.message, /no answer matched the schema in 4 attempts/);
    assert.equal(res.headers.get('x-assay-verification'), 'failed');
    assert.equal(res.headers.get('x-assay-verification-calls'), '4');
    assert.equal(res.headers.get('x-assay-verification-tokens'), '60', 'a refused answer still says what it cost');
    assert.equal(up.requests.length, 4);
  });

  test('a refused answer is still counted: the call\'s span has its tokens, model and cost (what budgets count)', async () => {
    up.scripts.set('gpt-4o-mini', sequence('not json'));
    const res = await raw({ model: 'up/gpt-4o-mini', messages: ask(), response_format: jsonSchema, assay: { verify: { strategy: 'schema', max_retries: 1 } } });
    assert.equal(res.status, 422);
    const t = await trace(res.headers.get('x-assay-trace-id')!);
    const root = t.observations.find((o) => o.parent_id === null)!;
    assert.equal(root.status, 'error');
    assert.equal(root.total_tokens, 30);
    assert.equal(root.model, 'up/gpt-4o-mini');
    assert.ok(root.cost > 0, `priced: ${root.cost}`);
  });

  test('on_fail "return" gives the last answer, flagged failed; json_object checks for an object; a fenced answer is repaired', async () => {
    up.scripts.set('s-ret', sequence('[1, 2]'));
    const ret = await client.chat.completions.create({ model: 'up/s-ret', messages: ask(), response_format: { type: 'json_object' }, ...withAssay({ verify: { strategy: 'schema', max_retries: 0, on_fail: 'return' } }) });
    assert.equal(ret.choices[0].message.content, '[1, 2]');
    assert.equal(report(ret).verdict, 'failed');
    assert.match(report(ret).reason, /must be a JSON object/);

    up.scripts.set('s-fence', sequence('```json\n{"answer": 42}\n```'));
    const fenced = await client.chat.completions.create({ model: 'up/s-fence', messages: ask(), response_format: jsonSchema, ...withAssay({ verify: 'schema' }) });
    assert.equal(fenced.choices[0].message.content, '{"answer": 42}');
    assert.match(report(fenced).attempts[0].reason, /code fence/);
  });

  test('a schema in the verify option is also sent as the response_format', async () => {
    up.scripts.set('s-spec', sequence('{"answer": 42}'));
    const data = await client.chat.completions.create({ model: 'up/s-spec', messages: ask(), ...withAssay({ verify: { strategy: 'schema', schema: ANSWER_SCHEMA } }) });
    assert.equal(report(data).verdict, 'passed');
    assert.deepEqual((up.requests[0].response_format as any).json_schema.schema, ANSWER_SCHEMA);
  });

  test('from the route config; assay.verify: false turns it off', async () => {
    up.scripts.set('route-json', sequence('nope', '{"answer": 1}'));
    const data = await client.chat.completions.create({ model: 'strict-json', messages: ask(), response_format: { type: 'json_object' } });
    assert.equal(report(data).verdict, 'passed');
    assert.equal(up.requests.length, 2);
    up.requests.length = 0;
    const off = await client.chat.completions.create({ model: 'strict-json', messages: ask(), response_format: { type: 'json_object' }, ...withAssay({ verify: false }) });
    assert.equal((off as any).assay, undefined);
    assert.equal(up.requests.length, 1);
    const bad = await raw({ model: 'strict-json', messages: ask() });
    assert.equal(bad.status, 400);
    const err = ((await bad.json()) as { error: { param: string; message: string } }).error;
    assert.equal(err.param, 'routes[strict-json].verify.strategy');
    assert.match(err.message, /needs response_format/);
  });
});

describe('vote', () => {
  test('always right: confidence 1; samples run in parallel with distinct seeds and the vote temperature', async () => {
    up.scripts.set('v-right', () => ({ content: 'Let me add.\n42', delayMs: 150 }));
    const t0 = performance.now();
    const data = await client.chat.completions.create({ model: 'up/v-right', messages: ask(), seed: 7, ...withAssay({ verify: { strategy: 'vote', samples: 5, extract: 'last_line', temperature: 0.8 } }) });
    const ms = performance.now() - t0;
    const r = report(data);
    assert.equal(r.verdict, 'passed');
    assert.equal(r.confidence, 1);
    assert.deepEqual(r.votes, [{ answer: '42', votes: 5 }]);
    assert.equal(data.choices[0].message.content, 'Let me add.\n42', 'the winning sample is returned whole');
    assert.equal(up.requests.length, 5);
    assert.deepEqual(up.requests.map((b) => b.seed as number).sort((a, b) => a - b), [7, 8, 9, 10, 11]);
    assert.ok(up.requests.every((b) => b.temperature === 0.8));
    assert.ok(ms < 5 * 150, `5 samples of 150 ms took ${ms.toFixed(0)} ms: they must run in parallel`);
    assert.equal(data.usage?.total_tokens, 75);
  });

  test('flaky (3 of 5 right): the majority wins with confidence 0.6; a regex reads the answer, numbers are normalized', async () => {
    let i = 0;
    up.scripts.set('v-flaky', () => ({ content: ['The answer is 42.', 'answer is 41', 'The answer is 42.0', 'answer: 40', 'So the answer is 42'][i++ % 5] }));
    const data = await client.chat.completions.create({
      model: 'up/v-flaky', messages: ask(), ...withAssay({ verify: { strategy: 'vote', samples: 5, extract: { regex: 'answer(?: is|:)\\s*(-?[\\d.]+)' }, normalize: 'number' } }),
    });
    const r = report(data);
    assert.equal(r.verdict, 'passed');
    assert.equal(r.confidence, 0.6);
    assert.equal(r.votes[0].votes, 3);
    assert.match(data.choices[0].message.content!, /42/);
  });

  test('always wrong in different ways: abstains with a clear message below min_agreement; a tie abstains', async () => {
    let i = 0;
    up.scripts.set('v-split', () => ({ content: String(40 + (i++ % 5)) }));
    const { data, response } = await client.chat.completions
      .create({ model: 'up/v-split', messages: ask(), ...withAssay({ verify: { strategy: 'vote', samples: 5 } }) })
      .withResponse();
    assert.equal(report(data).verdict, 'abstained');
    assert.equal(report(data).confidence, 0.2);
    assert.match(data.choices[0].message.content!, /^I can't give a verified answer to this: the most common answer has only 1 of 5 samples \(min_agreement 0\.5\)/);
    assert.equal(response.headers.get('x-assay-verification'), 'abstained');

    let j = 0;
    up.scripts.set('v-tie', () => ({ content: j++ % 2 ? 'yes' : 'no' }));
    const tie = await client.chat.completions.create({ model: 'up/v-tie', messages: ask(), ...withAssay({ verify: { strategy: 'vote', samples: 4, min_agreement: 0 } }) });
    assert.equal(report(tie).verdict, 'abstained');
    assert.match(report(tie).reason, /split/);
  });

  test('JSON path extraction; unreadable samples count as no vote; a scorer can decide which answers agree', async () => {
    const replies = ['{"answer": 42}', '{"answer": 4', '{"answer": 42, "why": "sum"}', '{"other": 1}', '{"answer": 42}'];
    let i = 0;
    up.scripts.set('v-json', () => ({ content: replies[i++ % 5] }));
    const data = await client.chat.completions.create({ model: 'up/v-json', messages: ask(), ...withAssay({ verify: { strategy: 'vote', samples: 5, extract: { json_path: '$.answer' } } }) });
    const r = report(data);
    assert.equal(r.verdict, 'passed');
    assert.equal(r.confidence, 0.6);
    assert.deepEqual(r.attempts.map((a: any) => a.verdict), ['pass', 'fail', 'pass', 'fail', 'pass']);
    assert.match(r.attempts[3].reason, /\$\.answer is not in the answer/);

    let k = 0;
    up.scripts.set('v-scorer', () => ({ content: ['Paris is the capital', 'The capital is Paris', 'Paris is the capital.', 'Lyon'][k++ % 4] }));
    const s = await client.chat.completions.create({
      model: 'up/v-scorer', messages: ask('capital of France?'), ...withAssay({ verify: { strategy: 'vote', samples: 4, extract: { scorer: { type: 'icontains', value: 'paris' } } } }),
    });
    assert.equal(report(s).verdict, 'passed');
    assert.equal(report(s).confidence, 0.75);
  });

  test('from the route config (a one-element list); a 400 from the upstream fails the call instead of voting', async () => {
    up.scripts.set('route-vote', sequence('x\n42'));
    const data = await client.chat.completions.create({ model: 'voted', messages: ask() });
    assert.equal(report(data).verdict, 'passed');
    assert.equal(up.requests.length, 3);

    up.scripts.set('v-400', () => ({ status: 400 }));
    const res = await raw({ model: 'up/v-400', messages: ask(), assay: { verify: 'vote' } });
    assert.equal(res.status, 400);
  });
});

describe('program', () => {
  test('throwing code: the error is fed back and the fixed program\'s result is the answer; the sandbox run is a span', async () => {
    up.scripts.set('p-fix', sequence('```javascript\nreturn 17 + undefinedVar\n```', '```javascript\nconst a = 17, b = 25;\nreturn a + b;\n```'));
    const { data, response } = await client.chat.completions
      .create({ model: 'up/p-fix', messages: ask(), ...withAssay({ verify: { strategy: 'program' } }) })
      .withResponse();
    assert.equal(data.choices[0].message.content, '42');
    const r = report(data);
    assert.equal(r.verdict, 'passed');
    assert.equal(r.result, 42);
    assert.match(r.attempts[0].reason, /ReferenceError: .*undefinedVar/);
    assert.match(String(up.requests[0].messages[0].content), /JavaScript program/);
    assert.match(String(up.requests[1].messages.at(-1)?.content), /Running your program failed: ReferenceError/);
    const t = await trace(response.headers.get('x-assay-trace-id')!);
    const runs = t.observations.filter((o) => o.type === 'tool' && o.name === 'sandbox');
    assert.equal(runs.length, 2);
    assert.equal(runs.filter((o) => o.status === 'error').length, 1);
  });

  test('always throwing or looping: abstains after max_retries; result_and_code shows the code', async () => {
    up.scripts.set('p-loop', sequence('```js\nwhile (true) {}\n```'));
    const data = await client.chat.completions.create({ model: 'up/p-loop', messages: ask(), ...withAssay({ verify: { strategy: 'program', max_retries: 1, timeout_ms: 100 } }) });
    assert.equal(report(data).verdict, 'failed');
    assert.match(data.choices[0].message.content!, /^I can't give a verified answer/);
    assert.match(report(data).attempts[0].reason, /\[timeout\]/);
    assert.equal(up.requests.length, 2);

    up.scripts.set('p-code', sequence('{"code": "return [1, 2].map((x) => x * 2)"}'));
    const both = await client.chat.completions.create({ model: 'up/p-code', messages: ask(), ...withAssay({ verify: { strategy: 'program', answer: 'result_and_code' } }) });
    assert.equal(both.choices[0].message.content, '[2,4]\n\n```javascript\nreturn [1, 2].map((x) => x * 2)\n```');
  });
});

describe('judge', () => {
  test('a failing answer gets the scorer\'s reason fed back until it passes', async () => {
    up.scripts.set('j-fix', sequence('It is 41.', 'It is 42.'));
    const data = await client.chat.completions.create({ model: 'up/j-fix', messages: ask(), ...withAssay({ verify: { strategy: 'judge', assert: [{ type: 'contains', value: '42' }] } }) });
    assert.equal(data.choices[0].message.content, 'It is 42.');
    const r = report(data);
    assert.equal(r.verdict, 'passed');
    assert.deepEqual(r.attempts.map((a: any) => a.verdict), ['fail', 'pass']);
    assert.match(String(up.requests[1].messages.at(-1)?.content), /did not pass review: .*42/);
  });

  test('a model-graded rubric with its own grader; never passing: abstains after max_attempts with the best score', async () => {
    up.scripts.set('j-gen', sequence('Paris.'));
    up.scripts.set('j-grader', (b) => ({ content: JSON.stringify({ reason: `checked: ${lastUser(b).includes('Paris') ? 'too short' : '?'}`, pass: false, score: 0.4 }) }));
    const data = await client.chat.completions.create({
      model: 'up/j-gen', messages: ask('capital of France?'),
      ...withAssay({ verify: { strategy: 'judge', assert: [{ type: 'llm-rubric', value: 'answers in a full sentence' }], grader: 'up/j-grader', max_attempts: 2, feedback: false } }),
    });
    const r = report(data);
    assert.equal(r.verdict, 'failed');
    assert.equal(r.confidence, 0.4);
    assert.match(data.choices[0].message.content!, /^I can't give a verified answer/);
    const gens = up.requests.filter((b) => b.model === 'j-gen');
    assert.equal(gens.length, 2);
    assert.equal(gens[1].messages.length, 1, 'feedback: false samples afresh');
    assert.equal(up.requests.filter((b) => b.model === 'j-grader').length, 2);
    assert.equal(r.calls, 4, 'grader calls count against the budget');
  });
});

describe('composition, budgets, streaming, errors', () => {
  test('vote over program-aided samples: each sample is a verified program run', async () => {
    let i = 0;
    up.scripts.set('c-vp', (b) => {
      if (b.messages.at(-1)?.role === 'user' && String(b.messages.at(-1)?.content).startsWith('Running your program failed')) return { content: '```js\nreturn 17 + 25\n```' };
      return { content: ['```js\nreturn 17 + 25\n```', '```js\nthrow new Error("bad")\n```', '```js\nreturn 17 + 24\n```'][i++ % 3] };
    });
    const data = await client.chat.completions.create({ model: 'up/c-vp', messages: ask(), ...withAssay({ verify: [{ strategy: 'vote', samples: 3 }, { strategy: 'program' }] }) });
    const r = report(data);
    assert.equal(data.choices[0].message.content, '42');
    assert.equal(r.verdict, 'passed');
    assert.equal(r.confidence, 2 / 3);
    assert.ok(r.attempts.every((a: any) => a.inner.strategy === 'program'));
    assert.equal(r.calls, 4, 'three samples, one of which retried its program');
  });

  test('budget: max_calls stops a vote early (stopped is reported); max_tokens stops retries', async () => {
    up.scripts.set('b-vote', sequence('42'));
    const data = await client.chat.completions.create({ model: 'up/b-vote', messages: ask(), ...withAssay({ verify: { strategy: 'vote', samples: 5, budget: { max_calls: 3 } } }) });
    const r = report(data);
    assert.equal(r.stopped, 'max_calls');
    assert.equal(r.calls, 3);
    assert.equal(up.requests.length, 3);
    assert.equal(r.confidence, 0.6);
    assert.equal(r.verdict, 'passed');

    up.requests.length = 0;
    up.scripts.set('b-tok', () => ({ content: 'not json', usage: { prompt_tokens: 60, completion_tokens: 40 } }));
    const res = await raw({ model: 'up/b-tok', messages: ask(), response_format: { type: 'json_object' }, assay: { verify: { strategy: 'schema', max_retries: 5, budget: { max_tokens: 150 } } } });
    assert.equal(res.status, 422);
    assert.equal(up.requests.length, 2, 'the third call would start past 150 tokens');
  });

  test('streaming: nothing unverified is sent; the stream carries the verified answer and the report; headers come first', async () => {
    up.scripts.set('st', sequence('{"answer": 4', '{"answer": 42}'));
    const res = await raw({ model: 'up/st', messages: ask(), stream: true, stream_options: { include_usage: true }, response_format: jsonSchema, assay: { verify: 'schema' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-assay-verification'), 'passed');
    assert.equal(res.headers.get('x-assay-verification-attempts'), '2');
    const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
    const text = events.map((e) => e.choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, '{"answer": 42}');
    const finish = events.find((e) => e.choices[0]?.finish_reason);
    assert.equal(finish.assay.verification.verdict, 'passed');
    assert.equal(events.at(-1).usage.total_tokens, 30);
    assert.ok(up.requests.every((b) => b.stream === false), 'candidates are made without streaming');
  });

  test('streaming waits for the whole verification before the first byte', async () => {
    up.scripts.set('st-slow', () => ({ content: '42', delayMs: 200 }));
    const t0 = performance.now();
    const stream = await client.chat.completions.create({ model: 'up/st-slow', messages: ask(), stream: true, ...withAssay({ verify: [{ strategy: 'judge', assert: [{ type: 'equals', value: '42' }], max_attempts: 1 }] }) });
    let first = 0;
    let text = '';
    for await (const chunk of stream) {
      first ||= performance.now() - t0;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.equal(text, '42');
    assert.ok(first >= 200, `first chunk after ${first.toFixed(0)} ms: it must wait for the candidate and its check`);
  });

  test('bad options are 400s naming the field; n > 1 is refused; a bad route option stops startup', async () => {
    const cases: [Record<string, unknown>, RegExp, string][] = [
      [{ verify: 'guess' }, /unknown strategy "guess": use one of schema, vote, program, check, judge/, 'assay.verify'],
      [{ verify: [{ strategy: 'vote' }, { strategy: 'guess' }] }, /unknown strategy/, 'assay.verify[1].strategy'],
      [{ verify: { strategy: 'vote', samples: 5, sample: 3 } }, /sample/, 'assay.verify'],
      [{ verify: { strategy: 'vote', samples: 1 } }, /samples/, 'assay.verify.samples'],
      [{ verify: { strategy: 'vote', extract: { regex: '(' } } }, /not a valid regular expression/, 'assay.verify.extract.regex'],
      [{ verify: ['vote', { strategy: 'schema', budget: { max_calls: 2 } }] }, /outermost/, 'assay.verify[1].budget'],
      [{ verify: ['program', 'vote'] }, /innermost/, 'assay.verify[0].strategy'],
      [{ verify: 'schema' }, /response_format/, 'assay.verify.strategy'],
      [{ verify: { strategy: 'judge', assert: [{ type: 'no-such-scorer' }] } }, /supported types/, 'assay.verify.assert[0].type'],
      [{ verify: { strategy: 'schema', schema: { type: 'objekt' } } }, /schema is not valid/, 'assay.verify.schema'],
    ];
    for (const [ext, message, param] of cases) {
      const res = await raw({ model: 'up/never', messages: ask(), assay: ext });
      const body = (await res.json()) as { error: { message: string; param: string } };
      assert.equal(res.status, 400, JSON.stringify(ext));
      assert.match(body.error.message, message, JSON.stringify(ext));
      assert.equal(body.error.param, param, JSON.stringify(ext));
    }
    const n = await raw({ model: 'up/never', messages: ask(), n: 2, assay: { verify: 'vote' } });
    assert.equal(n.status, 400);
    assert.equal(up.requests.length, 0, 'no model call for a bad request');

    await assert.rejects(
      startAssay({ providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['m'] }], routes: [{ name: 'r', targets: [{ model: 'up/m' }], verify: { strategy: 'judge', assert: [{ type: 'nope' }] } }] }),
      /routes\[0\]\.verify\.assert\[0\]\.type: unknown assertion type "nope"/,
    );
  });
});
