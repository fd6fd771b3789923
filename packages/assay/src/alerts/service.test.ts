/**
 * AlertService over a real store (SQLite, and PostgreSQL when configured) with a fake clock, a
 * settable metric and recording senders: history, deliveries, failure counting, validation, masking.
 */
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../store/index.js';
import { storeKinds, type TestStore } from '../../test/helpers/stores.js';
import { AlertService, type MetricsSource } from './service.js';
import type { Attempt } from './attempt.js';
import type { NotificationPayload } from './types.js';
import { AssayError } from '../errors.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

for (const kind of storeKinds) {
  describe(`AlertService on ${kind.name}`, { skip: kind.skip }, () => {
    let t: TestStore;
    let store: Store;
    let now: number;
    let value: number | null | Error;
    let calls: { projectId: string; metric: string; filters: object; from: number; to: number }[];
    let sent: { type: string; url?: string; payload: NotificationPayload }[];
    let answer: (type: string) => Attempt;
    let svc: AlertService;
    let active = 0;
    let maxActive = 0;
    let gate: Promise<void> | null = null;

    const metrics: MetricsSource = {
      scalar: async (projectId, metric, filters, from, to) => {
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          calls.push({ projectId, metric, filters, from, to });
          if (gate) await gate;
          if (value instanceof Error) throw value;
          return value;
        } finally {
          active--;
        }
      },
    };
    const record = (type: string) => async (config: object, payload: NotificationPayload): Promise<Attempt> => {
      sent.push({ type, url: (config as { url?: string }).url, payload });
      return answer(type);
    };

    before(async () => {
      t = kind.make();
      store = await openStore(t.location);
    });
    after(async () => {
      await svc?.stop();
      await store?.close();
      await t?.cleanup();
    });
    beforeEach(() => {
      now = T0;
      value = 0;
      calls = [];
      sent = [];
      answer = () => ({ ok: true, status: 200, error: null, retryable: false });
      svc = new AlertService({
        repo: store.alerts,
        metrics,
        intervalMs: 60_000,
        email: record('email'),
        senders: { webhook: record('webhook'), slack: record('slack') },
        allowHosts: ['127.0.0.1:9'],
        retryDelayMs: 0,
        now: () => now,
      });
    });

    const webhook = (name = 'hook') =>
      svc.createChannel('p1', { name, type: 'webhook', config: { url: 'http://127.0.0.1:9/hook', secret: 'a-long-enough-secret-1234' }, enabled: true });
    const newRule = (channelIds: string[], over: Record<string, unknown> = {}) =>
      svc.createRule('p1', {
        name: 'Errors', description: null, metric: 'error_rate', filters: { route: 'smart' }, window_s: 300, operator: '>',
        warning: 0.05, threshold: 0.1, no_data: 'no_data', renotify_s: 0, channel_ids: channelIds, enabled: true, ...over,
      } as never);

    test('evaluate: reads the window, records transitions, delivers, and recovers', async () => {
      const ch = await webhook();
      const rule = await newRule([ch.id]);
      assert.equal(rule.state, 'OK');

      now = T0 + 60_000;
      value = 0.5;
      const r1 = (await svc.evaluate('p1', rule.id))!;
      assert.deepEqual(calls[0], { projectId: 'p1', metric: 'error_rate', filters: { route: 'smart' }, from: now - 300_000, to: now });
      assert.equal(r1.rule.state, 'ALERT');
      assert.equal(r1.event!.to_state, 'ALERT');
      assert.equal(r1.deliveries.length, 1);
      assert.equal(r1.deliveries[0].ok, true);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].payload.kind, 'alert');
      assert.equal(sent[0].payload.dedupe_key, `${rule.id}:${T0 + 60_000}`);

      now += 60_000;
      value = 0.6;
      const r2 = (await svc.evaluate('p1', rule.id))!;
      assert.equal(r2.event, null);
      assert.equal(sent.length, 1, 'no renotify when renotify_s is 0');

      now += 60_000;
      value = 0.01;
      const r3 = (await svc.evaluate('p1', rule.id))!;
      assert.equal(r3.rule.state, 'OK');
      assert.equal(sent[1].payload.kind, 'recovery');
      assert.equal(sent[1].payload.dedupe_key, sent[0].payload.dedupe_key);

      const stored = await svc.getRule('p1', rule.id);
      assert.equal(stored.state, 'OK');
      assert.equal(stored.state_since, now);
      assert.equal(stored.last_value, 0.01);
      assert.equal(stored.last_evaluated_at, now);

      const h1 = await svc.history('p1', rule.id, 1);
      assert.equal(h1.data.length, 1);
      assert.equal(h1.data[0].to_state, 'OK');
      assert.ok(h1.next_cursor);
      const h2 = await svc.history('p1', rule.id, 1, h1.next_cursor);
      assert.deepEqual([h2.data[0].from_state, h2.data[0].to_state, h2.data[0].value], ['OK', 'ALERT', 0.5]);
      assert.equal(h2.next_cursor, null);

      const ch2 = await svc.getChannel('p1', ch.id);
      assert.equal(ch2.consecutive_failures, 0);
      assert.equal(ch2.last_delivery_at, now);
    });

    test('a metric error is recorded on the rule, never thrown', async () => {
      const rule = await newRule([]);
      value = new Error('database is locked');
      const r = (await svc.evaluate('p1', rule.id))!;
      assert.equal(r.rule.state, 'OK');
      assert.match((await svc.getRule('p1', rule.id)).last_error!, /could not be read: database is locked/);
      value = 0;
      await svc.evaluate('p1', rule.id);
      assert.equal((await svc.getRule('p1', rule.id)).last_error, null);
    });

    test('evaluations of a rule never overlap (manual and scheduled)', async () => {
      const rule = await newRule([], { filters: { route: 'overlap' } });
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      maxActive = 0;
      const runs = [svc.evaluate('p1', rule.id), svc.evaluate('p1', rule.id), svc.evaluate(null, rule.id, { scheduled: true })];
      await new Promise((r) => setImmediate(r));
      open();
      await Promise.all(runs);
      gate = null;
      assert.equal(maxActive, 1);
      assert.equal(calls.length, 3);
    });

    test('5 failed deliveries in a row disable a channel with the reason; PATCH enabled:true resets it', async () => {
      const ch = await webhook('flaky');
      answer = () => ({ ok: false, status: 500, error: 'http://127.0.0.1:9 answered HTTP 500: boom', retryable: true });
      for (let i = 1; i <= 5; i++) {
        const d = await svc.testChannel('p1', ch.id);
        assert.equal(d.ok, false);
        assert.equal(d.attempts, 2, 'one retry');
        assert.equal(d.disabled, i === 5);
        const g = await svc.getChannel('p1', ch.id);
        assert.equal(g.consecutive_failures, i);
        assert.equal(g.enabled, i < 5);
      }
      assert.equal(sent.length, 10);
      const off = await svc.getChannel('p1', ch.id);
      assert.match(off.disabled_reason!, /after 5 consecutive failed deliveries; last error: .*HTTP 500: boom/);

      // A disabled channel is skipped by notifications.
      const [skip] = await svc.notify('p1', [ch.id], { kind: 'budget', dedupe_key: 'b1:1', state: 'ALERT', title: 't', message: 'm', details: {} });
      assert.equal(skip.attempts, 0);
      assert.match(skip.error!, /channel is disabled: disabled at/);
      assert.equal(sent.length, 10);

      const on = await svc.updateChannel('p1', ch.id, { enabled: true });
      assert.deepEqual([on.enabled, on.consecutive_failures, on.disabled_reason], [true, 0, null]);
      answer = () => ({ ok: true, status: 200, error: null, retryable: false });
      assert.equal((await svc.testChannel('p1', ch.id)).ok, true);
    });

    test('a permanent failure is not retried; a success in between resets the count', async () => {
      const ch = await webhook();
      answer = () => ({ ok: false, status: 404, error: 'answered HTTP 404', retryable: false });
      assert.equal((await svc.testChannel('p1', ch.id)).attempts, 1);
      assert.equal((await svc.getChannel('p1', ch.id)).consecutive_failures, 1);
      answer = () => ({ ok: true, status: 200, error: null, retryable: false });
      await svc.testChannel('p1', ch.id);
      assert.equal((await svc.getChannel('p1', ch.id)).consecutive_failures, 0);
    });

    test('notify sends budget notices with the same payload shape', async () => {
      const ch = await webhook();
      const slack = await svc.createChannel('p1', { name: 's', type: 'slack', config: { url: 'http://127.0.0.1:9/services/T/B/XYZ' }, enabled: true });
      const res = await svc.notify('p1', [ch.id, slack.id, 'chan_missing'], {
        kind: 'budget', dedupe_key: 'budget_1:2026-01', state: 'ALERT', title: 'Budget "team" spent', message: '$10 of $10', details: { value: 10, limit: 10 },
      });
      assert.deepEqual(res.map((r) => r.ok), [true, true, false]);
      assert.match(res[2].error!, /no channel chan_missing/);
      const p = sent[0].payload;
      assert.deepEqual(
        { ...p, at: undefined },
        { version: 1, kind: 'budget', dedupe_key: 'budget_1:2026-01', rule: null, state: 'ALERT', previous_state: null, value: 10,
          title: 'Budget "team" spent', message: '$10 of $10', details: { value: 10, limit: 10 }, at: undefined },
      );
    });

    test('validation: warning order, unknown channels, email without SMTP, masked secrets', async () => {
      const err = async (p: Promise<unknown>, status: number, re: RegExp) => {
        await assert.rejects(p, (e: unknown) => e instanceof AssayError && e.status === status && re.test(e.message));
      };
      await err(newRule([], { warning: 0.2 }), 400, /warning \(0\.2\) must be below threshold \(0\.1\) with operator ">"/);
      await err(newRule([], { operator: '<', warning: 0.05 }), 400, /warning \(0\.05\) must be above threshold \(0\.1\) with operator "<"/);
      await err(newRule(['chan_nope']), 400, /channel_ids\[0\]: no channel "chan_nope"/);
      const rule = await newRule([]);
      await err(svc.updateRule('p1', rule.id, { threshold: 0.01 }), 400, /warning \(0\.05\) must be below threshold \(0\.01\)/);
      await err(svc.getRule('p2', rule.id), 404, /no alert rule/);

      const noSmtp = new AlertService({ repo: store.alerts, metrics, intervalMs: 1000 });
      await err(noSmtp.createChannel('p1', { name: 'm', type: 'email', config: { to: ['a@example.com'] }, enabled: true }), 400, /configure alerts\.smtp/);
      await err(svc.createChannel('p1', { name: 'w', type: 'webhook', config: { url: 'http://x' }, enabled: true }), 400, /config\.secret/);

      const ch = await webhook();
      assert.equal(ch.config.secret, '****1234');
      const patched = await svc.updateChannel('p1', ch.id, { config: { secret: '****1234', url: 'http://127.0.0.1:9/other' } });
      assert.equal(patched.config.url, 'http://127.0.0.1:9/other');
      answer = () => ({ ok: true, status: 200, error: null, retryable: false });
      await svc.testChannel('p1', ch.id);
      assert.equal(sent.at(-1)!.url, 'http://127.0.0.1:9/other');
      const stored = await store.alerts.getChannel('p1', ch.id);
      assert.equal((stored!.config as { secret: string }).secret, 'a-long-enough-secret-1234', 'a masked value sent back keeps the secret');

      const slack = await svc.createChannel('p1', { name: 's', type: 'slack', config: { url: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXabcd' }, enabled: true });
      assert.equal(slack.config.url, 'https://hooks.slack.com/****abcd');

      await newRule([ch.id]);
      await err(svc.deleteChannel('p1', ch.id), 409, /is used by alert rule/);
    });

    test('a scheduled run evaluates every enabled rule; a disabled one is skipped (and 409 on evaluate)', async () => {
      const on = await newRule([], { filters: { route: 'sched-on' } });
      const off = await newRule([], { filters: { route: 'sched-off' }, enabled: false });
      await svc.evaluateAll();
      const routes = calls.map((c) => (c.filters as { route?: string }).route);
      assert.ok(routes.includes('sched-on'));
      assert.ok(!routes.includes('sched-off'));
      assert.equal(routes.filter((r) => r === 'sched-on').length, 1, 'each rule once per run');
      assert.equal((await svc.getRule('p1', on.id)).last_evaluated_at, now);
      assert.equal((await svc.getRule('p1', off.id)).last_evaluated_at, null);
      await assert.rejects(svc.evaluate('p1', off.id), (e: unknown) => e instanceof AssayError && e.status === 409 && /is disabled/.test(e.message));
    });
  });
}
