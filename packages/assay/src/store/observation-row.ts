/** How an observation becomes a database row: the column list and the JSON encoding, in one place. */
import type { Observation } from '../tracing/span.js';
import type { ObservationsTable } from './schema.js';
import { toJson, withoutNul } from './json.js';

export const OBSERVATION_COLUMNS = [
  'id', 'trace_id', 'parent_id', 'project_id', 'type', 'name', 'start_time', 'end_time', 'status', 'status_code',
  'error', 'model', 'route', 'provider', 'key_id', 'user_id', 'session_id', 'tags', 'environment', 'release', 'level',
  'prompt_name', 'prompt_version', 'input_tokens', 'output_tokens', 'total_tokens', 'cached_input_tokens',
  'reasoning_tokens', 'usage', 'cost', 'cost_details', 'price_version', 'cache_hit', 'latency_ms', 'ttft_ms', 'input',
  'output', 'metadata', 'origin',
] as const satisfies readonly (keyof ObservationsTable)[];

export function encodeObservation(o: Observation): ObservationsTable {
  return {
    ...o,
    start_time: Math.round(o.start_time),
    end_time: o.end_time === null ? null : Math.round(o.end_time),
    tags: toJson(o.tags),
    usage: toJson(o.usage),
    cost_details: toJson(o.cost_details),
    input: toJson(o.input),
    output: toJson(o.output),
    metadata: toJson(o.metadata),
  };
}

/** Column types, for PostgreSQL's jsonb_to_recordset (the batch insert sends the rows as one JSON document). */
const PG_TYPES: Partial<Record<(typeof OBSERVATION_COLUMNS)[number], string>> = {
  start_time: 'bigint',
  end_time: 'bigint',
  status_code: 'integer',
  prompt_version: 'integer',
  input_tokens: 'integer',
  output_tokens: 'integer',
  total_tokens: 'integer',
  cached_input_tokens: 'integer',
  reasoning_tokens: 'integer',
  cache_hit: 'integer',
  cost: 'double precision',
  latency_ms: 'double precision',
  ttft_ms: 'double precision',
  tags: 'jsonb',
  usage: 'jsonb',
  cost_details: 'jsonb',
  input: 'jsonb',
  output: 'jsonb',
  metadata: 'jsonb',
};

/** `insert … select … from jsonb_to_recordset($1)`: one statement and one parameter for a whole batch. */
export function postgresBatchInsert(onConflict: 'ignore' | 'replace'): string {
  const cols = OBSERVATION_COLUMNS.join(', ');
  const defs = OBSERVATION_COLUMNS.map((c) => `${c} ${PG_TYPES[c] ?? 'text'}`).join(', ');
  const updates = OBSERVATION_COLUMNS.filter((c) => c !== 'trace_id' && c !== 'id').map((c) => `${c} = excluded.${c}`);
  const action = onConflict === 'ignore' ? 'do nothing' : `do update set ${updates.join(', ')}`;
  return `insert into observations (${cols}) select ${cols} from jsonb_to_recordset($1::jsonb) as x(${defs}) on conflict (trace_id, id) ${action}`;
}

/** The rows as the JSON document postgresBatchInsert reads (JSON columns as nested values, not text). */
export function postgresBatchJson(rows: readonly Observation[]): string {
  const json = JSON.stringify(
    rows.map((o) => ({ ...o, start_time: Math.round(o.start_time), end_time: o.end_time === null ? null : Math.round(o.end_time) })),
  );
  // Rare: only a batch with a NUL somewhere pays for the second pass.
  return json.includes('\\u0000') ? JSON.stringify(withoutNul(JSON.parse(json))) : json;
}
