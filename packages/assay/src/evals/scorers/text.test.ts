import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../../errors.js';
import { compileAssertion } from './registry.js';
import { findNumbers } from './operational.js';
import { countWords } from './text.js';
import { both, ctxOf, run } from './test-helpers.js';

const rejects = (spec: unknown, re: RegExp) =>
  assert.throws(() => compileAssertion(spec, {}), (e: unknown) => e instanceof AssayError && e.status === 400 && re.test(e.message));

describe('text assertions', () => {
  test('equals: exact string; not-equals', async () => {
    await both({ type: 'equals', value: 'Paris' }, 'Paris', true);
    await both({ type: 'equals', value: 'Paris' }, 'Paris.', false);
    await both({ type: 'equals', value: 'Paris' }, 'paris', false);
    await both({ type: 'equals', value: 42 }, '42', true);
  });

  test('equals: JSON deep equality when the value is an object (key order ignored)', async () => {
    await both({ type: 'equals', value: { a: 1, b: [1, { c: null }] } }, '{"b":[1,{"c":null}],"a":1}', true);
    await both({ type: 'equals', value: { a: 1 } }, '{"a":1,"b":2}', false);
    const [pos, neg] = await both({ type: 'equals', value: { a: 1 } }, 'not json', false);
    assert.match(pos.reason, /not JSON/);
    assert.equal(neg.pass, true);
  });

  test('contains / icontains', async () => {
    await both({ type: 'contains', value: 'Paris' }, 'It is Paris.', true);
    await both({ type: 'contains', value: 'paris' }, 'It is Paris.', false);
    await both({ type: 'icontains', value: 'paris' }, 'It is PARIS.', true);
    await both({ type: 'icontains', value: 'lyon' }, 'It is PARIS.', false);
    await both({ type: 'contains', value: 3 }, 'top 3', true);
  });

  test('contains-any / contains-all and the i- variants; comma-separated values with quotes', async () => {
    await both({ type: 'contains-any', value: ['cat', 'dog'] }, 'a dog', true);
    await both({ type: 'contains-any', value: ['cat', 'dog'] }, 'a bird', false);
    await both({ type: 'contains-all', value: ['cat', 'dog'] }, 'cat and dog', true);
    const [all] = await both({ type: 'contains-all', value: 'cat, dog, "a, b"' }, 'cat and dog', false);
    assert.deepEqual(all.metadata?.missing, ['a, b']);
    await both({ type: 'icontains-any', value: ['CAT'] }, 'a cat', true);
    await both({ type: 'icontains-all', value: ['CAT', 'Dog'] }, 'a cat, a DOG', true);
    await both({ type: 'icontains-all', value: ['CAT', 'Dog'] }, 'a cat', false);
  });

  test('starts-with', async () => {
    await both({ type: 'starts-with', value: 'Yes' }, 'Yes, indeed', true);
    await both({ type: 'starts-with', value: 'Yes' }, ' Yes', false);
  });

  test('regex, with config.flags', async () => {
    await both({ type: 'regex', value: '^\\d{3}-\\d{4}$' }, '555-1234', true);
    await both({ type: 'regex', value: '^\\d{3}-\\d{4}$' }, 'call 555-1234', false);
    await both({ type: 'regex', value: 'hello', config: { flags: 'i' } }, 'HELLO', true);
    // compiled once, matched many times: no state carries over between calls
    const once = compileAssertion({ type: 'regex', value: 'ab', config: { flags: 'i' } }, {});
    for (let i = 0; i < 3; i++) assert.equal((await once(ctxOf('ABab'))).pass, true);
  });

  test('regex runs in linear time: a catastrophic pattern answers at once; lookaround is refused naming why', async () => {
    await both({ type: 'regex', value: '(a+)+$' }, `${'a'.repeat(100_000)}b`, false);
    rejects({ type: 'regex', value: '(?<=a)b' }, /lookbehind .* is not supported: patterns run in linear time \(RE2 syntax\)/);
    rejects({ type: 'regex', value: '(a)\\1' }, /backreferences .* are not supported/);
    rejects({ type: 'regex', value: 'a', config: { flags: 'y' } }, /config\.flags/);
  });

  test('word-count: exact, min/max, numeric string', async () => {
    assert.equal(countWords('  one two\nthree\t four  '), 4);
    assert.equal(countWords('   '), 0);
    await both({ type: 'word-count', value: 3 }, 'one two three', true);
    await both({ type: 'word-count', value: '3' }, 'one two', false);
    await both({ type: 'word-count', value: { min: 2, max: 4 } }, 'one two three', true);
    await both({ type: 'word-count', value: { max: 2 } }, 'one two three', false);
    await both({ type: 'word-count', value: { min: 5 } }, 'one two three', false);
  });

  test('values render {{vars}}; {{expected}} comes from the context', async () => {
    await both({ type: 'contains', value: 'capital is {{city}}' }, ctxOf('The capital is Paris', { vars: { city: 'Paris' } }), true);
    await both({ type: 'contains-any', value: '{{keywords}}' }, ctxOf('a dog', { vars: { keywords: ['cat', 'dog'] } }), true);
    await both({ type: 'equals', value: '{{expected}}' }, ctxOf('4', { expected: '4' }), true);
    await both({ type: 'equals', value: '{{expected}}' }, ctxOf('{"x":1}', { expected: { x: 1 } }), true);
    await both({ type: 'contains', value: 'literal \\{{braces}}' }, 'a literal {{braces}} here', true);
  });

  test('a templated value that renders invalid is an error result, never a pass (also under not-)', async () => {
    for (const type of ['regex', 'not-regex']) {
      const r = await run({ type, value: '{{pattern}}' }, ctxOf('abc', { vars: { pattern: '(' } }));
      assert.equal(r.pass, false);
      assert.equal(r.score, 0);
      assert.match(r.error ?? '', /invalid regular expression/);
    }
    const missing = await run({ type: 'not-contains', value: '{{nope}}' }, 'abc');
    assert.equal(missing.pass, false);
    assert.match(missing.error ?? '', /\{\{nope\}\} is not defined/);
  });

  test('compile-time validation', () => {
    rejects({ type: 'contains' }, /contains needs a value/);
    rejects({ type: 'contains', value: '' }, /must not be empty/);
    rejects({ type: 'contains-any', value: [] }, /must not be empty/);
    rejects({ type: 'regex', value: '(' }, /assertion\.value: regex: invalid regular expression/);
    rejects({ type: 'regex', value: 'a', config: { flags: 'x' } }, /config\.flags/);
    rejects({ type: 'word-count', value: { min: 5, max: 2 } }, /min \(5\) must be ≤ max \(2\)/);
    rejects({ type: 'word-count', value: -1 }, /non-negative integers/);
  });
});

