/** Trace, observation, session and score shapes of /api/traces, /api/sessions and /api/scores. */

export interface TraceTotals {
  observations: number;
  errors: number;
  cost: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
}

/** One row of GET /api/traces: the trace's root observation without bodies, plus totals. */
export interface TraceRow {
  trace_id: string;
  id: string;
  type: string;
  name: string;
  start_time: number;
  end_time: number | null;
  status: 'ok' | 'error';
  status_code: number | null;
  error: string | null;
  model: string | null;
  route: string | null;
  provider: string | null;
  key_id: string | null;
  user_id: string | null;
  session_id: string | null;
  tags: string[];
  environment: string | null;
  release: string | null;
  prompt_name: string | null;
  prompt_version: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  cost: number | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  totals?: TraceTotals;
}

export interface Observation extends Omit<TraceRow, 'totals'> {
  parent_id: string | null;
  project_id?: string;
  level: string | null;
  cached_input_tokens: number | null;
  reasoning_tokens: number | null;
  usage: Record<string, unknown> | null;
  cost_details: Record<string, unknown> | null;
  price_version: string | null;
  cache_hit: number | null;
  input: unknown;
  output: unknown;
  metadata: Record<string, unknown> | null;
}

export interface TraceDetail {
  id: string;
  observations: Observation[];
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface SessionRow {
  session_id: string;
  user_id: string | null;
  first_time: number;
  last_time: number;
  traces: number;
  errors: number;
  cost: number | null;
  total_tokens: number | null;
}

export interface Score {
  id: string;
  trace_id: string | null;
  observation_id: string | null;
  session_id: string | null;
  name: string;
  data_type: 'NUMERIC' | 'CATEGORICAL' | 'BOOLEAN' | 'TEXT';
  value: number | null;
  string_value: string | null;
  comment: string | null;
  source: string;
  author: string | null;
  timestamp: number;
}

export interface SessionDetail {
  session_id: string;
  traces: TraceRow[];
  truncated: boolean;
  scores: Score[];
}

export function scoreValue(s: Score): string {
  if (s.data_type === 'NUMERIC' && s.value !== null) return String(Math.round(s.value * 1000) / 1000);
  return s.string_value ?? (s.value === null ? '—' : String(s.value));
}

/** The react-query key of one trace, shared by the trace and session pages (one fetch, one cache). */
export const traceKey = (id: string) => ['trace', id] as const;
export const tracePath = (id: string) => `/api/traces/${encodeURIComponent(id)}`;

/** "gpt-4o-mini via smart" style label of what was called. */
export function callLabel(r: Pick<TraceRow, 'model' | 'route'>): string {
  if (r.route && r.model) return `${r.route} → ${r.model}`;
  return r.route ?? r.model ?? '';
}
