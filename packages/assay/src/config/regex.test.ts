import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRegex, RegexError, regexProblem, regexSource } from './regex.js';
import { compileSchema } from '../evals/scorers/json-schema.js';
import { BUILTIN_PRICES } from '../tracing/prices/builtin.js';
import { createRedactor, customRedactRules } from '../tracing/redact.js';
import { configSchema } from './schema.js';

const EVIL = `${'a'.repeat(100_000)}b`;

test('a catastrophic pattern on a hostile input returns (it would backtrack for ever natively)', () => {
  assert.equal(compileRegex('(a+)+$').exec(EVIL), null);
  assert.equal(compileRegex('^(a|a)*$').test(EVIL), false);
  assert.equal(compileRegex('(x+x+)+y').test('x'.repeat(50_000)), false);
});

test('RegExp semantics the codebase relies on: groups, index, flags, JavaScript \\u escapes', () => {
  const m = compileRegex('answer: (\\d+)', 'i').exec('The ANSWER: 42.');
  assert.deepEqual([m?.[0], m?.[1], m?.index], ['ANSWER: 42', '42', 4]);
  assert.equal(compileRegex('^b$', 'm').test('a\nb\nc'), true);
  assert.equal(compileRegex('a.b', 's').test('a\nb'), true);
  assert.equal(compileRegex('\\u0041\\u{1F600}').test('A😀'), true);
  assert.equal(compileRegex('\\\\u0041').test('\\u0041'), true, 'an escaped backslash stays literal');
  assert.equal(compileRegex('(?<year>\\d{4})').exec('in 2026')?.groups?.year, '2026');
  assert.equal(compileRegex('\\d+').replaceAll('a1b22c', (x) => `<${x}>`), 'a<1>b<22>c');
});

test('what RE2 cannot run in linear time is refused, saying why', () => {
  const why = /patterns run in linear time \(RE2 syntax\)/;
  for (const [pattern, what] of [
    ['(?<=a)b', /^lookbehind/],
    ['(?<!a)b', /^lookbehind/],
    ['a(?=b)', /^lookahead/],
    ['a(?!b)', /^lookahead/],
    ['(a)\\1', /^backreferences/],
    ['(?<x>a)\\k<x>', /^backreferences/],
    ['(', /^is not a valid regular expression: missing closing \)/],
  ] as const) {
    const problem = regexProblem(pattern);
    assert.match(problem ?? '', what, pattern);
    assert.match(problem ?? '', why, pattern);
  }
  assert.throws(() => compileRegex('a', 'y'), (e: unknown) => e instanceof RegexError && /sticky/.test(e.message));
  assert.throws(() => compileRegex('a', 'x'), /unknown flag "x"/);
});

test('regexSource names the field and the reason', () => {
  const r = regexSource('extract.regex').safeParse('(?<=a)b');
  assert.equal(r.success, false);
  assert.match(r.error!.issues[0].message, /^extract\.regex: lookbehind \(\(\?<= or \(\?<!\) is not supported: patterns run in linear time/);
  assert.match(regexSource('pattern').safeParse('(').error!.issues[0].message, /^pattern is not a valid regular expression/);
  assert.equal(regexSource('pattern').safeParse('^a+$').success, true);
});

test('config: a custom redaction with lookbehind is a config error naming the path', () => {
  const r = configSchema.safeParse({ governance: { redact: { custom: [{ name: 'x', pattern: '(?<=id=)\\d+' }] } } });
  assert.equal(r.success, false);
  const issue = r.error!.issues[0];
  assert.deepEqual(issue.path, ['governance', 'redact', 'custom', 0, 'pattern']);
  assert.match(issue.message, /lookbehind/);
});

test('custom redaction rules match in linear time, globally, with their flags', () => {
  const r = createRedactor([], customRedactRules([{ name: 'ids', pattern: 'ID-(a+)+$|ID-\\d+', flags: 'i', replacement: '[ID]' }]))!;
  assert.equal(r.text('id-1 and ID-22'), '[ID] and [ID]');
  assert.equal(r.text(EVIL), EVIL);
});

test('JSON Schema `pattern` keywords run in linear time, and each schema keeps its own pattern', () => {
  const digits = compileSchema({ type: 'string', pattern: '^\\d+$' });
  const letters = compileSchema({ type: 'string', pattern: '^[a-z]+$' });
  assert.deepEqual(digits('123'), []);
  assert.equal(letters('123').length, 1);
  assert.deepEqual(compileSchema({ type: 'string', pattern: '(a+)+$' })(EVIL).length, 1);
  assert.throws(() => compileSchema({ pattern: '(?<=a)b' }), /Invalid regular expression.*lookbehind/);
});

test('every built-in price pattern compiles in RE2 syntax', () => {
  for (const e of BUILTIN_PRICES) assert.equal(regexProblem(e.match, 'i'), null, e.model);
});
