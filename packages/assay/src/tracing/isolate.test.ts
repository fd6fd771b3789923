import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTransient, writeIsolating } from './isolate.js';

/** A store that refuses any batch holding a row in `bad`, and records what it wrote. */
function fakeWrite(bad: Set<number>, written: number[], calls = { n: 0 }) {
  return async (part: readonly number[]) => {
    calls.n++;
    const refused = part.find((r) => bad.has(r));
    if (refused !== undefined) throw Object.assign(new Error(`row ${refused} is bad`), { code: '22P05' });
    written.push(...part);
  };
}

test('a failing batch is split until the bad rows stand alone; every other row is written', async () => {
  const rows = Array.from({ length: 500 }, (_, i) => i);
  const written: number[] = [];
  const calls = { n: 0 };
  const out = await writeIsolating(rows, fakeWrite(new Set([7, 300, 301]), written, calls));
  assert.deepEqual(out.bad.map((b) => b.row), [7, 300, 301]);
  assert.match(out.bad[0].reason, /row 7 is bad/);
  assert.equal(out.transient, null);
  assert.deepEqual([...written].sort((a, b) => a - b), rows.filter((r) => ![7, 300, 301].includes(r)));
  assert.ok(calls.n < 60, `${calls.n} writes`);
});

test('a clean batch is one write', async () => {
  const written: number[] = [];
  const calls = { n: 0 };
  const out = await writeIsolating([1, 2, 3], fakeWrite(new Set(), written, calls));
  assert.deepEqual(out, { bad: [], transient: null });
  assert.equal(calls.n, 1);
});

test('a transient failure (database down) sets nothing aside: the caller keeps the whole batch', async () => {
  const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  let n = 0;
  const out = await writeIsolating([1, 2, 3, 4], async (part) => {
    if (n++ === 0 && part.length === 4) throw Object.assign(new Error('bad row'), { code: '22P02' });
    throw down; // the database went away while the batch was being split
  });
  assert.deepEqual(out.bad, []);
  assert.equal(out.transient, down);
});

test('which errors are transient', () => {
  assert.equal(isTransient(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), true);
  assert.equal(isTransient(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })), true);
  assert.equal(isTransient(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })), true);
  assert.equal(isTransient(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' })), true);
  assert.equal(isTransient(new Error('Connection terminated unexpectedly')), true);
  assert.equal(isTransient(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })])), true);
  assert.equal(isTransient(Object.assign(new Error('column "origin" does not exist'), { code: '42703' })), true, 'a schema error blames no row');
  assert.equal(isTransient(Object.assign(new Error('table observations has no column named origin'), { code: 'SQLITE_ERROR' })), true);
  assert.equal(isTransient(Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' })), false);
  assert.equal(isTransient(new RangeError('Maximum call stack size exceeded')), false);
  assert.equal(isTransient(Object.assign(new Error('index row size exceeds maximum'), { code: '54000' })), false);
});
