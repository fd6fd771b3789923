/**
 * Escape and denial-of-service suite: every attempt must end as a contained, classified failure (or a
 * harmless value), and the same sandbox must still run ordinary code right after.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, type RunOptions, type RunResult, type SandboxErrorKind } from './index.js';

const MiB = 1024 * 1024;
let sandbox: Sandbox;

before(() => {
  sandbox = new Sandbox({ workers: 2 });
});
after(async () => {
  await sandbox.close();
});

async function run(code: string, options: RunOptions = {}): Promise<RunResult> {
  return sandbox.run(code, options);
}

/** The run failed with `kind`, and the sandbox still answers a plain computation. */
async function contained(result: RunResult, kind: SandboxErrorKind): Promise<void> {
  assert.equal(result.ok, false, `expected a ${kind} failure, got ${JSON.stringify(result).slice(0, 300)}`);
  if (!result.ok) assert.equal(result.error.kind, kind, JSON.stringify(result.error).slice(0, 300));
  await usable();
}

async function usable(): Promise<void> {
  assert.equal(sandbox.stats.killed, 0, 'the engine contained it: no worker had to be terminated');
  const after = await sandbox.run('return [6 * 7, typeof leaked, ({}).polluted]');
  assert.deepEqual(after, { ...after, ok: true, value: [42, 'undefined', null] });
}

describe('CPU: the deadline interrupts', () => {
  const fast = { timeoutMs: 200 };
  test('while (true) {}', async () => {
    const r = await run('while (true) {}', fast);
    await contained(r, 'timeout');
    if (!r.ok) assert.match(r.error.message, /time limit of 200 ms/);
  });
  test('a busy loop without calls or recursion', async () => {
    await contained(await run('let x = 0; for (let i = 0; ; i++) { x = (x * 31 + i) | 0 }', fast), 'timeout');
  });
  test('for (;;) inside a try/catch that swallows the interrupt', async () => {
    await contained(await run('for (;;) { try { for (;;) {} } catch (e) { globalThis.caught = e } }', fast), 'timeout');
  });
  test('a finally block that tries to keep running', async () => {
    await contained(await run('try { for (;;) {} } finally { for (;;) {} }', fast), 'timeout');
  });
  test('an endless promise job loop', async () => {
    await contained(await run('async function spin() { for (;;) await null } await spin()', fast), 'timeout');
  });
  test('catastrophic regex backtracking', async () => {
    await contained(await run('return /^(a+)+$/.test("a".repeat(40) + "b")', fast), 'timeout');
  });
  test('a getter that loops while the result is serialized', async () => {
    await contained(await run('return { get x() { for (;;) {} } }', fast), 'timeout');
  });
});

describe('memory: the cap holds', () => {
  test('an array of arrays grows without end', async () => {
    await contained(await run('const a = []; for (;;) a.push(new Array(1e5).fill(1))'), 'memory');
  });
  test('many small objects', async () => {
    await contained(await run('const a = []; for (;;) a.push({ a: 1, b: 2 })'), 'memory');
  });
  test('huge strings, each under the limit', async () => {
    await contained(await run('const a = []; for (;;) a.push("x".repeat(1 << 20) + a.length)'), 'memory');
  });
  test('exponential string doubling', async () => {
    await contained(await run('let s = "x"; for (;;) s += s'), 'memory');
  });
  test('flattening a doubled string', async () => {
    await contained(await run('let s = "ab"; for (let i = 0; i < 26; i++) s = s + s; return s.indexOf("c")'), 'memory');
  });
  test('one giant ArrayBuffer', async () => {
    await contained(await run('return new ArrayBuffer(1e9).byteLength'), 'memory');
  });
  test('many ArrayBuffers, each under the limit', async () => {
    await contained(await run('const a = []; for (;;) a.push(new Uint8Array(1 << 20))'), 'memory');
  });
  test('a smaller memoryBytes is enforced too', async () => {
    const r = await run('const a = []; for (let i = 0; i < 8; i++) a.push(new Uint8Array(1 << 20)); return a.length', { memoryBytes: 4 * MiB });
    await contained(r, 'memory');
    if (!r.ok) assert.match(r.error.message, /out of memory/);
  });
  test('catching the out-of-memory error does not get around the cap', async () => {
    const code = 'const keep = []; for (;;) { try { keep.push(new Uint8Array(1 << 20)) } catch (e) { keep.push(new Uint8Array(1 << 19)) } }';
    await contained(await run(code, { timeoutMs: 2000 }), 'memory');
  });
});

