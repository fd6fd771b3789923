import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox } from '../../sandbox/index.js';
import { interpretReturn, scorerProgram } from './javascript.js';
import { compileAssertion } from './registry.js';
import { both, ctxOf, run } from './test-helpers.js';

describe('javascript', () => {
  let sandbox: Sandbox;
  before(() => {
    sandbox = new Sandbox({ workers: 1 });
  });
  after(async () => {
    await sandbox.close();
  });

  test('a single-line expression is returned; a body needs return', async () => {
    assert.match(scorerProgram('output.length < 10'), /return output\.length < 10\n/);
    assert.doesNotMatch(scorerProgram('const x = 1;\nreturn x > 0'), /return const/);
    await both({ type: 'javascript', value: 'output.length < 10' }, 'short', true, { sandbox });
    await both({ type: 'javascript', value: "output.includes('{{word}}')" }, ctxOf('hello world', { vars: { word: 'world' } }), true, { sandbox });
    await both({ type: 'javascript', value: 'const n = output.split(" ").length;\nreturn n === 2;' }, 'hello world', true, { sandbox });
    await both({ type: 'javascript', value: 'output.length < 3' }, 'long text', false, { sandbox });
    await both({ type: 'javascript', value: "output.includes('return')" }, 'no return policy', true, { sandbox });
    await both({ type: 'javascript', value: 'const n = output.length; return n > 3' }, 'long', true, { sandbox });
  });

  test('context carries vars, expected, prompt, latency, cost, tool calls, finish reason, config', async () => {
    const code = `return context.vars.city === 'Paris' && context.expected === 'Paris' && context.prompt === 'Q' &&
      context.latencyMs === 12 && context.cost === 0.5 && context.toolCalls[0].name === 'f' &&
      context.finishReason === 'stop' && context.config.k === 1;`;
    const ctx = ctxOf('x', { vars: { city: 'Paris' }, expected: 'Paris', prompt: 'Q', latencyMs: 12, cost: 0.5, toolCalls: [{ name: 'f', arguments: '{}' }], finishReason: 'stop' });
    const r = await run({ type: 'javascript', value: code, config: { k: 1 } }, ctx, { sandbox });
    assert.equal(r.pass, true, r.reason);
  });

  test('numbers and objects: threshold, reason, logs', async () => {
    const [n] = await both({ type: 'javascript', value: '0.25' }, 'x', true, { sandbox }); // > 0 without threshold
    assert.equal(n.score, 0.25);
    await both({ type: 'javascript', value: '0.25', threshold: 0.5 }, 'x', false, { sandbox });
    const [o] = await both({ type: 'javascript', value: 'console.log("checked");\nreturn { pass: true, score: 0.8, reason: "fine" };' }, 'x', true, { sandbox });
    assert.deepEqual([o.score, o.reason], [0.8, 'fine']);
    assert.deepEqual(o.metadata?.logs, [{ level: 'log', text: 'checked' }]);
    await both({ type: 'javascript', value: 'return { pass: true, score: 0.4 }', threshold: 0.5 }, 'x', false, { sandbox });
    await both({ type: 'javascript', value: 'return { score: 0 }' }, 'x', false, { sandbox });
    assert.deepEqual(interpretReturn({ pass: false }, undefined), { pass: false, score: 0, reason: 'the scorer returned pass=false, score=0' });
  });

  test('throws, syntax errors, timeouts and bad return values are errors, never passes', async () => {
    const cases: [string, RegExp, Record<string, unknown>?][] = [
      ['throw new Error("boom")', /Error: boom/],
      ['const a = 1;\nconst b = ;\nreturn a', /SyntaxError.*\(line 2\)/],
      ['while (true) {}', /timed out after 50 ms/, { timeoutMs: 50 }],
      ['const x = 1;\nx', /returned undefined \(is a return missing\?\)/],
      ['"yes"', /returned string/],
      ['1.5', /must be a number in 0\.\.1/],
      ['return { reason: "no verdict" }', /needs pass or score/],
    ];
    for (const [value, re, config] of cases) {
      for (const type of ['javascript', 'not-javascript']) {
        const r = await run({ type, value, ...(config ? { config } : {}) }, 'x', { sandbox });
        assert.equal(r.pass, false, `${type}: ${value}`);
        assert.equal(r.score, 0);
        assert.match(r.error ?? '', re, value);
      }
    }
  });

  test('compile errors', () => {
    assert.throws(() => compileAssertion({ type: 'javascript', value: 'true' }, {}), /needs the code sandbox/);
    assert.throws(() => compileAssertion({ type: 'javascript', value: '' }, { sandbox }), /must be JavaScript code/);
    assert.throws(() => compileAssertion({ type: 'javascript', value: 'true', config: { timeoutMs: 0 } }, { sandbox }), /config\.timeoutMs/);
  });
});
