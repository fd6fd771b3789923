import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Channel, PermitQueue, QueueFullError, raceSignal } from './queue.js';

test('permits go to waiters in FIFO order, and a full queue rejects at once', async () => {
  const q = new PermitQueue(1, 2);
  const a = await q.acquire();
  const order: string[] = [];
  const b = q.acquire().then((p) => (order.push('b'), p));
  const c = q.acquire().then((p) => (order.push('c'), p));
  assert.equal(q.waiting, 2);
  await assert.rejects(q.acquire(), (e: unknown) => e instanceof QueueFullError && e.waiting === 2);
  a.release();
  a.release(); // idempotent: must not free a second slot
  const pb = await b;
  assert.equal(pb.slot, 0);
  assert.equal(q.waiting, 1);
  pb.release();
  (await c).release();
  assert.deepEqual(order, ['b', 'c']);
  assert.equal(q.busy, 0);
});

test('an aborted waiter leaves the queue; close() rejects the rest', async () => {
  const q = new PermitQueue(1, 5);
  const held = await q.acquire();
  const ac = new AbortController();
  const w = q.acquire(ac.signal);
  const other = q.acquire();
  assert.equal(q.waiting, 2);
  ac.abort(new Error('gone'));
  await assert.rejects(w, /gone/);
  assert.equal(q.waiting, 1);
  q.close(new Error('closing'));
  await assert.rejects(other, /closing/);
  await assert.rejects(q.acquire(), /closing/);
  held.release();
});

test('parallel slots hand out distinct indices', async () => {
  const q = new PermitQueue(3, 0);
  const ps = await Promise.all([q.acquire(), q.acquire(), q.acquire()]);
  assert.deepEqual(ps.map((p) => p.slot).sort(), [0, 1, 2]);
  await assert.rejects(q.acquire(), QueueFullError);
  ps[1].release();
  assert.equal((await q.acquire()).slot, 1);
});

test('raceSignal rejects when the signal fires first', async () => {
  const ac = new AbortController();
  const never = new Promise<never>(() => undefined);
  const r = raceSignal(never, ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(r, /stop/);
  assert.equal(await raceSignal(Promise.resolve(7), new AbortController().signal), 7);
});

test('Channel delivers pushed items, then the end or the failure; return() calls onReturn once', async () => {
  const ch = new Channel<number>(() => undefined);
  ch.push(1);
  const pending = ch.next();
  ch.push(2);
  ch.end();
  const got: number[] = [];
  for await (const x of ch) got.push(x);
  assert.equal((await pending).value, 1);
  assert.deepEqual(got, [2]);

  const failing = new Channel<number>(() => undefined);
  const n = failing.next();
  failing.fail(new Error('broke'));
  await assert.rejects(n, /broke/);
  assert.equal((await failing.next()).done, true);

  let returned = 0;
  const early = new Channel<number>(() => returned++);
  const waiting = early.next();
  await early.return();
  await early.return();
  assert.equal((await waiting).done, true);
  assert.equal(returned, 1);
});
