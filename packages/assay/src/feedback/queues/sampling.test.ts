/** Sampling rules: matching, rates, per-project rules, bounded queue, retries, never throwing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyObservation } from '../../tracing/span.js';
import { Sampler, matches, type SampledCall } from './sampling.js';
import type { Queue } from './types.js';

const queue = (id: string, sampling: Queue['sampling'], project = 'default'): Queue => ({
  id, project_id: project, name: id, description: null, questions: [], overlap: 1, annotators: null, sampling, created_by: null, created_at: 0, updated_at: 0,
});
const gen = (over: Record<string, unknown> = {}) => emptyObservation({ trace_id: 't1', type: 'generation', name: 'chat', model: 'up/m', route: 'r', tags: ['a'], ...over });

test('matches: model, route, tag, error', () => {
  assert.equal(matches({}, gen()), true);
  assert.equal(matches({ model: 'up/m', route: 'r', tag: 'a', error: false }, gen()), true);
  assert.equal(matches({ tag: 'b' }, gen()), false);
  assert.equal(matches({ error: true }, gen()), false);
  assert.equal(matches({ error: true }, gen({ status: 'error' })), true);
});

test('observe: root generations only, rate against random, per project; batches go to the handler; retries', async () => {
  let r = 0.5;
  const s = new Sampler({ intervalMs: 5, random: () => r, maxAttempts: 2 });
  s.setRules([queue('q1', [{ filter: { tag: 'a' }, rate: 0.6 }]), queue('q2', [{ filter: {}, rate: 0.4 }]), queue('q3', [{ filter: {}, rate: 1 }], 'other')]);
  s.observe(gen());
  s.observe(gen({ parent_id: 'p' }));
  s.observe(gen({ type: 'span' }));
  assert.equal(s.queued, 1, 'q1 (0.5 < 0.6) only; children and spans ignored');
  r = 0.1;
  s.observe(gen({ trace_id: 't2' }));
  assert.equal(s.queued, 3);
  const seen: SampledCall[][] = [];
  s.attach(async (batch) => {
    seen.push(batch);
    return batch.filter((c) => c.traceId === 't2' && c.queueId === 'q2');
  });
  await s.flush();
  assert.deepEqual(seen[0].map((c) => [c.queueId, c.traceId]), [['q1', 't1'], ['q1', 't2'], ['q2', 't2']]);
  assert.equal(s.queued, 1, 'the unwritten trace waits for the next batch');
  await s.flush();
  assert.equal(s.queued, 0, 'given up after maxAttempts');
  await s.close();
});

test('observe never throws and the queue is bounded', () => {
  const s = new Sampler({ capacity: 2, random: () => 0 });
  s.setRules([queue('q', [{ filter: {}, rate: 1 }])]);
  for (let i = 0; i < 5; i++) s.observe(gen({ trace_id: `t${i}` }));
  assert.equal(s.queued, 2);
  assert.equal(s.stats.dropped, 3);
  assert.doesNotThrow(() => s.observe(null as never));
  assert.doesNotThrow(() => s.observe({ ...gen(), tags: null } as never));
});
