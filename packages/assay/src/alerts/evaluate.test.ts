import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { breaches, evaluateRule, type MetricReading } from './evaluate.js';
import type { AlertRule } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function rule(over: Partial<AlertRule> = {}): AlertRule {
  return {
    id: 'rule_1',
    project_id: 'default',
    name: 'High error rate',
    description: null,
    metric: 'error_rate',
    filters: { model: 'up/gpt-4o-mini' },
    window_s: 300,
    operator: '>',
    warning: 0.05,
    threshold: 0.1,
    no_data: 'no_data',
    renotify_s: 0,
    channel_ids: ['chan_1'],
    enabled: true,
    state: 'OK',
    state_since: T0,
    episode_start: null,
    last_value: null,
    last_evaluated_at: null,
    last_notified_at: null,
    last_error: null,
    created_at: T0,
    updated_at: T0,
    ...over,
  };
}

/** Drives a rule through readings with a fake clock (seconds after T0), keeping its status. */
function drive(r: AlertRule, steps: [number, MetricReading][]) {
  const out = [];
  for (const [s, reading] of steps) {
    const ev = evaluateRule(r, reading, T0 + s * 1000);
    r = { ...r, ...ev.status };
    out.push({ ev, rule: r });
  }
  return out;
}

test('breaches compares in the operator direction, including equality for >= and <=', () => {
  assert.equal(breaches(0.1, '>', 0.1), false);
  assert.equal(breaches(0.1, '>=', 0.1), true);
  assert.equal(breaches(0.09, '<', 0.1), true);
  assert.equal(breaches(0.1, '<', 0.1), false);
  assert.equal(breaches(0.1, '<=', 0.1), true);
});

describe('transitions', () => {
  test('OK → WARNING → ALERT → OK: history, notification kinds, one dedupe key per episode', () => {
    const [a, b, c, d, e] = drive(rule(), [
      [60, { value: 0.01 }],
      [120, { value: 0.07 }],
      [180, { value: 0.5 }],
      [240, { value: 0.02 }],
      [300, { value: 0.03 }],
    ]);
    assert.equal(a.ev.transition, null);
    assert.equal(a.ev.notification, null);
    assert.equal(a.rule.last_value, 0.01);
    assert.equal(a.rule.last_evaluated_at, T0 + 60_000);

    assert.deepEqual({ ...b.ev.transition, message: undefined }, { from: 'OK', to: 'WARNING', value: 0.07, message: undefined });
    assert.match(b.ev.transition!.message, /error_rate for model=up\/gpt-4o-mini over the last 300 s is 0\.07, which is > 0\.05 \(warning level; alert at > 0\.1\)/);
    assert.equal(b.ev.notification!.kind, 'alert');
    assert.equal(b.ev.notification!.state, 'WARNING');
    assert.equal(b.ev.notification!.previous_state, 'OK');
    assert.equal(b.ev.notification!.dedupe_key, `rule_1:${T0 + 120_000}`);
    assert.equal(b.ev.notification!.title, '[WARNING] High error rate');
    assert.equal(b.rule.episode_start, T0 + 120_000);
    assert.equal(b.rule.state_since, T0 + 120_000);

    assert.equal(c.ev.transition!.to, 'ALERT');
    assert.equal(c.ev.notification!.kind, 'alert');
    assert.equal(c.ev.notification!.dedupe_key, `rule_1:${T0 + 120_000}`, 'same episode, same key');
    assert.match(c.ev.notification!.message, /is 0\.5, which is > 0\.1 \(alert threshold\)/);

    assert.deepEqual([d.ev.transition!.from, d.ev.transition!.to], ['ALERT', 'OK']);
    assert.equal(d.ev.notification!.kind, 'recovery');
    assert.equal(d.ev.notification!.title, '[RECOVERED] High error rate');
    assert.equal(d.ev.notification!.dedupe_key, `rule_1:${T0 + 120_000}`, 'the recovery closes the same episode');
    assert.equal(d.rule.episode_start, null);

    assert.equal(e.ev.transition, null, 'OK stays OK silently');
    assert.equal(e.ev.notification, null);
  });

  test('a new episode gets a new dedupe key; the payload carries the rule', () => {
    const steps = drive(rule({ warning: null }), [
      [10, { value: 0.2 }],
      [20, { value: 0 }],
      [30, { value: 0.3 }],
    ]);
    assert.equal(steps[0].ev.notification!.dedupe_key, `rule_1:${T0 + 10_000}`);
    assert.equal(steps[2].ev.notification!.dedupe_key, `rule_1:${T0 + 30_000}`);
    const p = steps[2].ev.notification!;
    assert.deepEqual(p.rule, {
      id: 'rule_1', name: 'High error rate', metric: 'error_rate', filters: { model: 'up/gpt-4o-mini' },
      window_s: 300, operator: '>', warning: null, threshold: 0.1,
    });
    assert.equal(p.version, 1);
    assert.equal(p.value, 0.3);
    assert.equal(p.at, new Date(T0 + 30_000).toISOString());
  });

  test('"<" rules: warning above the threshold, alert below it', () => {
    const r = rule({ metric: 'cache_hit_rate', operator: '<', warning: 0.5, threshold: 0.2, filters: {} });
    const [a, b, c] = drive(r, [
      [1, { value: 0.4 }],
      [2, { value: 0.1 }],
      [3, { value: 0.6 }],
    ]);
    assert.equal(a.rule.state, 'WARNING');
    assert.equal(b.rule.state, 'ALERT');
    assert.equal(c.rule.state, 'OK');
    assert.equal(c.ev.notification!.kind, 'recovery');
  });

  test('WARNING → ALERT → WARNING moves within one episode', () => {
    const [, , c] = drive(rule(), [
      [1, { value: 0.06 }],
      [2, { value: 0.2 }],
      [3, { value: 0.06 }],
    ]);
    assert.deepEqual([c.ev.transition!.from, c.ev.transition!.to], ['ALERT', 'WARNING']);
    assert.equal(c.ev.notification!.kind, 'alert');
    assert.equal(c.ev.notification!.dedupe_key, `rule_1:${T0 + 1000}`);
  });
});

