import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../errors.js';
import { Sandbox, type RunResult } from './index.js';

/** Code that outruns any deadline without reaching an interrupt check (one long native call). */
const UNINTERRUPTIBLE = 'const s = "a".repeat(1e7); return s.split("").reverse().join("").length';
const MiB = 1024 * 1024;

function isAssayError(status: number, code?: string, param?: string) {
  return (err: unknown) => {
    assert.ok(err instanceof AssayError, String(err));
    assert.equal(err.status, status, err.message);
    if (code) assert.equal(err.code, code);
    if (param) assert.equal(err.param, param);
    return true;
  };
}

describe('Sandbox.run', () => {
  let sandbox: Sandbox;
  before(() => {
    sandbox = new Sandbox({ workers: 2 });
  });
  after(async () => {
    await sandbox.close();
  });

  test('returns the value of `return`, with console output and a duration', async () => {
    const r = await sandbox.run(`
      console.log('sum', 1 + 1, { a: [1, 2] });
      console.info('info'); console.warn('warn'); console.error(new TypeError('bad')); console.debug(null, undefined, 3n);
      return { total: input.items.reduce((a, b) => a + b, 0), label: input.label };`, { input: { items: [1, 2, 3], label: 'x' } });
    assert.equal(r.ok, true);
    assert.deepEqual(r.ok && r.value, { total: 6, label: 'x' });
    assert.deepEqual(r.logs, [
      { level: 'log', text: 'sum 2 {"a":[1,2]}' },
      { level: 'info', text: 'info' },
      { level: 'warn', text: 'warn' },
      { level: 'error', text: 'TypeError: bad' },
      { level: 'debug', text: 'null undefined 3n' },
    ]);
    assert.equal(r.logsTruncated, false);
    assert.equal(typeof r.durationMs, 'number');
  });

  test('awaits promises and async functions; no return gives undefined', async () => {
    const r = await sandbox.run('const f = async (x) => x * 2; const [a, b] = await Promise.all([f(1), f(2)]); return a + b');
    assert.equal(r.ok && r.value, 6);
    const none = await sandbox.run('const x = 1');
    assert.deepEqual(none, { ...none, ok: true, value: undefined });
    const rejected = await sandbox.run('await Promise.reject(new RangeError("no"))');
    assert.ok(!rejected.ok);
    if (!rejected.ok) assert.deepEqual([rejected.error.name, rejected.error.message, rejected.error.kind], ['RangeError', 'no', 'runtime']);
  });

  test('a promise that can never settle is reported, not waited on', async () => {
    const r = await sandbox.run('await new Promise(() => {})');
    assert.ok(!r.ok);
    if (!r.ok) assert.match(r.error.message, /never settles/);
  });

  test('runtime errors carry the name, message, stack and line of the code', async () => {
    const r = await sandbox.run('const a = 1;\nconst o = null;\nreturn o.field');
    assert.ok(!r.ok);
    if (!r.ok) {
      assert.equal(r.error.kind, 'runtime');
      assert.equal(r.error.name, 'TypeError');
      assert.match(r.error.message, /field/);
      assert.equal(r.error.line, 3);
      assert.match(r.error.stack ?? '', /code\.js:3:/);
    }
  });

  test('input is a fresh copy of JSON data; undefined input leaves `input` undefined', async () => {
    const r = await sandbox.run('input.list.push(4); return [input, typeof Object.getPrototypeOf(input)]', { input: { list: [1, 2, 3], when: new Date(0) } });
    assert.deepEqual(r.ok && r.value, [{ list: [1, 2, 3, 4], when: '1970-01-01T00:00:00.000Z' }, 'object']);
    const none = await sandbox.run('return typeof input');
    assert.equal(none.ok && none.value, 'undefined');
  });

  test('several runs in parallel each get their own result', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => sandbox.run('let s = 0; for (let k = 0; k < 1e5; k++) s += k % 7; return [input, s]', { input: i })),
    );
    assert.deepEqual(results.map((r) => r.ok && r.value), Array.from({ length: 6 }, (_, i) => [i, 299995]));
  });

  test('the event loop stays responsive while a run spins for its whole second', async () => {
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    try {
      const r = await sandbox.run('while (true) {}');
      assert.ok(!r.ok);
      if (!r.ok) assert.equal(r.error.kind, 'timeout');
    } finally {
      clearInterval(interval);
    }
    assert.ok(ticks > 0, 'the interval never ran while the sandbox was busy');
  });

  test('the stack limit is configurable', async () => {
    const depth = 'let d = 0; function f() { d++; f() } try { f() } catch (e) { return d }';
    const small = await sandbox.run(depth, { stackBytes: 128 * 1024 });
    const large = await sandbox.run(depth, { stackBytes: 2 * MiB });
    assert.ok(small.ok && large.ok);
    assert.ok((small.value as number) < (large.value as number), `${small.value} vs ${large.value}`);
  });

  test('bad arguments are rejected with a precise 400', async () => {
    await assert.rejects(sandbox.run(42 as unknown as string), isAssayError(400, undefined, 'code'));
    await assert.rejects(sandbox.run('return 1', { timeoutMs: 0 }), isAssayError(400, undefined, 'timeoutMs'));
    await assert.rejects(sandbox.run('return 1', { timeoutMs: 1.5 }), /options\.timeoutMs must be an integer from 1 to 60000, got 1\.5/);
    await assert.rejects(sandbox.run('return 1', { memoryBytes: 4096 * MiB }), isAssayError(400, undefined, 'memoryBytes'));
    await assert.rejects(sandbox.run('return 1', { stackBytes: 8 * MiB }), isAssayError(400, undefined, 'stackBytes'));
    await assert.rejects(sandbox.run('return 1', { maxLogChars: -1 }), isAssayError(400, undefined, 'maxLogChars'));
    await assert.rejects(sandbox.run('return 1', { timeoutMs: '100' as unknown as number }), /got "100"/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(sandbox.run('return 1', { input: cyclic }), isAssayError(400, undefined, 'input'));
    await assert.rejects(sandbox.run('return 1', { input: { f: () => 1 } }), /input must be JSON-serializable: a function/);
    await assert.rejects(sandbox.run('return 1', { input: 10n }), /a bigint is not JSON data/);
    await assert.rejects(sandbox.run('return 1', { input: 'x'.repeat(2 * MiB), memoryBytes: MiB }), /over the run's memoryBytes/);
    assert.throws(() => new Sandbox({ workers: 0 }), /sandbox option workers must be an integer from 1 to 8/);
    assert.throws(() => new Sandbox({ defaults: { timeoutMs: 10 ** 6 } }), /defaults\.timeoutMs must be an integer/);
  });
});

