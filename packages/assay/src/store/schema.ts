/** Kysely table types: one place that says what is in the database. */

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
  created_at: number;
  revoked_at: number | null;
}

export interface ObservationsTable {
  id: string;
  trace_id: string;
  parent_id: string | null;
  project_id: string;
  type: string;
  name: string;
  start_time: number;
  end_time: number | null;
  status: string;
  status_code: number | null;
  error: string | null;
  model: string | null;
  route: string | null;
  provider: string | null;
  key_id: string | null;
  user_id: string | null;
  session_id: string | null;
  tags: JsonColumn;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  usage: JsonColumn;
  cost: number | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  input: JsonColumn;
  output: JsonColumn;
  metadata: JsonColumn;
}

export interface Database {
  api_keys: ApiKeysTable;
  observations: ObservationsTable;
}
