import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../../errors.js';
import { compileTest, gradeAll } from './grade.js';
import { compileAssertion, SUPPORTED_TYPES } from './registry.js';
import { renderTemplate, renderValue, TemplateError } from './template.js';
import { ctxOf, run } from './test-helpers.js';
import type { AssertionSpec, ScorerDeps } from './types.js';

const configError = (re: RegExp, param?: string) => (e: unknown) => {
  assert.ok(e instanceof AssayError, String(e));
  assert.equal(e.status, 400);
  assert.equal(e.code, 'invalid_assertion');
  if (param) assert.equal(e.param, param);
  assert.match(e.message, re);
  return true;
};

describe('gradeAll', () => {
  test('passes when every assertion passes; score is the weighted mean', async () => {
    const specs: AssertionSpec[] = [
      { type: 'contains', value: 'Paris', weight: 3 },
      { type: 'starts-with', value: 'Lyon' },
    ];
    const g = await gradeAll(specs, ctxOf('Paris is the capital'), {});
    assert.equal(g.pass, false);
    assert.equal(g.score, 0.75); // (1·3 + 0·1) / 4
    assert.match(g.reason, /1 of 2 assertion\(s\) failed: starts-with: output does not start with "Lyon"/);
    assert.equal(g.results.length, 2);
    const ok = await gradeAll([specs[0]], ctxOf('Paris'), {});
    assert.deepEqual([ok.pass, ok.score, ok.reason], [true, 1, 'all assertions passed']);
    const none = await gradeAll([], ctxOf('x'), {});
    assert.deepEqual([none.pass, none.score], [true, 1]);
  });

  test('weight 0: always counted as a pass and left out of the score, but still a named score', async () => {
    const specs: AssertionSpec[] = [
      { type: 'contains', value: 'Paris' },
      { type: 'contains', value: 'France', weight: 0, metric: 'mentions_{{country}}' },
    ];
    const g = await gradeAll(specs, ctxOf('Paris', { vars: { country: 'fr' } }), {});
    assert.equal(g.pass, true);
    assert.equal(g.score, 1);
    assert.equal(g.results[1].pass, true);
    assert.equal(g.results[1].score, 0);
    assert.deepEqual(g.namedScores, { mentions_fr: 0 });
  });

  test('test-level threshold overrides individual failures, but not errors', async () => {
    const specs: AssertionSpec[] = [
      { type: 'contains', value: 'a' },
      { type: 'contains', value: 'b' },
      { type: 'contains', value: 'z' },
    ];
    const g = await gradeAll(specs, ctxOf('ab'), {}, { threshold: 0.6 });
    assert.equal(g.pass, true);
    assert.match(g.reason, /aggregate score 0\.667 ≥ threshold 0\.6/);
    assert.equal((await gradeAll(specs, ctxOf('a'), {}, { threshold: 0.6 })).pass, false);
    const withError = await gradeAll([...specs, { type: 'latency', threshold: 100 }], ctxOf('abz'), {}, { threshold: 0.1 });
    assert.equal(withError.pass, false);
    assert.equal(withError.errors, 1);
    assert.match(withError.reason, /1 of 4 assertion\(s\) failed with an error: latency is unknown/);
  });

  test('assert-set: weighted mean, own threshold, weight and metric; nested errors fail it', async () => {
    const set: AssertionSpec = {
      type: 'assert-set',
      threshold: 0.5,
      weight: 2,
      metric: 'style',
      assert: [
        { type: 'icontains', value: 'hello' },
        { type: 'word-count', value: { max: 3 } },
        { type: 'contains', value: '!', metric: 'bang' },
      ],
    };
    const specs: AssertionSpec[] = [set, { type: 'contains', value: 'world' }];
    const g = await gradeAll(specs, ctxOf('Hello there world'), {});
    const s = g.results[0];
    assert.equal(s.componentResults?.length, 3);
    assert.ok(Math.abs(s.score - 2 / 3) < 1e-12); // hello ✓, 3 words ✓, "!" ✗
    assert.equal(s.pass, true); // 0.667 ≥ 0.5
    assert.equal(s.metric, 'style');
    assert.ok(Math.abs(g.score - (2 * (2 / 3) + 1) / 3) < 1e-12);
    assert.equal(g.pass, true);
    assert.deepEqual(Object.keys(g.namedScores).sort(), ['bang', 'style']);
    // without its threshold the set needs every member
    const strict = await gradeAll([{ ...set, threshold: undefined }], ctxOf('Hello there world'), {});
    assert.equal(strict.pass, false);
    // a member error fails the set whatever its threshold
    const errSet = await gradeAll([{ type: 'assert-set', threshold: 0, assert: [{ type: 'contains', value: 'x' }, { type: 'cost', threshold: 1 }] }], ctxOf('x'), {});
    assert.equal(errSet.pass, false);
    assert.ok(errSet.results[0].error);
    assert.equal(errSet.errors, 1);
  });

  test('compileTest validates once and grades many outputs', async () => {
    const t = compileTest([{ type: 'equals', value: '{{expected}}' }], {});
    assert.equal((await t(ctxOf('4', { expected: '4' }))).pass, true);
    assert.equal((await t(ctxOf('5', { expected: '4' }))).pass, false);
  });

  test('assertions run concurrently up to the limit', async () => {
    let active = 0;
    let peak = 0;
    const deps: ScorerDeps = {
      defaultGrader: 'j',
      grade: async () => {
        peak = Math.max(peak, ++active);
        await new Promise((r) => setTimeout(r, 10));
        active--;
        return { content: '{"reason":"ok","pass":true,"score":1}', raw: null };
      },
    };
    const specs = Array.from({ length: 6 }, () => ({ type: 'llm-rubric', value: 'ok' }));
    const g = await gradeAll(specs, ctxOf('x'), deps, { concurrency: 2 });
    assert.equal(g.pass, true);
    assert.equal(peak, 2);
  });
});

