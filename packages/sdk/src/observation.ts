/**
 * An observation in progress: a thin handle over one OpenTelemetry span that knows Assay's fields.
 * Instrumentation never throws into the app: bad values are serialized, never rejected.
 */
import { SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import {
  ATTR, LEVELS, attributeValue, flatten, normalizeUsage, serialize, usageAttributes,
  type Level, type ObservationType, type Usage,
} from './attributes.js';

/** Fields you can set on an observation while it runs (`obs.update({...})`). */
export interface ObservationUpdate {
  input?: unknown;
  output?: unknown;
  /** Merged key by key; each top-level key becomes a filterable attribute. */
  metadata?: Record<string, unknown>;
  level?: Level;
  statusMessage?: string;
  /** Generations: the model that answered. */
  model?: string;
  /** Generations: token usage, in the SDK's shape or as the provider returned it (OpenAI, Anthropic). */
  usage?: Usage | Record<string, unknown>;
  /** Generations: sampling parameters (temperature, max_tokens, top_p …). */
  modelParameters?: Record<string, unknown>;
  /** Generations: when the first token arrived (a Date or epoch ms), for time to first token. */
  completionStartTime?: Date | number;
}

/** Trace-level fields. They apply to every observation started inside the scope that sets them. */
export interface TraceAttributes {
  name?: string;
  userId?: string;
  sessionId?: string;
  tags?: string[];
  metadata?: Record<string, unknown>;
  /** The trace's input and output (set once, on the observation where you pass them). */
  input?: unknown;
  output?: unknown;
}

const PARAMETER_ATTRS: Record<string, string> = {
  temperature: 'gen_ai.request.temperature',
  max_tokens: 'gen_ai.request.max_tokens',
  max_completion_tokens: 'gen_ai.request.max_tokens',
  top_p: 'gen_ai.request.top_p',
  top_k: 'gen_ai.request.top_k',
  frequency_penalty: 'gen_ai.request.frequency_penalty',
  presence_penalty: 'gen_ai.request.presence_penalty',
  seed: 'gen_ai.request.seed',
  n: 'gen_ai.request.choice.count',
  stop: 'gen_ai.request.stop_sequences',
};

/** Attributes for the trace-level fields that propagate (not input/output, which are set once). */
export function traceAttributes(t: TraceAttributes): Attributes {
  const out: Attributes = {};
  if (t.name !== undefined) out[ATTR.traceName] = t.name;
  if (t.userId !== undefined) out[ATTR.userId] = t.userId;
  if (t.sessionId !== undefined) out[ATTR.sessionId] = t.sessionId;
  if (t.tags !== undefined && t.tags.length > 0) out[ATTR.traceTags] = [...new Set(t.tags.map(String))];
  Object.assign(out, flatten(ATTR.traceMetadata, t.metadata));
  return out;
}

export class Observation {
  readonly type: ObservationType;
  /** @internal set when the caller provided the output, so the return value does not replace it. */
  outputSet = false;
  private readonly startedAt = performance.now();
  private ended = false;

  constructor(
    private readonly span: Span,
    type: ObservationType,
    private readonly onEnd: () => void,
  ) {
    this.type = type;
  }

  /** The span id (16 hex characters): the observation id in Assay. */
  get id(): string {
    return this.span.spanContext().spanId;
  }

  /** The trace id (32 hex characters). */
  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  update(fields: ObservationUpdate): this {
    if (this.ended) return this;
    const a: Attributes = {};
    if (fields.input !== undefined) a[ATTR.input] = serialize(fields.input);
    if (fields.output !== undefined) {
      a[ATTR.output] = serialize(fields.output);
      this.outputSet = true;
    }
    Object.assign(a, flatten(ATTR.metadata, fields.metadata));
    if (fields.level !== undefined && LEVELS.includes(fields.level)) a[ATTR.level] = fields.level;
    if (fields.statusMessage !== undefined) a[ATTR.statusMessage] = fields.statusMessage;
    if (fields.model !== undefined) a[ATTR.responseModel] = fields.model;
    if (fields.modelParameters !== undefined) {
      a[ATTR.modelParameters] = serialize(fields.modelParameters);
      for (const [k, v] of Object.entries(fields.modelParameters)) {
        const key = PARAMETER_ATTRS[k];
        const value = k === 'stop' && typeof v === 'string' ? [v] : attributeValue(v);
        if (key && value !== undefined) a[key] = value;
      }
    }
    if (fields.usage !== undefined) {
      const usage = normalizeUsage(fields.usage);
      // Token counts belong to model calls only; on other observations they would be counted twice.
      if (this.type === 'generation' || this.type === 'embedding') Object.assign(a, usageAttributes(usage));
      else a[`${ATTR.metadata}.usage`] = serialize(usage);
    }
    if (fields.completionStartTime !== undefined) {
      const t = fields.completionStartTime instanceof Date ? fields.completionStartTime.getTime() : fields.completionStartTime;
      const startMs = this.startEpochMs();
      if (Number.isFinite(t) && t >= startMs) a[ATTR.timeToFirstChunk] = (t - startMs) / 1000;
    }
    this.span.setAttributes(a);
    if (fields.level === 'ERROR') this.span.setStatus({ code: SpanStatusCode.ERROR, message: fields.statusMessage });
    return this;
  }

  /** Sets trace-level fields (user, session, tags, metadata, name, input, output) on this observation. */
  updateTrace(t: TraceAttributes): this {
    if (this.ended) return this;
    const a = traceAttributes(t);
    if (t.input !== undefined) a[ATTR.traceInput] = serialize(t.input);
    if (t.output !== undefined) a[ATTR.traceOutput] = serialize(t.output);
    this.span.setAttributes(a);
    return this;
  }

  /** @internal raw attributes, for integrations. */
  setAttributes(a: Attributes): this {
    if (!this.ended) this.span.setAttributes(a);
    return this;
  }

  /** @internal records time to first chunk, measured now. */
  markFirstChunk(): void {
    if (!this.ended) this.span.setAttribute(ATTR.timeToFirstChunk, (performance.now() - this.startedAt) / 1000);
  }

  /** @internal marks the observation failed with the error's message. */
  fail(err: unknown): this {
    if (this.ended) return this;
    const e = err as { message?: unknown; name?: unknown; status?: unknown; constructor?: { name?: string } };
    const message = typeof e?.message === 'string' ? e.message : serialize(err);
    const errorType = typeof e?.name === 'string' && e.name !== 'Error' ? e.name : e?.constructor?.name ?? 'Error';
    this.span.setAttributes({ [ATTR.level]: 'ERROR', [ATTR.statusMessage]: message, [ATTR.errorType]: errorType });
    if (typeof e?.status === 'number') this.span.setAttribute('http.response.status_code', e.status);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    return this;
  }

  /** @internal ends the span (once). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end();
    this.onEnd();
  }

  private startEpochMs(): number {
    return performance.timeOrigin + this.startedAt;
  }
}
