import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recorder } from './recorder.js';
import { emptyObservation, type Observation } from './span.js';

const obs = (i: number) => emptyObservation({ trace_id: `t${i}`, type: 'span', name: 'x' });

test('writes in batches and flushes the rest on close', async () => {
  const batches: Observation[][] = [];
  const r = new Recorder({ write: async (b) => void batches.push([...b]), batchSize: 3, flushIntervalMs: 10_000 });
  for (let i = 0; i < 7; i++) r.record(obs(i));
  await new Promise((res) => setTimeout(res, 20));
  assert.ok(batches.length >= 2 && batches.every((b) => b.length === 3), 'full batches are written without waiting for the interval');
  await r.close();
  assert.equal(batches.flat().length, 7);
  assert.equal(r.stats.written, 7);
});

test('a failed write is retried: nothing is lost', async () => {
  let fail = 2;
  const written: Observation[] = [];
  const r = new Recorder({
    write: async (b) => {
      if (fail-- > 0) throw new Error('db down');
      written.push(...b);
    },
    batchSize: 2,
    flushIntervalMs: 5,
  });
  for (let i = 0; i < 5; i++) r.record(obs(i));
  await r.close();
  assert.equal(written.length, 5);
  assert.equal(r.stats.failedWrites, 2);
});

test('a full queue makes callers wait instead of dropping', async () => {
  let release!: () => void;
  const gate = new Promise<void>((res) => (release = res));
  const r = new Recorder({ write: () => gate, batchSize: 2, capacity: 4, flushIntervalMs: 1 });
  for (let i = 0; i < 4; i++) r.record(obs(i));
  assert.equal(r.whenWritable() === null, false, 'at capacity: wait');
  let waited = false;
  const w = r.whenWritable()!.then(() => (waited = true));
  await new Promise((res) => setTimeout(res, 10));
  assert.equal(waited, false);
  release();
  await w;
  assert.equal(waited, true);
  await r.close();
  assert.equal(r.stats.written, 4);
});

test('the queue is bounded in bytes too: past capacityBytes callers wait, whatever the span count', async () => {
  let release!: () => void;
  const gate = new Promise<void>((res) => (release = res));
  const r = new Recorder({ write: () => gate, batchSize: 100, capacity: 1_000, capacityBytes: 10_000, flushIntervalMs: 1, sanitize: () => 4_000 });
  r.record(obs(1));
  r.record(obs(2));
  assert.equal(r.whenWritable(), null, '8,000 estimated bytes: room left');
  r.record(obs(3));
  assert.equal(r.pendingBytes, 12_000);
  const wait = r.whenWritable();
  assert.ok(wait, '12,000 bytes queued with only 3 spans: wait');
  await new Promise((res) => setTimeout(res, 10)); // the writer's timer is unref'd: keep the loop alive for it
  release();
  await wait;
  assert.equal(r.pendingBytes, 0);
  await r.close();
});

test('rows the writer set aside are counted apart from the written ones, and the queue moves on', async () => {
  const r = new Recorder({ write: async (b) => b.filter((o) => o.name === 'bad'), batchSize: 10, flushIntervalMs: 1 });
  r.record(obs(1));
  r.record(emptyObservation({ trace_id: 't', type: 'span', name: 'bad' }));
  r.record(obs(2));
  await r.close();
  assert.deepEqual({ written: r.stats.written, setAside: r.stats.setAside, pending: r.pending }, { written: 2, setAside: 1, pending: 0 });
});