describe('compile-time validation', () => {
  test('unknown types list the supported ones', () => {
    assert.throws(() => compileAssertion({ type: 'contians', value: 'x' }, {}), configError(/unknown assertion type "contians"; supported types: .*contains.*word-count/, 'assertion.type'));
    assert.throws(() => compileAssertion({ type: 'not-assert-set', assert: [] }, {}), configError(/assert is only allowed on type: assert-set/));
    assert.throws(() => compileAssertion({ type: 'not-assert-set' }, {}), configError(/assert-set cannot be negated/));
    for (const t of ['equals', 'llm-rubric', 'factuality', 'model-graded-factuality', 'model-graded-closedqa', 'similar', 'javascript', 'bleu', 'rouge-n', 'rouge-l', 'numeric', 'assert-set']) {
      assert.ok(SUPPORTED_TYPES.includes(t), t);
    }
  });

  test('spec shape: transform, unknown fields, weights, nested paths', () => {
    assert.throws(() => compileAssertion({ type: 'contains', value: 'x', transform: 'output.trim()' }, {}), configError(/transform is not supported/, 'assertion.transform'));
    assert.throws(() => compileAssertion({ type: 'contains', value: 'x', valu: 1 }, {}), configError(/unknown assertion field "valu"/));
    assert.throws(() => compileAssertion({ type: 'contains', value: 'x', weight: -1 }, {}), configError(/weight must be ≥ 0/, 'assertion.weight'));
    assert.throws(() => compileAssertion({ value: 'x' }, {}), configError(/type/));
    assert.throws(() => compileAssertion({ type: 'assert-set', assert: [] }, {}), configError(/non-empty assert list/));
    assert.throws(() => compileAssertion({ type: 'assert-set', value: 1, assert: [{ type: 'is-json' }] }, {}), configError(/assert-set takes only/));
    assert.throws(
      () => compileTest([{ type: 'is-json' }, { type: 'assert-set', assert: [{ type: 'is-json' }, { type: 'regex', value: '[' }] }], {}),
      configError(/regex: invalid regular expression/, 'assert[1].assert[1].value'),
    );
    assert.throws(() => compileTest('nope', {}), configError(/must be a list/));
    assert.throws(() => compileTest([], {}, { threshold: 2 }), configError(/threshold/));
  });

  test('a scorer that throws at run time gives an error result', async () => {
    // 8,000 × 8,000 differing characters exceed the 50M-cell bound of the edit-distance table
    const r = await run({ type: 'not-levenshtein', value: 'ba'.repeat(4_000) }, 'ab'.repeat(4_000));
    assert.equal(r.pass, false);
    assert.match(r.error ?? '', /^not-levenshtein: texts too long for levenshtein/);
  });
});

describe('renderTemplate / renderValue', () => {
  test('the prompt registry syntax: names, \\{{ escape, values as JSON, one pass', () => {
    assert.equal(renderTemplate('{{ a }}-{{b}}-{{o}}-\\{{a}}', { a: 1, b: 'x', o: { k: [1] } }), '1-x-{"k":[1]}-{{a}}');
    assert.equal(renderTemplate('{{a}}', { a: '{{b}}', b: 'no' }), '{{b}}');
    assert.equal(renderTemplate('{{a.b}} {x}', {}), '{{a.b}} {x}', 'dotted names are plain text, as in prompts');
    assert.throws(() => renderTemplate('{{missing}} {{gone}}', {}), (e: unknown) => e instanceof TemplateError && /\{\{missing\}\}, \{\{gone\}\} are not defined/.test(e.message));
    assert.throws(() => renderTemplate('{{constructor}}', {}), TemplateError);
    assert.equal(renderTemplate('{{missing}}', {}, { onMissing: 'empty' }), '');
    assert.equal(renderTemplate('{{missing}} {x}', {}, { onMissing: 'keep' }), '{{missing}} {x}');
  });

  test('renderValue keeps a whole-placeholder value raw and renders inside objects', () => {
    assert.deepEqual(renderValue('{{list}}', { list: ['a', 'b'] }), ['a', 'b']);
    assert.deepEqual(renderValue({ min: '{{n}}', tags: ['{{t}}!'] }, { n: 3, t: 'x' }), { min: 3, tags: ['x!'] });
    assert.equal(renderValue(5, {}), 5);
  });
});
