/** How an observation becomes a database row: the column list and the JSON encoding, in one place. */
import type { Observation } from '../tracing/span.js';
import type { ObservationsTable } from './schema.js';
import { toJson } from './json.js';

export const OBSERVATION_COLUMNS = [
  'id', 'trace_id', 'parent_id', 'project_id', 'type', 'name', 'start_time', 'end_time', 'status', 'status_code',
  'error', 'model', 'route', 'provider', 'key_id', 'user_id', 'session_id', 'tags', 'environment', 'release', 'level',
  'prompt_name', 'prompt_version', 'input_tokens', 'output_tokens', 'total_tokens', 'cached_input_tokens',
  'reasoning_tokens', 'usage', 'cost', 'cost_details', 'price_version', 'cache_hit', 'latency_ms', 'ttft_ms', 'input',
  'output', 'metadata',
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
