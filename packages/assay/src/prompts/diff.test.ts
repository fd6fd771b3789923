/** Version diffs: line LCS, chat messages aligned and paired, config by path, the unified text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffConfig, diffLines, diffMessages, diffSeq, diffVersions } from './diff.js';
import type { PromptBody, VersionRecord } from './types.js';

const rec = (version: number, prompt: PromptBody, config: Record<string, unknown> = {}): VersionRecord => ({
  projectId: 'default', name: 'p', version, type: typeof prompt === 'string' ? 'text' : 'chat', prompt, config, commitMessage: null, createdBy: null, createdAt: 0,
});

/** Applying a script to `a` gives `b`, and its '=' count is the LCS length. */
function check(a: string[], b: string[], lcs: number) {
  const s = diffSeq(a, b);
  const rebuilt = s.filter((x) => x.op !== '-').map((x) => (x.op === '+' ? b[x.b!] : a[x.a!]));
  assert.deepEqual(rebuilt, b);
  assert.deepEqual(s.filter((x) => x.op !== '+').map((x) => a[x.a!]), a);
  assert.equal(s.filter((x) => x.op === '=').length, lcs);
}

test('diffSeq is a minimal edit script', () => {
  check([], [], 0);
  check(['a'], [], 0);
  check([], ['a'], 0);
  check(['a', 'b', 'c'], ['a', 'b', 'c'], 3);
  check(['a', 'b', 'c', 'd'], ['a', 'x', 'c', 'd'], 3);
  check('ABCBDAB'.split(''), 'BDCABA'.split(''), 4);
  check(['x', 'a', 'b'], ['a', 'b', 'y'], 2);
});

test('line diff: removals before additions within a change', () => {
  assert.deepEqual(diffLines('one\ntwo\nthree', 'one\n2\nthree\nfour'), [
    { op: '=', text: 'one' },
    { op: '-', text: 'two' },
    { op: '+', text: '2' },
    { op: '=', text: 'three' },
    { op: '+', text: 'four' },
  ]);
});

test('chat diff pairs a removed and an added message as changed', () => {
  const a = [{ role: 'system' as const, content: 'Be brief.\nBe kind.' }, { role: 'user' as const, content: '{{q}}' }];
  const b = [{ role: 'system' as const, content: 'Be brief.\nBe very kind.' }, { type: 'placeholder' as const, name: 'history' }, { role: 'user' as const, content: '{{q}}' }];
  const d = diffMessages(a, b);
  assert.deepEqual(d.map((m) => m.status), ['changed', 'added', 'same']);
  assert.deepEqual(d[0].lines, [{ op: '=', text: 'Be brief.' }, { op: '-', text: 'Be kind.' }, { op: '+', text: 'Be very kind.' }]);
  assert.equal(d[1].to_index, 1);
  assert.deepEqual(diffMessages(b, a).map((m) => m.status), ['changed', 'removed', 'same']);
});

test('config diff by path', () => {
  assert.deepEqual(diffConfig({ model: 'a', temperature: 0.2, rf: { type: 'text' }, stop: ['x'] }, { model: 'a', rf: { type: 'json_object' }, stop: ['y'], max_tokens: 5 }), [
    { path: 'max_tokens', op: 'added', to: 5 },
    { path: 'rf.type', op: 'changed', from: 'text', to: 'json_object' },
    { path: 'stop', op: 'changed', from: ['x'], to: ['y'] },
    { path: 'temperature', op: 'removed', from: 0.2 },
  ]);
  assert.deepEqual(diffConfig({}, {}), []);
});

test('diffVersions: text, chat, config and the unified text', () => {
  const t = diffVersions(rec(1, 'Hello {{name}}'), rec(2, 'Hello {{name}}!', { temperature: 0 }));
  assert.equal(t.changed, true);
  assert.equal(t.from, 1);
  assert.equal(t.to, 2);
  assert.deepEqual(t.lines, [{ op: '-', text: 'Hello {{name}}' }, { op: '+', text: 'Hello {{name}}!' }]);
  assert.deepEqual(t.config, [{ path: 'temperature', op: 'added', to: 0 }]);
  assert.match(t.unified, /^--- p v1\n\+\+\+ p v2\n@@ prompt @@\n- Hello \{\{name\}\}\n\+ Hello \{\{name\}\}!\n@@ config @@\n\+ temperature: 0$/);
  const same = diffVersions(rec(1, 'x', { a: 1 }), rec(2, 'x', { a: 1 }));
  assert.equal(same.changed, false);
  const c = diffVersions(rec(1, [{ role: 'user', content: 'a' }]), rec(3, [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b\nc' }]));
  assert.deepEqual(c.messages!.map((m) => m.status), ['same', 'added']);
  assert.match(c.unified, /@@ message #2 \[assistant\] added @@\n\+ b\n\+ c/);
});

test('big inputs stay bounded: the middle is replaced wholesale', () => {
  const a = Array.from({ length: 3000 }, (_, i) => `a${i}`);
  const b = Array.from({ length: 3000 }, (_, i) => `b${i}`);
  const s = diffSeq(['same', ...a, 'end'], ['same', ...b, 'end']);
  assert.equal(s.length, 6002);
  assert.equal(s[0].op, '=');
  assert.equal(s[s.length - 1].op, '=');
});
