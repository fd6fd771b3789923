import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from './breaker.js';
import { backoffDelay } from './backoff.js';
import { ModelRegistry, weightedPick } from '../registry.js';
import type { Provider } from '../spec.js';
import { routerDefaultsSchema } from '../../config/schema.js';

test('breaker: opens after N failures, half-opens after the cooldown, closes on success', () => {
  let now = 1000;
  const b = new CircuitBreaker(2, 500, () => now);
  b.failure('t', 'x');
  assert.equal(b.isOpen('t'), false);
  b.failure('t', 'boom');
  assert.equal(b.isOpen('t'), true);
  assert.equal(b.allow('t'), false);
  assert.equal(b.health('t').state, 'open');
  now += 600;
  assert.equal(b.health('t').state, 'half_open');
  assert.equal(b.allow('t'), true, 'one probe');
  assert.equal(b.allow('t'), false, 'only one probe at a time');
  b.failure('t', 'again');
  assert.equal(b.health('t').state, 'open');
  now += 600;
  assert.equal(b.allow('t'), true);
  b.success('t');
  assert.equal(b.health('t').state, 'closed');
  assert.equal(b.health('t').last_error, 'again');
});

test('backoff: full jitter under an exponential ceiling capped at max', () => {
  assert.equal(backoffDelay(0, 100, 5000, () => 0.999), 99);
  assert.equal(backoffDelay(3, 100, 5000, () => 0.5), 400);
  assert.equal(backoffDelay(10, 100, 5000, () => 0.999), 4995);
  assert.equal(backoffDelay(2, 100, 5000, () => 0), 0);
});

test('weightedPick follows weights', () => {
  const items = [{ weight: 3, n: 'a' }, { weight: 1, n: 'b' }];
  assert.equal(weightedPick(items, () => 0.74).n, 'a');
  assert.equal(weightedPick(items, () => 0.76).n, 'b');
});

test('registry: routes, provider models, fallbacks after the pick, cooling targets avoided, 404 for unknown', () => {
  const p = (id: string): Provider => ({ id, type: 'openai', models: () => ['m1'], chat: async () => { throw new Error(); }, embeddings: async () => { throw new Error(); }, close: async () => {} });
  const reg = new ModelRegistry(
    new Map([['a', p('a')], ['b', p('b')]]),
    [{ name: 'r', targets: [{ model: 'a/x', weight: 1 }, { model: 'b/y', weight: 1, timeout_ms: 50 }], fallbacks: [{ model: 'b/y' }, { model: 'a/z', timeout_ms: 70 }], retries: 1, timeout_ms: 900, tools: [] }],
    routerDefaultsSchema.parse({}),
  );
  const plan = reg.resolve('r', () => false, () => 0);
  assert.deepEqual(plan.targets.map((t) => t.ref), ['a/x', 'b/y', 'a/z']);
  assert.deepEqual(plan.targets.map((t) => t.timeoutMs), [900, 900, 70], "a target's own timeout, else the route's");
  assert.equal(reg.resolve('r', () => false, () => 0.9).targets[0].timeoutMs, 50);
  assert.equal(plan.retries, 1);
  assert.deepEqual(reg.resolve('r', (ref) => ref === 'a/x', () => 0).targets.map((t) => t.ref), ['b/y', 'a/z']);
  assert.deepEqual(reg.resolve('r', () => true, () => 0).targets.map((t) => t.ref)[0], 'a/x', 'all cooling: pick among all');
  const direct = reg.resolve('b/some/model');
  assert.equal(direct.route, null);
  assert.equal(direct.targets[0].model, 'some/model');
  assert.throws(() => reg.resolve('c/x'), { status: 404 });
  assert.throws(() => reg.resolve('gpt-4'), { status: 404 });
  assert.deepEqual(reg.list().map((m) => m.id), ['r', 'a/m1', 'b/m1']);
});