describe('stack: deep recursion ends in a stack error', () => {
  test('plain recursion', async () => {
    const r = await run('function f(n) { return f(n + 1) + 1 } return f(0)');
    await contained(r, 'stack');
  });
  test('recursion caught and retried: stopped by the worker kill when interrupt checks are too far apart', async () => {
    // Each caught overflow builds a backtrace thousands of frames deep between two interrupt checks,
    // so the deadline can be overshot by seconds: this is what the hard kill is for.
    const own = new Sandbox({ workers: 1, killGraceMs: 100 });
    try {
      const r = await own.run('function f() { try { return f() } catch (e) { return f() } } return f()', { timeoutMs: 300 });
      assert.ok(!r.ok);
      if (!r.ok) assert.equal(r.error.kind, 'timeout');
      const next = await own.run('return "alive"');
      assert.equal(next.ok && next.value, 'alive');
    } finally {
      await own.close();
    }
  });
  test('a deeply nested expression handed to eval', async () => {
    await contained(await run('return eval("(".repeat(1e5))'), 'stack');
  });
  test('JSON of a deeply nested array', async () => {
    const r = await run('let a = []; for (let i = 0; i < 1e6; i++) a = [a]; return JSON.stringify(a).length');
    // QuickJS may either refuse (stack) or manage it within the limits: never a crash.
    if (!r.ok) assert.ok(['stack', 'memory', 'output'].includes(r.error.kind), r.error.kind);
    await usable();
  });
});