describe('Sandbox pool', () => {
  test('defaults apply to every run and can be overridden per run', async () => {
    const sandbox = new Sandbox({ workers: 1, defaults: { timeoutMs: 100, maxLogChars: 10 } });
    try {
      const r = await sandbox.run('console.log("0123456789abc"); while (true) {}');
      assert.ok(!r.ok && r.logsTruncated);
      if (!r.ok) assert.match(r.error.message, /time limit of 100 ms/);
      const longer = await sandbox.run('let i = 0; while (i < 1e5) i++; return i', { timeoutMs: 5000 });
      assert.equal(longer.ok && longer.value, 1e5);
    } finally {
      await sandbox.close();
    }
  });

  test('a run that will not stop is ended by terminating its worker, which is replaced', async () => {
    const sandbox = new Sandbox({ workers: 1, killGraceMs: 10 });
    try {
      const r: RunResult = await sandbox.run(UNINTERRUPTIBLE, { timeoutMs: 50, memoryBytes: 512 * MiB });
      assert.ok(!r.ok);
      if (!r.ok) {
        assert.equal(r.error.kind, 'timeout');
        assert.match(r.error.message, /worker was terminated/);
      }
      assert.equal(sandbox.stats.killed, 1);
      const next = await sandbox.run('return "still here"');
      assert.equal(next.ok && next.value, 'still here');
    } finally {
      await sandbox.close();
    }
  });

  test('a full queue refuses with 503 sandbox_busy, and the queued runs still complete', async () => {
    const sandbox = new Sandbox({ workers: 1, maxQueue: 1 });
    try {
      const first = sandbox.run('while (true) {}', { timeoutMs: 200 });
      const second = sandbox.run('return 2');
      await assert.rejects(sandbox.run('return 3'), (err: unknown) => {
        isAssayError(503, 'sandbox_busy')(err);
        assert.match((err as Error).message, /maxQueue 1/);
        return true;
      });
      assert.equal((await first).ok, false);
      assert.equal((await second).ok && (await second).ok, true);
      const later = await sandbox.run('return 4');
      assert.equal(later.ok && later.value, 4);
    } finally {
      await sandbox.close();
    }
  });

  test('an abort signal cancels a queued run (499); an aborted signal never starts one', async () => {
    const sandbox = new Sandbox({ workers: 1 });
    try {
      const busy = sandbox.run('while (true) {}', { timeoutMs: 200 });
      const controller = new AbortController();
      const queued = sandbox.run('return 1', { signal: controller.signal });
      controller.abort();
      await assert.rejects(queued, isAssayError(499));
      await assert.rejects(sandbox.run('return 1', { signal: AbortSignal.abort() }), isAssayError(499));
      assert.equal((await busy).ok, false);
      assert.equal(sandbox.stats.queued, 0);
    } finally {
      await sandbox.close();
    }
  });

  test('close() fails queued runs, lets the running one finish, then refuses new ones', async () => {
    const sandbox = new Sandbox({ workers: 1 });
    await sandbox.run('return 0'); // the worker is up, so the next run starts at once
    const running = sandbox.run('let i = 0; while (i < 1e6) i++; return i');
    const queued = sandbox.run('return 2');
    const closing = sandbox.close();
    await assert.rejects(queued, isAssayError(503, 'sandbox_closed'));
    const r = await running;
    assert.ok(r.ok || r.error.kind === 'timeout');
    await closing;
    await assert.rejects(sandbox.run('return 1'), isAssayError(503, 'sandbox_closed'));
    assert.equal(sandbox.stats.workers, 0);
  });
});
