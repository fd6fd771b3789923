/** Templates: variables with spaces, the \{{ escape, missing variables, values, chat placeholders, nothing executed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../errors.js';
import { compileTemplate, compileVersion, fillTemplate, renderCompiled, renderTemplate, variablesOf } from './render.js';
import type { PromptBody, VersionRecord } from './types.js';

const record = (prompt: PromptBody, config: Record<string, unknown> = {}): VersionRecord => ({
  projectId: 'default', name: 'p', version: 2, type: typeof prompt === 'string' ? 'text' : 'chat', prompt, config,
  commitMessage: null, createdBy: null, createdAt: 0,
});

const render = (t: string, vars: Record<string, unknown>) => fillTemplate(compileTemplate(t), vars);

test('variables, with or without spaces inside the braces', () => {
  assert.equal(render('Hi {{name}}, {{ name }} and {{   place\t}}!', { name: 'Ada', place: 'Paris' }), 'Hi Ada, Ada and Paris!');
  assert.deepEqual(compileTemplate('{{a}}{{ b }}{{a}}').variables, ['a', 'b']);
  assert.equal(render('no variables', {}), 'no variables');
  assert.equal(render('', {}), '');
});

test('\\{{ writes literal braces; other brace shapes are plain text', () => {
  assert.equal(render('\\{{name}} is {{name}}', { name: 'x' }), '{{name}} is x');
  assert.deepEqual(compileTemplate('\\{{name}}').variables, []);
  assert.equal(render('{ "json": true } {{ not a var }} {{1x}} {{}} {{a.b}}', {}), '{ "json": true } {{ not a var }} {{1x}} {{}} {{a.b}}');
  assert.equal(render('{{{name}}}', { name: 'x' }), '{x}', 'triple braces are not special');
});

test('values: strings as they are, other JSON as JSON; nothing is evaluated', () => {
  assert.equal(render('{{n}} {{b}} {{o}} {{l}} {{z}}', { n: 3, b: false, o: { a: [1] }, l: ['x'], z: null }), '3 false {"a":[1]} ["x"] null');
  assert.equal(render('{{x}}', { x: '{{y}} ${1+1} <b>' }), '{{y}} ${1+1} <b>', 'values are not rendered again nor escaped');
});

test('missing variables: one 400 naming all of them; extra variables are fine', () => {
  const v = compileVersion(record('{{a}} {{b}} {{c}}'));
  assert.throws(
    () => renderCompiled(v, { variables: { b: 'x', unused: 1 } }),
    (e: unknown) => e instanceof AssayError && e.status === 400 && e.code === 'missing_prompt_variables' && /"a", "c"/.test(e.message) && /version 2/.test(e.message),
  );
  assert.equal(renderCompiled(v, { variables: { a: 1, b: 2, c: 3, d: 4 } }).text, '1 2 3');
});

test('inherited properties never count as variables', () => {
  const v = compileVersion(record('{{constructor}} {{toString}} {{__proto__}}'));
  assert.throws(() => renderCompiled(v, {}), /"constructor", "toString", "__proto__"/);
});

test('a text prompt renders as one system message', () => {
  const r = renderCompiled(compileVersion(record('You help with {{topic}}.', { temperature: 0.1 })), { variables: { topic: 'taxes' } });
  assert.deepEqual(r.messages, [{ role: 'system', content: 'You help with taxes.' }]);
  assert.equal(r.text, 'You help with taxes.');
  assert.deepEqual(r.config, { temperature: 0.1 });
  assert.equal(r.version, 2);
});

test('chat prompts: each message rendered, placeholders filled (not rendered), missing placeholders named', () => {
  const v = compileVersion(record([
    { role: 'system', content: 'You are {{persona}}.' },
    { type: 'placeholder', name: 'history' },
    { role: 'user', content: '{{question}}' },
  ]));
  assert.deepEqual(v.variables, ['persona', 'question']);
  assert.deepEqual(v.placeholders, ['history']);
  const r = renderCompiled(v, {
    variables: { persona: 'a pirate', question: 'Where?' },
    placeholders: { history: [{ role: 'user', content: '{{persona}}' }, { role: 'assistant', content: 'Arr' }] },
  });
  assert.deepEqual(r.messages, [
    { role: 'system', content: 'You are a pirate.' },
    { role: 'user', content: '{{persona}}' },
    { role: 'assistant', content: 'Arr' },
    { role: 'user', content: 'Where?' },
  ]);
  assert.equal(r.text, null);
  assert.equal(renderCompiled(v, { variables: { persona: 'x', question: 'y' }, placeholders: { history: [] } }).messages.length, 2);
  assert.throws(() => renderCompiled(v, { variables: { persona: 'x', question: 'y' } }), (e: unknown) => e instanceof AssayError && e.code === 'missing_prompt_placeholders' && /"history"/.test(e.message));
});

test('variablesOf lists a body\'s variables', () => {
  assert.deepEqual(variablesOf('{{a}} {{b}}'), ['a', 'b']);
  assert.deepEqual(variablesOf([{ role: 'user', content: '{{x}}' }, { type: 'placeholder', name: 'h' }, { role: 'assistant', content: '{{x}} {{y}}' }]), ['x', 'y']);
});

test('renderTemplate: one-off templates with the same rules', () => {
  assert.equal(renderTemplate('Q: {{ q }} \\{{raw}}', { q: 'why', extra: 1 }), 'Q: why {{raw}}');
  assert.throws(() => renderTemplate('{{a}}{{b}}', { a: 1 }), (e: unknown) => e instanceof AssayError && e.status === 400 && /needs variable "b"/.test(e.message));
});
