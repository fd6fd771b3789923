/**
 * The rule state machine, pure: given a rule (with its current status), the metric's value over the
 * window (or the error reading it) and the time, it returns the new status, the transition to record
 * and the notification to send. No I/O, no clock: the service supplies `now`.
 *
 *   value breaches threshold → ALERT; else breaches warning → WARNING; else OK;
 *   no value → the no_data policy: NO_DATA, OK, ALERT, or keep the current state.
 *
 * Leaving OK starts an episode; every notice of it (alert, renotify, recovery) carries the dedupe key
 * `<rule id>:<episode start ms>`. Returning to OK sends a recovery notice and ends the episode.
 */
import type { AlertRule, AlertState, NotificationKind, NotificationPayload, Operator, RuleStatus } from './types.js';

export type MetricReading = { value: number | null } | { error: string };

export interface Transition {
  from: AlertState;
  to: AlertState;
  value: number | null;
  message: string;
}

export interface Evaluation {
  status: RuleStatus;
  transition: Transition | null;
  notification: NotificationPayload | null;
}

export function breaches(value: number, operator: Operator, level: number): boolean {
  switch (operator) {
    case '>':
      return value > level;
    case '>=':
      return value >= level;
    case '<':
      return value < level;
    case '<=':
      return value <= level;
  }
}

export function targetState(rule: Pick<AlertRule, 'operator' | 'threshold' | 'warning' | 'no_data' | 'state'>, value: number | null): AlertState {
  if (value === null) {
    switch (rule.no_data) {
      case 'no_data':
        return 'NO_DATA';
      case 'ok':
        return 'OK';
      case 'alert':
        return 'ALERT';
      case 'keep':
        return rule.state;
    }
  }
  if (breaches(value, rule.operator, rule.threshold)) return 'ALERT';
  if (rule.warning !== null && breaches(value, rule.operator, rule.warning)) return 'WARNING';
  return 'OK';
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

export function describeFilters(filters: object): string {
  const parts = Object.entries(filters)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`);
  return parts.length ? ` for ${parts.join(', ')}` : '';
}

/** The human sentence for a rule in `state` with `value`. */
export function describe(rule: AlertRule, state: AlertState, value: number | null): string {
  const subject = `${rule.metric}${describeFilters(rule.filters)} over the last ${rule.window_s} s`;
  const alertAt = `alert at ${rule.operator} ${formatNumber(rule.threshold)}`;
  if (value === null) return `no data for ${subject} (no_data policy: ${rule.no_data})`;
  const v = `${subject} is ${formatNumber(value)}`;
  if (state === 'ALERT') return `${v}, which is ${rule.operator} ${formatNumber(rule.threshold)} (alert threshold)`;
  if (state === 'WARNING') return `${v}, which is ${rule.operator} ${formatNumber(rule.warning!)} (warning level; ${alertAt})`;
  if (state === 'OK') return `${v}: within limits (${alertAt})`;
  return `${v} (state ${state})`;
}

export function buildPayload(
  rule: AlertRule,
  kind: NotificationKind,
  state: AlertState,
  previous: AlertState | null,
  value: number | null,
  message: string,
  episodeStart: number,
  now: number,
): NotificationPayload {
  const title =
    kind === 'recovery' ? `[RECOVERED] ${rule.name}` : kind === 'renotify' ? `[STILL ${state}] ${rule.name}` : `[${state}] ${rule.name}`;
  return {
    version: 1,
    kind,
    dedupe_key: `${rule.id}:${episodeStart}`,
    rule: {
      id: rule.id,
      name: rule.name,
      metric: rule.metric,
      filters: rule.filters,
      window_s: rule.window_s,
      operator: rule.operator,
      warning: rule.warning,
      threshold: rule.threshold,
    },
    state,
    previous_state: previous,
    value,
    title,
    message,
    details: null,
    at: new Date(now).toISOString(),
  };
}

export function evaluateRule(rule: AlertRule, reading: MetricReading, now: number): Evaluation {
  const base: RuleStatus = {
    state: rule.state,
    state_since: rule.state_since,
    episode_start: rule.episode_start,
    last_value: rule.last_value,
    last_evaluated_at: now,
    last_notified_at: rule.last_notified_at,
    last_error: null,
  };
  if ('error' in reading) return { status: { ...base, last_error: reading.error }, transition: null, notification: null };

  const value = reading.value;
  const to = targetState(rule, value);
  const from = rule.state;
  const status: RuleStatus = { ...base, last_value: value };

  if (to !== from) {
    const episodeStart = from === 'OK' ? now : (rule.episode_start ?? rule.state_since);
    const message = to === 'OK' && value === null ? `no data for ${rule.metric} over the last ${rule.window_s} s (no_data policy: ok)` : describe(rule, to, value);
    const kind: NotificationKind = to === 'OK' ? 'recovery' : 'alert';
    status.state = to;
    status.state_since = now;
    status.episode_start = to === 'OK' ? null : episodeStart;
    status.last_notified_at = now;
    return {
      status,
      transition: { from, to, value, message },
      notification: buildPayload(rule, kind, to, from, value, message, episodeStart, now),
    };
  }

  if (from !== 'OK' && rule.renotify_s > 0) {
    const last = rule.last_notified_at ?? rule.state_since;
    if (now - last >= rule.renotify_s * 1000) {
      const since = new Date(rule.state_since).toISOString();
      const message = `still ${from} since ${since}: ${describe(rule, from, value)}`;
      status.last_notified_at = now;
      const episodeStart = rule.episode_start ?? rule.state_since;
      return { status, transition: null, notification: buildPayload(rule, 'renotify', from, from, value, message, episodeStart, now) };
    }
  }
  return { status, transition: null, notification: null };
}