describe('no-data policies', () => {
  test('no_data: a window without data goes to NO_DATA and back on data (recovery)', () => {
    const [a, b] = drive(rule(), [
      [1, { value: null }],
      [2, { value: 0 }],
    ]);
    assert.equal(a.rule.state, 'NO_DATA');
    assert.equal(a.ev.notification!.kind, 'alert');
    assert.match(a.ev.notification!.message, /no data for error_rate .* \(no_data policy: no_data\)/);
    assert.equal(b.rule.state, 'OK');
    assert.equal(b.ev.notification!.kind, 'recovery');
    assert.equal(b.ev.notification!.previous_state, 'NO_DATA');
  });

  test('ok: no data counts as OK (an alerting rule recovers)', () => {
    const [a, b] = drive(rule({ no_data: 'ok' }), [
      [1, { value: 0.5 }],
      [2, { value: null }],
    ]);
    assert.equal(a.rule.state, 'ALERT');
    assert.equal(b.rule.state, 'OK');
    assert.equal(b.ev.notification!.kind, 'recovery');
    assert.equal(b.rule.last_value, null);
  });

  test('alert: no data is an ALERT', () => {
    const [a] = drive(rule({ no_data: 'alert' }), [[1, { value: null }]]);
    assert.equal(a.rule.state, 'ALERT');
    assert.equal(a.ev.transition!.value, null);
  });

  test('keep: no data keeps whatever state the rule is in', () => {
    const [a, b, c, d] = drive(rule({ no_data: 'keep' }), [
      [1, { value: null }],
      [2, { value: 0.5 }],
      [3, { value: null }],
      [4, { value: 0.07 }],
    ]);
    assert.equal(a.rule.state, 'OK');
    assert.equal(a.ev.transition, null);
    assert.equal(b.rule.state, 'ALERT');
    assert.equal(c.rule.state, 'ALERT');
    assert.equal(c.ev.transition, null);
    assert.equal(c.rule.state_since, T0 + 2000, 'since is unchanged');
    assert.equal(d.rule.state, 'WARNING');
  });
});

describe('renotify', () => {
  test('while not OK, re-sends every renotify_s with the episode key; never when 0', () => {
    const steps = drive(rule({ renotify_s: 300 }), [
      [0, { value: 0.5 }], // ALERT
      [60, { value: 0.5 }],
      [299, { value: 0.6 }],
      [300, { value: 0.7 }], // renotify
      [360, { value: 0.7 }],
      [600, { value: 0.7 }], // renotify
      [660, { value: 0.01 }], // recovery
      [1000, { value: 0.01 }],
    ]);
    const kinds = steps.map((s) => s.ev.notification?.kind ?? null);
    assert.deepEqual(kinds, ['alert', null, null, 'renotify', null, 'renotify', 'recovery', null]);
    const re = steps[3].ev.notification!;
    assert.equal(re.dedupe_key, `rule_1:${T0}`);
    assert.equal(re.state, 'ALERT');
    assert.equal(re.previous_state, 'ALERT');
    assert.equal(re.title, '[STILL ALERT] High error rate');
    assert.match(re.message, /^still ALERT since 2026-01-01T12:00:00\.000Z: .* is 0\.7/);
    assert.equal(steps[3].ev.transition, null, 'a renotify is not a transition');

    const never = drive(rule({ renotify_s: 0 }), [
      [0, { value: 0.5 }],
      [3600, { value: 0.5 }],
      [86_400, { value: 0.5 }],
    ]);
    assert.deepEqual(never.map((s) => s.ev.notification?.kind ?? null), ['alert', null, null]);
  });

  test('a state change inside the episode restarts the renotify clock', () => {
    const steps = drive(rule({ renotify_s: 100 }), [
      [0, { value: 0.06 }], // WARNING
      [90, { value: 0.5 }], // ALERT (notified)
      [150, { value: 0.5 }], // 60 s after the last notice: nothing
      [190, { value: 0.5 }], // renotify
    ]);
    assert.deepEqual(steps.map((s) => s.ev.notification?.kind ?? null), ['alert', 'alert', null, 'renotify']);
  });

  test('NO_DATA renotifies too', () => {
    const steps = drive(rule({ renotify_s: 60 }), [
      [0, { value: null }],
      [60, { value: null }],
    ]);
    assert.deepEqual(steps.map((s) => s.ev.notification?.kind ?? null), ['alert', 'renotify']);
    assert.equal(steps[1].ev.notification!.state, 'NO_DATA');
  });
});

test('an error reading the metric is recorded, the state is kept, and the next success clears it', () => {
  const [a, b, c] = drive(rule(), [
    [1, { value: 0.5 }],
    [2, { error: 'the metric error_rate could not be read: database is locked' }],
    [3, { value: 0.5 }],
  ]);
  assert.equal(a.rule.state, 'ALERT');
  assert.equal(b.rule.state, 'ALERT');
  assert.equal(b.ev.transition, null);
  assert.equal(b.ev.notification, null);
  assert.match(b.rule.last_error!, /database is locked/);
  assert.equal(b.rule.last_evaluated_at, T0 + 2000);
  assert.equal(b.rule.last_value, 0.5, 'the last good value stays');
  assert.equal(c.rule.last_error, null);
  assert.equal(c.ev.notification, null);
});
