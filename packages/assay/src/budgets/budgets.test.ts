import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AssayError } from '../errors.js';
import { openStore } from '../store/index.js';
import { emptyObservation } from '../tracing/span.js';
import { sqliteStore } from '../../test/helpers/stores.js';
import { MemoryCounters, RedisCounters } from './counters.js';
import { BudgetService } from './service.js';
import { windowBounds } from './types.js';

test('calendar windows in UTC; weeks start on Monday', () => {
  const t = Date.UTC(2026, 10, 26, 15, 30); // Thursday 26 Nov 2026
  assert.deepEqual(windowBounds('day', t), { start: Date.UTC(2026, 10, 26), end: Date.UTC(2026, 10, 27) });
  assert.deepEqual(windowBounds('week', t), { start: Date.UTC(2026, 10, 23), end: Date.UTC(2026, 10, 30) });
  assert.deepEqual(windowBounds('month', t), { start: Date.UTC(2026, 10, 1), end: Date.UTC(2026, 11, 1) });
  const sunday = Date.UTC(2026, 10, 29, 23, 59);
  assert.equal(windowBounds('week', sunday).start, Date.UTC(2026, 10, 23));
  assert.deepEqual(windowBounds('month', Date.UTC(2026, 11, 31, 12)), { start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) });
});

test('memory counters add, seed only once, and forget expired windows', async () => {
  const c = new MemoryCounters();
  const later = Date.now() + 60_000;
  await c.seed('a', 5, later);
  await c.seed('a', 100, later);
  assert.equal(await c.add('a', 1.5, later), 6.5);
  assert.deepEqual(c.get(['a', 'b']), [6.5, 0]);
  await c.add('old', 3, Date.now() - 1);
  assert.deepEqual(c.get(['old']), [0]);
});

test('redis counters: shared float sums with expiry', { skip: process.env.ASSAY_TEST_NO_REDIS ? 'redis disabled' : false }, async () => {
  const prefix = `assay-test:${randomBytes(4).toString('hex')}:`;
  const a = new RedisCounters('redis://127.0.0.1:6379', prefix);
  const b = new RedisCounters('redis://127.0.0.1:6379', prefix);
  try {
    const exp = Date.now() + 60_000;
    await a.seed('k', 2, exp);
    await b.seed('k', 50, exp);
    assert.equal(await a.add('k', 0.25, exp), 2.25);
    assert.equal(await b.add('k', 0.5, exp), 2.75);
    assert.deepEqual(await b.get(['k', 'missing']), [2.75, 0]);
  } finally {
    await a.close();
    await b.close();
  }
});

test('a flood of invented subjects does not evict a spent subject from full memory counters', async () => {
  const c = new MemoryCounters(100);
  const later = Date.now() + 60_000;
  await c.add('bud:user:real:0', 50, later);
  for (let i = 0; i < 1_000; i++) await c.add(`bud:user:invented-${i}:0`, 0.01, later);
  assert.deepEqual(c.get(['bud:user:real:0']), [50], 'the real user keeps its spend');
  assert.ok(c.get(Array.from({ length: 1_000 }, (_, i) => `bud:user:invented-${i}:0`)).filter((v) => v > 0).length <= 100, 'memory stays bounded');
});

test("a flood of invented users does not reset a real user's spent budget (full memory counters)", async () => {
  const t = sqliteStore();
  const store = await openStore(t.location);
  try {
    const budgets = new BudgetService({ repo: store.budgets, counters: new MemoryCounters(100) });
    await budgets.start();
    await budgets.create('default', { name: 'per-user', scope: 'user', metric: 'tokens', limit: 15, window: 'day', action: 'block', channels: [], enabled: true });
    const call = (user: string, tokens: number) =>
      emptyObservation({ trace_id: randomBytes(8).toString('hex'), type: 'generation', name: 'chat', project_id: 'default', user_id: user, total_tokens: tokens, start_time: Date.now() });
    budgets.account(call('ann', 20));
    for (let i = 0; i < 1_000; i++) budgets.account(call(`invented-${i}`, 1));
    await new Promise((r) => setImmediate(r)); // counter updates are sent without waiting
    await assert.rejects(
      () => budgets.check({ projectId: 'default', keyId: null, userId: 'ann', tags: [] }),
      (e: AssayError) => e.status === 429 && /per-user" is spent for user ann: 20 of 15 tokens/.test(e.message),
    );
  } finally {
    await store.close();
    await t.cleanup();
  }
});