describe('operational assertions', () => {
  test('numeric: first number, absolute and relative tolerance', async () => {
    assert.deepEqual(findNumbers('It costs $1,234.50, not −3 or 2e-3; v2 does not count'), [1234.5, -3, 0.002]);
    await both({ type: 'numeric', value: 42 }, 'The answer is 42.', true);
    await both({ type: 'numeric', value: 42 }, 'The answer is 41.', false);
    await both({ type: 'numeric', value: '3.14', config: { tolerance: 0.01 } }, 'pi ≈ 3.1416', true);
    await both({ type: 'numeric', value: 1000, config: { relative: 0.05 } }, 'about 1,040', true);
    await both({ type: 'numeric', value: 1000, config: { relative: 0.01 } }, 'about 1,040', false);
    await both({ type: 'numeric', value: 7, config: { position: 'last' } }, 'Step 1: add. Step 2: the result is 7', true);
    await both({ type: 'numeric', value: 7 }, 'no digits here', false);
    rejects({ type: 'numeric', value: 'abc' }, /value must be a number/);
    rejects({ type: 'numeric', value: 1, config: { tolerance: -1 } }, /config\.tolerance/);
  });

  test('latency and cost compare with the threshold; unknown facts are errors, not passes', async () => {
    await both({ type: 'latency', threshold: 500 }, ctxOf('x', { latencyMs: 120 }), true);
    await both({ type: 'latency', threshold: 500 }, ctxOf('x', { latencyMs: 900 }), false);
    await both({ type: 'cost', threshold: 0.01 }, ctxOf('x', { cost: 0.002 }), true);
    await both({ type: 'cost', threshold: 0.01 }, ctxOf('x', { cost: 0.02 }), false);
    for (const [spec, ctx] of [
      [{ type: 'not-latency', threshold: 1 }, ctxOf('x')],
      [{ type: 'not-cost', threshold: 1 }, ctxOf('x', { cost: null })],
      [{ type: 'not-finish-reason', value: 'stop' }, ctxOf('x')],
    ] as const) {
      const r = await run(spec, ctx);
      assert.equal(r.pass, false);
      assert.ok(r.error, spec.type);
    }
    rejects({ type: 'latency' }, /latency needs a threshold/);
    rejects({ type: 'cost', threshold: -1 }, /threshold must be ≥ 0/);
  });

  test('finish-reason (case-insensitive)', async () => {
    await both({ type: 'finish-reason', value: 'STOP' }, ctxOf('x', { finishReason: 'stop' }), true);
    await both({ type: 'finish-reason', value: 'stop' }, ctxOf('x', { finishReason: 'length' }), false);
  });
});
