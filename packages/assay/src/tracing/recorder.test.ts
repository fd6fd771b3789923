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
