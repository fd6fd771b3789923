/**
 * The observation model: one append-only row per span. A Span collects its fields while it runs
 * and is handed to the sink exactly once, when it ends; nothing is updated in place afterwards.
 */
import { performance } from 'node:perf_hooks';
import { newSpanId } from './ids.js';

export type ObservationType =
  | 'span'
  | 'generation'
  | 'embedding'
  | 'tool'
  | 'retrieval'
  | 'agent'
  | 'event'
  | 'evaluator';

export type ObservationStatus = 'ok' | 'error';

export interface Observation {
  id: string;
  trace_id: string;
  parent_id: string | null;
  project_id: string;
  type: ObservationType;
  name: string;
  /** Epoch milliseconds. */
  start_time: number;
  end_time: number | null;
  status: ObservationStatus;
  /** HTTP status of the call or attempt, when there was one. */
  status_code: number | null;
  error: string | null;
  model: string | null;
  route: string | null;
  provider: string | null;
  key_id: string | null;
  /** Who wrote the row: the gateway (a /v1 call) or ingest (OTLP, Langfuse); null before migration 014. */
  origin: 'gateway' | 'ingest' | null;
  user_id: string | null;
  session_id: string | null;
  tags: string[];
  /** Deployment environment (production, staging …) and app release, from ingest or headers. */
  environment: string | null;
  release: string | null;
  /** DEBUG, DEFAULT, WARNING or ERROR (Langfuse levels); null means DEFAULT. */
  level: string | null;
  /** The prompt (registry name and version) that produced this generation. */
  prompt_name: string | null;
  prompt_version: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  /** Input tokens read from the provider's prompt cache, and reasoning tokens (part of output). */
  cached_input_tokens: number | null;
  reasoning_tokens: number | null;
  usage: Record<string, unknown> | null;
  /** Total cost in USD: provider-reported when the provider said so, else computed from the price table. */
  cost: number | null;
  /** {input, output, cached_input, reasoning, total, source: 'provider' | 'computed'}. */
  cost_details: Record<string, unknown> | null;
  /** Version of the price table the cost was computed with (null when provider-reported or unpriced). */
  price_version: string | null;
  /** 1 when the answer came from a cache, 0 when a cache was asked and missed, null when no cache. */
  cache_hit: number | null;
  /** Wall time in milliseconds, sub-millisecond precision. */
  latency_ms: number | null;
  /** Time to first token for streams, in milliseconds. */
  ttft_ms: number | null;
  input: unknown;
  output: unknown;
  metadata: Record<string, unknown> | null;
}

export interface ObservationSink {
  record(observation: Observation): void;
}

export type ObservationFields = Partial<Omit<Observation, 'id' | 'trace_id' | 'parent_id' | 'project_id'>>;

export function emptyObservation(
  base: Pick<Observation, 'trace_id' | 'type' | 'name'> & Partial<Observation>,
): Observation {
  return {
    id: newSpanId(),
    parent_id: null,
    project_id: 'default',
    start_time: Date.now(),
    end_time: null,
    status: 'ok',
    status_code: null,
    error: null,
    model: null,
    route: null,
    provider: null,
    key_id: null,
    origin: 'gateway',
    user_id: null,
    session_id: null,
    tags: [],
    environment: null,
    release: null,
    level: null,
    prompt_name: null,
    prompt_version: null,
    input_tokens: null,
    output_tokens: null,
    total_tokens: null,
    cached_input_tokens: null,
    reasoning_tokens: null,
    usage: null,
    cost: null,
    cost_details: null,
    price_version: null,
    cache_hit: null,
    latency_ms: null,
    ttft_ms: null,
    input: null,
    output: null,
    metadata: null,
    ...base,
  };
}

export class Span {
  readonly observation: Observation;
  private readonly t0 = performance.now();
  private ended = false;

  constructor(
    private readonly sink: ObservationSink,
    observation: Observation,
  ) {
    this.observation = observation;
  }

  get id(): string {
    return this.observation.id;
  }

  get traceId(): string {
    return this.observation.trace_id;
  }

  /** Milliseconds since the span started. */
  elapsed(): number {
    return performance.now() - this.t0;
  }

  set(fields: ObservationFields): this {
    Object.assign(this.observation, fields);
    return this;
  }

  /** Merge keys into the span's metadata. */
  meta(fields: Record<string, unknown>): this {
    this.observation.metadata = { ...(this.observation.metadata ?? {}), ...fields };
    return this;
  }

  child(type: ObservationType, name: string, fields: ObservationFields = {}): Span {
    return new Span(
      this.sink,
      emptyObservation({
        trace_id: this.observation.trace_id,
        parent_id: this.observation.id,
        project_id: this.observation.project_id,
        key_id: this.observation.key_id,
        type,
        name,
        ...fields,
      }),
    );
  }

  /**
   * For a layer that makes its call in child spans (tool loop, verification): takes the route,
   * model and provider the router set on `child`, where this span has none, so the call's span
   * names what answered (and is priced by it).
   */
  adoptTarget(child: Span): this {
    const c = child.observation;
    const o = this.observation;
    if (o.route === null && c.route !== null) o.route = c.route;
    if (o.model === null && c.model !== null) {
      o.model = c.model;
      o.provider = c.provider;
    }
    return this;
  }

  fail(err: { message: string; status?: number }): this {
    return this.set({ status: 'error', error: err.message, status_code: err.status ?? this.observation.status_code });
  }

  /** Record the span. Idempotent: a span is written once. */
  end(fields: ObservationFields = {}): void {
    if (this.ended) return;
    this.ended = true;
    Object.assign(this.observation, fields);
    this.observation.latency_ms ??= Math.round(this.elapsed() * 1000) / 1000;
    this.observation.end_time ??= this.observation.start_time + Math.round(this.observation.latency_ms);
    this.sink.record(this.observation);
  }

  get isEnded(): boolean {
    return this.ended;
  }
}
