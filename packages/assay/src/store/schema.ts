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
  created_at: number;
  revoked_at: number | null;
}

/** The observation row (tracing/span.ts) with its JSON fields as columns. */
export type ObservationJsonField = 'tags' | 'usage' | 'input' | 'output' | 'metadata';
export type ObservationsTable = Omit<Observation, ObservationJsonField | 'type' | 'status'> & {
  type: string;
  status: string;
} & Record<ObservationJsonField, JsonColumn>;

export interface Database {
  api_keys: ApiKeysTable;
  observations: ObservationsTable;
}