describe('no host objects: probes find only the sandbox', () => {
  test('node and web globals are absent', async () => {
    const names = ['process', 'require', 'module', 'exports', 'Buffer', 'global', 'fetch', 'XMLHttpRequest', 'WebSocket',
      'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'WebAssembly', 'Atomics', 'emit', 'std', 'os', 'scriptArgs'];
    const r = await run(`return ${JSON.stringify(names)}.filter((n) => typeof globalThis[n] !== 'undefined')`);
    assert.deepEqual(r.ok && r.value, []);
  });
  test('the global object holds only standard built-ins plus console and input', async () => {
    const r = await run('return Object.getOwnPropertyNames(globalThis)');
    assert.ok(r.ok);
    const builtins = ('Error,EvalError,RangeError,ReferenceError,SyntaxError,TypeError,URIError,InternalError,AggregateError,' +
      'Array,Object,Function,Iterator,parseInt,parseFloat,isNaN,isFinite,decodeURI,decodeURIComponent,encodeURI,' +
      'encodeURIComponent,escape,unescape,Infinity,NaN,undefined,eval,Number,Boolean,String,Math,Reflect,Symbol,globalThis,' +
      'BigInt,Date,RegExp,JSON,Proxy,Map,Set,WeakMap,WeakSet,ArrayBuffer,SharedArrayBuffer,Uint8ClampedArray,Int8Array,' +
      'Uint8Array,Int16Array,Uint16Array,Int32Array,Uint32Array,BigInt64Array,BigUint64Array,Float16Array,Float32Array,' +
      'Float64Array,DataView,Promise,WeakRef,FinalizationRegistry,console,input').split(',');
    const allowed = { test: (n: string) => builtins.includes(n) };
    const unexpected = (r.value as string[]).filter((n) => !allowed.test(n));
    assert.deepEqual(unexpected, []);
  });
  test('constructor.constructor("return this")() is the sandbox global', async () => {
    const r = await run(`
      const g = ({}).constructor.constructor('return this')();
      const h = (function () { return this })();
      const i = (0, eval)('this');
      return [g === globalThis, h === globalThis, i === globalThis, typeof g.process, typeof g.require, Object.keys(g)];`);
    assert.deepEqual(r.ok && r.value, [true, true, true, 'undefined', 'undefined', []]);
  });
  test('Function and eval run inside the sandbox, under its limits', async () => {
    const r = await run('return [Function("return typeof process")(), eval("typeof require"), new Function("a", "return a * 2")(21)]');
    assert.deepEqual(r.ok && r.value, ['undefined', 'undefined', 42]);
    await contained(await run('Function("while (true) {}")()', { timeoutMs: 200 }), 'timeout');
  });
  test('import() is refused inside the sandbox; static import is a syntax error', async () => {
    const dynamic = await run('try { await import("node:fs"); return "loaded" } catch (e) { return String(e.message) }');
    assert.equal(dynamic.ok && dynamic.value, 'cannot import "node:fs": modules are not available in the sandbox');
    await contained(await run('import fs from "node:fs"\nreturn fs'), 'syntax');
    await contained(await run('return import.meta.url'), 'syntax');
  });
  test('console holds no way back to the host', async () => {
    const r = await run(`
      const leaks = [];
      for (const k of Object.getOwnPropertyNames(console)) {
        const f = console[k];
        leaks.push(Object.getOwnPropertyNames(f).filter((p) => !['length', 'name', 'prototype'].includes(p)).join());
      }
      let caller;
      try { caller = typeof console.log.caller } catch (e) { caller = 'refused' }
      return [leaks.join(''), caller];`);
    assert.deepEqual(r.ok && r.value, ['', 'refused']);
  });
  test('Error.prepareStackTrace and other V8 hooks do nothing', async () => {
    const r = await run('Error.prepareStackTrace = () => process.exit(1); return typeof new Error("x").stack');
    assert.equal(r.ok && r.value, 'string');
  });
});

describe('no state leaks between runs or into the host', () => {
  test('prototype pollution and global writes stay in their run', async () => {
    const r = await run(`
      Object.prototype.polluted = 'yes'; Array.prototype.push = null; globalThis.leaked = 1;
      JSON.stringify = () => 'hijacked'; String.prototype.slice = () => 'hijacked';
      return [({}).polluted, typeof leaked];`);
    assert.deepEqual(r.ok && r.value, ['yes', 'number']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'the host Object.prototype is untouched');
    await usable();
    const again = await run('const a = []; a.push(1); return [a, JSON.stringify({ a: 1 }), "abc".slice(1)]');
    assert.deepEqual(again.ok && again.value, [[1], '{"a":1}', 'bc']);
  });
  test('a poisoned JSON.stringify or toJSON only changes the run\'s own result', async () => {
    const r = await run('Object.prototype.toJSON = function () { return "mine" }; JSON.stringify = null; return { a: 1 }');
    assert.equal(r.ok && r.value, 'mine');
    const thrown = await run('Object.prototype.toJSON = () => "x"; throw new TypeError("still readable")');
    assert.ok(!thrown.ok);
    if (!thrown.ok) assert.equal(thrown.error.kind, 'runtime');
    await usable();
  });
});

describe('output: bounded and JSON only', () => {
  test('huge console output is cut at maxLogChars', async () => {
    const r = await run('for (let i = 0; i < 1e5; i++) console.log("line " + i, { i }); return "done"', { maxLogChars: 1000 });
    assert.ok(r.ok);
    assert.equal(r.value, 'done');
    assert.equal(r.logsTruncated, true);
    assert.ok(r.logs.reduce((n, l) => n + l.text.length + 1, 0) <= 1000);
  });
  test('one enormous log line is clipped, and empty lines count too', async () => {
    const big = await run('console.log("y".repeat(5e6)); return 1', { maxLogChars: 100 });
    assert.ok(big.ok && big.logsTruncated);
    assert.ok(big.logs[0].text.length < 100);
    const empty = await run('for (let i = 0; i < 1e5; i++) console.log(); return 1', { maxLogChars: 50 });
    assert.ok(empty.ok && empty.logsTruncated && empty.logs.length <= 50);
  });
  test('replacing String.prototype.slice does not loosen the log budget', async () => {
    const r = await run('const log = console.log; String.prototype.slice = function () { return this + this }; log("z".repeat(500)); return 1', { maxLogChars: 100 });
    assert.ok(r.ok);
    assert.ok(r.logs.every((l) => l.text.length < 100));
  });
  test('functions, cycles, symbols and BigInts are output errors', async () => {
    for (const [code, pattern] of [
      ['return () => 1', /returned value is a function/],
      ['return { nested: { fn() {} } }', /property "fn" is a function/],
      ['const o = {}; o.self = o; return o', /circular/],
      ['return [Symbol("s")]', /symbol/],
      ['return { n: 10n }', /bigint/],
    ] as const) {
      const r = await run(code);
      assert.ok(!r.ok, code);
      if (!r.ok) {
        assert.equal(r.error.kind, 'output', code);
        assert.match(r.error.message, pattern);
      }
    }
    await usable();
  });
  test('a result over maxOutputBytes is refused', async () => {
    const r = await run('return "é".repeat(600)', { maxOutputBytes: 1000 }); // 600 characters, 1202 bytes of JSON
    await contained(r, 'output');
  });
});

describe('thrown values and syntax errors', () => {
  test('non-Error values are described', async () => {
    for (const [code, text] of [['throw 42', '42'], ['throw "oops"', 'oops'], ['throw null', 'null'], ['throw { code: 7 }', '{"code":7}'], ['throw undefined', 'undefined']]) {
      const r = await run(code);
      assert.ok(!r.ok, code);
      if (!r.ok) {
        assert.equal(r.error.kind, 'runtime');
        assert.equal(r.error.message, `the code threw a non-Error value: ${text}`);
      }
    }
  });
  test('an Error with hostile getters is still reported', async () => {
    const r = await run('const e = new Error("x"); Object.defineProperty(e, "message", { get() { for (;;) {} } }); throw e', { timeoutMs: 300 });
    assert.ok(!r.ok);
    if (!r.ok) assert.equal(r.error.kind, 'runtime');
    await usable();
  });
  test('a syntax error names the line and column', async () => {
    const r = await run('const a = 1;\nconst b = 2;\nconst c = ;\nreturn a');
    assert.ok(!r.ok);
    if (!r.ok) {
      assert.equal(r.error.kind, 'syntax');
      assert.equal(r.error.name, 'SyntaxError');
      assert.equal(r.error.line, 3);
      assert.match(r.error.message, /\(line 3, column \d+\)/);
    }
  });
  test('an unclosed block points at the end of the code', async () => {
    const r = await run('if (true) {\n  return 1');
    assert.ok(!r.ok);
    if (!r.ok) {
      assert.equal(r.error.kind, 'syntax');
      assert.equal(r.error.line, 2);
      assert.match(r.error.message, /not closed/);
    }
  });
});
