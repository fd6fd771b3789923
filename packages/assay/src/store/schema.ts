/** Kysely table types: one place that says what is in the database. */
import type { Observation } from '../tracing/span.js';

/** JSON columns are jsonb on PostgreSQL and text on SQLite; repositories encode and decode them. */
export type JsonColumn = unknown;

export interface ApiKeysTable {
  id: string;
  project_id: string;
  name: string;
  /** The key's first characters, for telling keys apart in lists (never enough to use it). */
  prefix: string;
  /** sha256 of the whole key, hex. The key itself is never stored. */
  hash: string;
  scopes: JsonColumn;
  /** Model and route patterns this key may call; null means all. */
  models: JsonColumn;
  /** The key's own policy (keys/policy.ts); null: none. */
  policy: JsonColumn;
  created_at: number;
  revoked_at: number | null;
}

/** The observation row (tracing/span.ts) with its JSON fields as columns. */
export type ObservationJsonField = 'tags' | 'usage' | 'cost_details' | 'input' | 'output' | 'metadata';
export type ObservationsTable = Omit<Observation, ObservationJsonField | 'type' | 'status' | 'origin'> & {
  type: string;
  status: string;
  /** gateway or ingest (migration 014); null for rows written before it. */
  origin: string | null;
} & Record<ObservationJsonField, JsonColumn>;

export interface ScoresTable {
  id: string;
  project_id: string;
  trace_id: string | null;
  observation_id: string | null;
  session_id: string | null;
  name: string;
  /** NUMERIC, CATEGORICAL, BOOLEAN or TEXT. */
  data_type: string;
  /** The number (booleans 0/1); null for categorical and text scores. */
  value: number | null;
  /** The label of a categorical or boolean score, or the text of a text score. */
  string_value: string | null;
  comment: string | null;
  /** Where the score came from: api, sdk, otel, langfuse, annotation, eval, feedback. */
  source: string;
  /** Key id (or annotator) that submitted it. */
  author: string | null;
  config_id: string | null;
  environment: string | null;
  metadata: JsonColumn;
  /** Epoch ms: when the judgement was made. */
  timestamp: number;
  created_at: number;
}

export interface PriceTablesTable {
  version: string;
  project_id: string;
  seq: number;
  note: string | null;
  entries: JsonColumn;
  created_at: number;
}

export interface BudgetsTable {
  id: string;
  project_id: string;
  name: string;
  /** key, user or tag. */
  scope: string;
  /** The key id, user id or tag the budget is for; null = each one separately. */
  subject: string | null;
  /** cost (USD) or tokens. */
  metric: string;
  limit_value: number;
  /** day, week or month (UTC calendar windows). */
  window: string;
  /** block or reroute. */
  action: string;
  reroute_to: string | null;
  channels: JsonColumn;
  enabled: number;
  created_at: number;
  updated_at: number;
}

export interface WebSessionsTable {
  /** sha256 of the cookie token, hex. */
  token_hash: string;
  key_id: string;
  created_at: number;
  expires_at: number;
}

export interface Database {
  api_keys: ApiKeysTable;
  observations: ObservationsTable;
  scores: ScoresTable;
  price_tables: PriceTablesTable;
  budgets: BudgetsTable;
  web_sessions: WebSessionsTable;
  alert_rules: AlertRulesTable;
  alert_events: AlertEventsTable;
  alert_channels: AlertChannelsTable;
  trace_dead_letters: TraceDeadLettersTable;
}

/** A trace row the database refused even alone (tracing/dead-letters.ts). */
export interface TraceDeadLettersTable {
  id: string;
  project_id: string;
  /** observation or score. */
  kind: string;
  /** Where the row came from: gateway, otlp, langfuse or ingest. */
  source: string;
  trace_id: string | null;
  /** The observation's or score's own id. */
  row_id: string | null;
  reason: string;
  /** The row as JSON text, cleaned and cut; null when it could not be stored. */
  payload: string | null;
  created_at: number;
}

/** Alert rules with their current state (alerts/types.ts says what each field means). */
export interface AlertRulesTable {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  metric: string;
  filters: JsonColumn;
  window_s: number;
  /** >, >=, < or <=. */
  operator: string;
  warning: number | null;
  threshold: number;
  /** no_data, ok, alert or keep. */
  no_data: string;
  renotify_s: number;
  channel_ids: JsonColumn;
  enabled: number;
  /** OK, WARNING, ALERT or NO_DATA. */
  state: string;
  state_since: number;
  episode_start: number | null;
  last_value: number | null;
  last_evaluated_at: number | null;
  last_notified_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** One state transition of an alert rule. */
export interface AlertEventsTable {
  id: string;
  project_id: string;
  rule_id: string;
  at: number;
  from_state: string;
  to_state: string;
  value: number | null;
  message: string;
}

/** Notification channels: webhook, slack or email. */
export interface AlertChannelsTable {
  id: string;
  project_id: string;
  name: string;
  type: string;
  config: JsonColumn;
  enabled: number;
  consecutive_failures: number;
  disabled_reason: string | null;
  last_delivery_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}
