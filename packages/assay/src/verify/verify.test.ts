import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextOf } from './strategies/check.js';
import { extractCode, extractor, normalizer, parseJsonPath } from './strategies/extract.js';
import { readJson } from './strategies/schema.js';
import { defaultOnFail, verifySchema, writtenAsList, type StrategySpec } from './spec.js';

const parse = (v: unknown) => verifySchema.parse(v) as StrategySpec;

test('verify option: a name is its defaults, a list nests outermost first, false is off', () => {
  const s = parse('schema');
  assert.equal(s.strategy, 'schema');
  assert.equal((s as { max_retries: number }).max_retries, 2);
  assert.equal(defaultOnFail(s), 'error');
  assert.equal(defaultOnFail(parse('vote')), 'abstain');
  assert.equal(verifySchema.parse(false), false);

  const nested = parse([{ strategy: 'judge', assert: [{ type: 'contains', value: 'x' }], budget: { max_calls: 9 } }, 'vote', 'program']);
  assert.equal(nested.strategy, 'judge');
  assert.equal(nested.inner?.strategy, 'vote');
  assert.equal(nested.inner?.inner?.strategy, 'program');
  assert.equal(nested.inner?.inner?.inner, undefined);
  assert.equal(nested.budget?.max_calls, 9);
  assert.ok(writtenAsList.has(nested));
  assert.ok(!writtenAsList.has(parse({ strategy: 'vote' })));
});

test('verify option: mistakes name their path', () => {
  const issues = (v: unknown) => {
    const r = verifySchema.safeParse(v);
    assert.ok(!r.success);
    return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.match(issues({ strategy: 'votes' })[0], /^strategy: unknown strategy "votes"/);
  assert.match(issues(42)[0], /give a strategy name/);
  assert.match(issues([])[0], /1 to 4/);
  assert.match(issues(['vote', { strategy: 'schema', on_fail: 'error' }])[0], /^1\.on_fail: on_fail belongs to the outermost strategy/);
  assert.match(issues(['schema', 'vote'])[0], /^0\.strategy: schema checks a model answer, so it must be the innermost/);
  assert.match(issues({ strategy: 'vote', extract: { json_path: 'answer' } })[0], /^extract\.json_path: json_path must look like/);
  assert.match(issues({ strategy: 'judge', assert: [] })[0], /at least one assertion/);
  assert.match(issues({ strategy: 'vote', budget: { max_calls: 0 } })[0], /^budget\.max_calls/);
});

test('readJson: JSON as is, or inside one code fence; otherwise the parse error', () => {
  assert.deepEqual(readJson('{"a":1}'), { ok: true, value: { a: 1 } });
  assert.deepEqual(readJson('```json\n{"a":1}\n```'), { ok: true, value: { a: 1 }, repaired: '{"a":1}' });
  const bad = readJson('{"a":1');
  assert.ok(!bad.ok && /not valid JSON/.test(bad.error));
  const empty = readJson('  ');
  assert.ok(!empty.ok && empty.error === 'the answer is empty');
});

test('extractors: content, last line, JSON path, regex group', () => {
  assert.deepEqual(parseJsonPath('$.a.b[0]["c d"]'), ['a', 'b', 0, 'c d']);
  assert.deepEqual(extractor({ json_path: '$.r.items[1]' })('{"r":{"items":[1,{"x":2}]}}'), { ok: true, answer: '{"x":2}' });
  assert.deepEqual(extractor({ json_path: '$.answer' })('{"answer":null}'), { ok: false, error: '$.answer is null' });
  assert.deepEqual(extractor({ json_path: '$.answer' })('{"other":1}'), { ok: false, error: '$.answer is not in the answer' });
  assert.deepEqual(extractor('last_line')('Thinking…\n\n  **42**  \n'), { ok: true, answer: '**42**' });
  assert.deepEqual(extractor({ regex: 'answer: (\\w+)', group: 1 })('the answer: yes'), { ok: true, answer: 'yes' });
  assert.deepEqual(extractor({ regex: '\\d+', group: 1 })('n = 17'), { ok: true, answer: '17' }, 'no group: the whole match');
  assert.equal(extractor({ regex: 'x', group: 1 })('y').ok, false);
  assert.equal(extractor('content')(' ').ok, false);
});

test('normalizers: text folds case, space and a final period; number reads the first number', () => {
  const text = normalizer('text');
  assert.equal(text('  The  Answer is Paris. '), 'the answer is paris');
  const num = normalizer('number');
  assert.equal(num('$1,234.50 total'), '1234.5');
  assert.equal(num('42.0'), '42');
  assert.equal(num('-7'), '-7');
  assert.equal(num('no digits'), null);
  assert.equal(normalizer('exact')(' A '), ' A ');
});

test('extractCode: {"code": …} JSON, else the first fenced block, else the whole text', () => {
  assert.equal(extractCode('{"code": "return 1"}'), 'return 1');
  assert.equal(extractCode('Here:\n```javascript\nreturn 2\n```\nDone.'), 'return 2');
  assert.equal(extractCode('return 3'), 'return 3');
});

test('check context: the conversation without assistant turns, plus retrieved passages', () => {
  const ctx = contextOf(
    { model: 'm', messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'Q' }, { role: 'assistant', content: 'old answer' }, { role: 'tool', content: 'T', tool_call_id: 'c' }] },
    { id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [], assay: { citations: [{ type: 'chunk', id: '1', source: 'a.md', text: 'passage' }, { type: 'url', id: 'u', source: 'u' }] } },
  );
  assert.equal(ctx, '[system] S\n\n[user] Q\n\n[tool] T\n\n[retrieved: a.md] passage');
});

test('verify option: assertions are checked for shape when the option is parsed (config load or request)', () => {
  const r = verifySchema.safeParse({ strategy: 'judge', assert: [{ type: 'contains', value: 'a' }, { type: 'nope' }] });
  assert.ok(!r.success);
  assert.deepEqual(r.error.issues[0].path, ['assert', 1, 'type']);
  assert.match(r.error.issues[0].message, /^unknown assertion type "nope"/);
  const bad = verifySchema.safeParse(['vote', { strategy: 'judge', assert: [{ type: 'equals' }] }]);
  assert.ok(!bad.success);
  assert.deepEqual(bad.error.issues[0].path.slice(0, 3), [1, 'assert', 0]);
  // dependencies (graders, embeddings, the sandbox) are bound per call, so these parse
  for (const a of [{ type: 'llm-rubric', value: 'polite' }, { type: 'similar', value: 'x', threshold: 0.8 }, { type: 'javascript', value: 'output.length > 2' }]) {
    assert.ok(verifySchema.safeParse({ strategy: 'judge', assert: [a] }).success, a.type);
  }
  assert.ok(verifySchema.safeParse({ strategy: 'vote', extract: { scorer: { type: 'similar', threshold: 0.9 } } }).success);
  const vs = verifySchema.safeParse({ strategy: 'vote', extract: { scorer: { type: 'nope' } } });
  assert.ok(!vs.success);
  assert.deepEqual(vs.error.issues[0].path, ['extract', 'scorer', 'type']);
});
