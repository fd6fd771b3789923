import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../../errors.js';
import { compileSchema, formatIssues, SchemaError } from './json-schema.js';
import { extractJsonObjects } from './json.js';
import { compileAssertion } from './registry.js';
import { both, ctxOf, run } from './test-helpers.js';

const PERSON = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    age: { type: 'integer', minimum: 0 },
    tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
  },
  required: ['name', 'age'],
  additionalProperties: false,
};

describe('JSON schema validator', () => {
  test('reports each problem with an ajv-like path', () => {
    const v = compileSchema(PERSON);
    assert.deepEqual(v({ name: 'Ada', age: 36, tags: ['x'] }), []);
    const issues = v({ name: '', age: 1.5, tags: ['a', 'a', 3], extra: true });
    assert.deepEqual(
      issues.map((i) => `${i.path} ${i.message}`).sort(),
      [
        '/age must be integer',
        '/name must NOT have fewer than 1 characters',
        '/tags must NOT have duplicate items (items ## 1 and 0 are identical)',
        '/tags/2 must be string',
        "must not have additional property 'extra'",
      ].map((s) => (s.startsWith('must') ? ` ${s}` : s)).sort(),
    );
    assert.equal(formatIssues(v({ age: -1 })), "data must have required property 'name'; data/age must be >= 0");
  });

  test('enum, const, type lists, anyOf/oneOf/allOf/not, patterns, $ref', () => {
    const v = compileSchema({
      $defs: { id: { type: 'string', pattern: '^[a-z]+-\\d+$' } },
      type: 'object',
      properties: {
        id: { $ref: '#/$defs/id' },
        kind: { enum: ['a', 'b'] },
        v: { const: 2 },
        n: { type: ['number', 'null'], exclusiveMaximum: 10, multipleOf: 0.5 },
        x: { oneOf: [{ type: 'string' }, { type: 'number' }] },
        y: { anyOf: [{ type: 'string' }, { type: 'boolean' }] },
        z: { allOf: [{ type: 'number' }, { minimum: 3 }], not: { const: 4 } },
        tuple: { prefixItems: [{ type: 'string' }, { type: 'number' }], items: { type: 'boolean' }, maxItems: 3 },
      },
      patternProperties: { '^meta_': { type: 'string' } },
    });
    assert.deepEqual(v({ id: 'ab-1', kind: 'a', v: 2, n: null, x: 'q', y: true, z: 5, tuple: ['a', 1, true], meta_k: 'v' }), []);
    const bad = v({ id: 'AB', kind: 'c', v: 3, n: 10, x: null, y: 1, z: 4, tuple: [1, 'a', 2, 3], meta_k: 1 });
    const messages = bad.map((i) => `${i.path} ${i.message}`);
    for (const expected of [
      '/id must match pattern "^[a-z]+-\\d+$"',
      '/kind must be one of ["a","b"]',
      '/v must be 2',
      '/n must be < 10',
      '/x must match exactly one schema in oneOf',
      '/y must match a schema in anyOf',
      '/z must NOT be valid',
      '/tuple must NOT have more than 3 items',
      '/tuple/0 must be string',
      '/tuple/1 must be number',
      '/tuple/2 must be boolean',
      '/meta_k must be string',
    ]) {
      assert.ok(messages.includes(expected), `${expected}\nnot in:\n${messages.join('\n')}`);
    }
  });

  test('invalid schemas are rejected when compiled, naming the keyword', () => {
    const bad = (schema: unknown, re: RegExp) => assert.throws(() => compileSchema(schema), (e: unknown) => e instanceof SchemaError && re.test(e.message));
    bad({ type: 'strng' }, /schema is invalid: data\/type must be equal to one of the allowed values/);
    bad({ properties: { a: { required: 'a' } } }, /data\/properties\/a\/required must be array/);
    bad({ pattern: '(' }, /Invalid regular expression/);
    bad({ $ref: 'http://example.com/s.json' }, /can't resolve reference http:\/\/example\.com/);
    bad({ $ref: '#/$defs/missing' }, /can't resolve reference #\/\$defs\/missing/);
    bad({ if: { type: 'string' } }, /"if" without "then" and "else"/);
    bad({ minimum: 0, exclusiveMinimum: true }, /exclusiveMinimum must be number/);
    bad({ typo_keyword: 1 }, /unknown keyword: "typo_keyword"/);
    bad([1], /must be an object or a boolean/);
    // annotations are fine
    assert.deepEqual(compileSchema({ title: 'T', description: 'd', format: 'email', type: 'string', examples: ['a'] })('x'), []);
    assert.deepEqual(compileSchema(false)(1).length, 1);
  });
});

describe('is-json / contains-json', () => {
  test('is-json with and without a schema (object, JSON text or YAML text)', async () => {
    await both({ type: 'is-json' }, '{"a": [1, 2]}', true);
    await both({ type: 'is-json' }, '```json\n{"a":1}\n```', false);
    await both({ type: 'is-json', value: PERSON }, '{"name":"Ada","age":36}', true);
    const [fail] = await both({ type: 'is-json', value: PERSON }, '{"name":"Ada","age":"36"}', false);
    assert.match(fail.reason, /data\/age must be integer/);
    await both({ type: 'is-json', value: JSON.stringify(PERSON) }, '{"name":"Ada","age":36}', true);
    await both({ type: 'is-json', value: 'type: object\nrequired: [name]\n' }, '{"age":36}', false);
  });

  test('contains-json finds JSON inside prose and fences; with a schema any match passes', async () => {
    assert.deepEqual(extractJsonObjects('a {"x": "}{"} b {bad} c ```json\n{"y":[1,{"z":2}]}\n```'), [{ x: '}{' }, { y: [1, { z: 2 }] }]);
    await both({ type: 'contains-json' }, 'Here: {"a":1} done', true);
    await both({ type: 'contains-json' }, 'no json {here}', false);
    await both({ type: 'contains-json' }, '[1, 2]', true);
    await both({ type: 'contains-json' }, '42', false);
    await both({ type: 'contains-json', value: PERSON }, 'first {"a":1} then {"name":"Ada","age":3}', true);
    const [fail] = await both({ type: 'contains-json', value: PERSON }, 'only {"name":"Ada"}', false);
    assert.match(fail.reason, /required property 'age'/);
  });

  test('an invalid schema is a compile error; a templated one that renders invalid is an error result', async () => {
    assert.throws(
      () => compileAssertion({ type: 'is-json', value: { type: 'objekt' } }, {}),
      (e: unknown) => e instanceof AssayError && e.param === 'assertion.value' && /invalid JSON schema: schema is invalid: data\/type/.test(e.message),
    );
    assert.throws(() => compileAssertion({ type: 'contains-json', value: 'a: [' }, {}), /neither JSON nor YAML/);
    const r = await run({ type: 'not-is-json', value: '{{schema}}' }, ctxOf('{}', { vars: { schema: { type: 'nope' } } }));
    assert.equal(r.pass, false);
    assert.match(r.error ?? '', /invalid JSON schema/);
  });
});

describe('is-valid-openai-tools-call', () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

  test('checks names and arguments against the offered tools', async () => {
    await both({ type: 'is-valid-openai-tools-call', value: tools }, ctxOf('', { toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] }), true);
    const [bad] = await both({ type: 'is-valid-openai-tools-call', value: tools }, ctxOf('', { toolCalls: [{ name: 'get_weather', arguments: '{"town":"Paris"}' }, { name: 'launch', arguments: '{}' }] }), false);
    assert.match(bad.reason, /required property 'city'/);
    assert.match(bad.reason, /"launch" is not one of the offered tools/);
    await both({ type: 'is-valid-openai-tools-call' }, ctxOf('', { toolCalls: [{ name: 'x', arguments: '{oops' }] }), false);
    await both({ type: 'is-valid-openai-tools-call' }, ctxOf('text only'), false);
  });

  test('uses the context tools when the assertion names none', async () => {
    const ctx = ctxOf('', { toolCalls: [{ name: 'f', arguments: { n: 'x' } }], tools: [{ name: 'f', parameters: { type: 'object', properties: { n: { type: 'number' } } } }] });
    const [r] = await both({ type: 'is-valid-openai-tools-call' }, ctx, false);
    assert.match(r.reason, /data\/n must be number/);
  });
});
