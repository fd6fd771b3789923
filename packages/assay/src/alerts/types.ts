/**
 * Alert rules, their state, notification channels and the payload every channel receives.
 * A rule watches one metric over a sliding window; its state machine lives in evaluate.ts.
 */
import type { MetricFilters, MetricName } from '../metrics/service.js';

export const OPERATORS = ['>', '>=', '<', '<='] as const;
export type Operator = (typeof OPERATORS)[number];

export const ALERT_STATES = ['OK', 'WARNING', 'ALERT', 'NO_DATA'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** What a rule does when the metric has no data in its window. */
export const NO_DATA_POLICIES = ['no_data', 'ok', 'alert', 'keep'] as const;
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];

export const CHANNEL_TYPES = ['webhook', 'slack', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** Deliveries that fail in a row before a channel is disabled. */
export const MAX_CONSECUTIVE_FAILURES = 5;

/** What a user defines. */
export interface RuleDefinition {
  name: string;
  description: string | null;
  metric: MetricName;
  filters: MetricFilters;
  window_s: number;
  operator: Operator;
  /** Optional lower level (in the operator's direction) that puts the rule in WARNING. */
  warning: number | null;
  /** The level that puts the rule in ALERT. */
  threshold: number;
  no_data: NoDataPolicy;
  /** Re-send while not OK every this many seconds; 0 = never. */
  renotify_s: number;
  channel_ids: string[];
  enabled: boolean;
}

/** Where the rule is now: kept with the rule, changed only by evaluations. */
export interface RuleStatus {
  state: AlertState;
  /** Epoch ms when the rule entered `state`. */
  state_since: number;
  /** Epoch ms when the current non-OK episode started (OK → anything else); null while OK. */
  episode_start: number | null;
  last_value: number | null;
  last_evaluated_at: number | null;
  last_notified_at: number | null;
  /** The last evaluation's error (the metric could not be read), cleared by a successful one. */
  last_error: string | null;
}

export interface AlertRule extends RuleDefinition, RuleStatus {
  id: string;
  project_id: string;
  created_at: number;
  updated_at: number;
}

/** One transition, kept as history. */
export interface AlertEvent {
  id: string;
  project_id: string;
  rule_id: string;
  at: number;
  from_state: AlertState;
  to_state: AlertState;
  value: number | null;
  message: string;
}

export interface WebhookConfig {
  url: string;
  /** HMAC-SHA256 key for x-assay-signature. */
  secret: string;
  /** Extra request headers (e.g. an auth token for the receiver). */
  headers?: Record<string, string>;
}
export interface SlackConfig {
  /** A Slack (or compatible: Mattermost, Rocket.Chat, Discord /slack) incoming-webhook URL. */
  url: string;
}
export interface EmailConfig {
  to: string[];
  subject_prefix?: string;
}
export type ChannelConfig = WebhookConfig | SlackConfig | EmailConfig;

export interface Channel {
  id: string;
  project_id: string;
  name: string;
  type: ChannelType;
  config: ChannelConfig;
  enabled: boolean;
  consecutive_failures: number;
  disabled_reason: string | null;
  last_delivery_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export type NotificationKind = 'alert' | 'recovery' | 'renotify' | 'test' | 'budget';

/** The JSON body a webhook receives (version 1); Slack and email render the same fields as text. */
export interface NotificationPayload {
  version: 1;
  kind: NotificationKind;
  /** `<rule id>:<episode start ms>` for rules: every notice of one episode (alert, renotify, recovery) shares it. */
  dedupe_key: string;
  rule: {
    id: string;
    name: string;
    metric: string;
    filters: MetricFilters;
    window_s: number;
    operator: Operator;
    warning: number | null;
    threshold: number;
  } | null;
  state: AlertState;
  previous_state: AlertState | null;
  value: number | null;
  /** One line for humans, e.g. `[ALERT] High error rate`. */
  title: string;
  message: string;
  /** Budget notices: the budget's details (name, scope, spent, limit …); null otherwise. */
  details: Record<string, unknown> | null;
  /** ISO 8601. */
  at: string;
  url?: string;
}

/** The outcome of sending one notification to one channel. */
export interface DeliveryResult {
  channel_id: string;
  channel_name: string | null;
  type: ChannelType | null;
  ok: boolean;
  /** Attempts made (a failed first attempt is retried once); 0 when the channel was skipped. */
  attempts: number;
  /** HTTP status of the last attempt, when there was one. */
  status: number | null;
  error: string | null;
  /** True when this failure disabled the channel. */
  disabled: boolean;
}
