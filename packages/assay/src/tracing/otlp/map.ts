/**
 * Normalised OTLP spans → Assay observations and scores. Each span becomes one observation whose
 * fields come from whichever convention the sender used (conventions.ts; `langfuse.*` wins); every
 * attribute that maps to nothing is kept in metadata.attributes. Trace-level fields (user, session,
 * tags, environment, release, trace name) found on any span of a trace are copied to the trace's
 * other spans in the same request, and `gen_ai.evaluation.result` events become scores.
 */
import type { Observation, ObservationType } from '../span.js';
import type { Score } from '../../store/scores.js';
import { AttrReader, asCount, asNumber, asObject, asString, asTags, maybeJson } from './attrs.js';
import * as C from './conventions.js';
import type { AttrValue, Attributes, OtlpEvent, OtlpSpan } from './decode.js';
import { evaluationScores } from './scores.js';

export interface IngestKey {
  id: string;
  project_id: string;
}

export interface MappedTraces {
  observations: Observation[];
  scores: Score[];
}

export function mapSpans(spans: readonly OtlpSpan[], key: IngestKey, now = Date.now()): MappedTraces {
  const mapped = spans.map((span) => mapSpan(span, key));
  propagateTraceFields(mapped);
  const scores: Score[] = [];
  for (const m of mapped) scores.push(...evaluationScores(m.span, m.observation, m.evaluationEvents, key, now));
  return { observations: mapped.map((m) => m.observation), scores };
}

interface MappedSpan {
  span: OtlpSpan;
  observation: Observation;
  traceName: string | null;
  evaluationEvents: { index: number; event: OtlpEvent }[];
}

function mapSpan(span: OtlpSpan, key: IngestKey): MappedSpan {
  const a = new AttrReader(span.attributes);
  const resource = new AttrReader(span.resource);
  const vercel = vercelOperation(span, a);
  const type = observationType(span, a, vercel);
  const leaf = C.LEAF_MODEL_TYPES.has(type);
  const metadata: Record<string, unknown> = {};

  // Model and provider.
  const model = a.str(C.MODEL_KEYS);
  let provider = a.str(C.PROVIDER_KEYS);
  if (provider && vercel) provider = provider.split('.')[0];

  // Usage: token columns only on leaf model calls; roll-ups keep it in metadata.usage.
  const usage = readUsage(a);
  // Cost reported by the sender.
  const cost = readCost(a);

  // Status and level.
  const levelRaw = a.str(C.LEVEL_KEYS)?.toUpperCase() ?? null;
  const level = levelRaw ?? (span.statusCode === 2 ? 'ERROR' : null);
  const failed = span.statusCode === 2 || level === 'ERROR';
  let error: string | null = null;
  if (failed) {
    error = a.str(C.STATUS_MESSAGE_KEYS) ?? (span.statusMessage || null) ?? exceptionMessage(span.events) ?? a.str(['error.type']);
  }

  // Input and output: attributes first, then content events.
  const consumedEvents = new Set<number>();
  let input = readIo(a, C.INPUT_SOURCES);
  let output = readIo(a, C.OUTPUT_SOURCES);
  if (input === undefined || output === undefined) {
    const fromEvents = contentFromEvents(span.events);
    if (input === undefined && fromEvents.input !== undefined) {
      input = fromEvents.input;
      fromEvents.inputEvents.forEach((i) => consumedEvents.add(i));
    }
    if (output === undefined && fromEvents.output !== undefined) {
      output = fromEvents.output;
      fromEvents.outputEvents.forEach((i) => consumedEvents.add(i));
    }
  }

  // Names.
  let name = span.name || 'span';
  if (vercel && vercel in C.VERCEL_ROLLUP_TYPES) name = a.str(['ai.telemetry.functionId']) ?? name;
  if (vercel === 'ai.toolCall') name = a.str(['ai.toolCall.name']) ?? name;
  const traceName = a.str(C.TRACE_NAME_KEYS);

  // Grouping.
  const user = a.str(C.USER_KEYS);
  const session = a.str(C.SESSION_KEYS);
  const tags = new Set<string>();
  for (const k of C.TAG_KEYS) {
    const t = a.pick([k], asTags);
    if (t) t.forEach((x) => tags.add(x));
  }
  const environment = a.str(C.ENVIRONMENT_KEYS) ?? resource.str(C.ENVIRONMENT_KEYS);
  const release = a.str(C.RELEASE_KEYS) ?? resource.str(C.RELEASE_KEYS);
  const promptName = a.str(C.PROMPT_NAME_KEYS);
  const promptVersion = a.pick(C.PROMPT_VERSION_KEYS, (v) => {
    const n = asNumber(v);
    return n !== null && Number.isInteger(n) ? n : null;
  });
  const statusCode = a.pick(C.HTTP_STATUS_KEYS, (v) => {
    const n = asNumber(v);
    return n !== null && Number.isInteger(n) ? n : null;
  });
  const ttft = readTtft(a, span.startMs);

  // Metadata: user-given keys top level, then what Assay adds.
  for (const k of C.METADATA_OBJECT_KEYS) {
    const obj = a.pick([k], asObject);
    if (obj) Object.assign(metadata, obj);
  }
  for (const prefix of C.METADATA_PREFIXES) {
    for (const [rest, value] of a.prefixed(prefix)) {
      metadata[rest] = maybeJson(value);
      a.mark(prefix + rest);
    }
  }
  if (!leaf && usage.any) metadata.usage = usage.usage;
  if (!leaf && cost) metadata.cost_details = cost.details;
  const attributes = a.rest();
  if (Object.keys(attributes).length > 0) metadata.attributes = attributes;
  metadata.resource = span.resource;
  metadata.scope = span.scope;
  metadata.span_kind = C.SPAN_KIND_NAMES[span.kind] ?? String(span.kind);
  const evaluationEvents: MappedSpan['evaluationEvents'] = [];
  const events: unknown[] = [];
  span.events.forEach((event, index) => {
    if (event.name === C.EVALUATION_EVENT) evaluationEvents.push({ index, event });
    else if (!consumedEvents.has(index)) events.push({ name: event.name, time: event.timeMs, attributes: event.attributes });
  });
  if (events.length > 0) metadata.events = events;
  if (span.links.length > 0) {
    metadata.links = span.links.map((l) => ({ trace_id: l.traceId, span_id: l.spanId, attributes: l.attributes }));
  }

  const start = Math.floor(span.startMs);
  const observation: Observation = {
    id: span.spanId,
    trace_id: span.traceId,
    parent_id: span.parentSpanId,
    project_id: key.project_id,
    type,
    name,
    start_time: start,
    end_time: Math.floor(span.endMs),
    status: failed ? 'error' : 'ok',
    status_code: statusCode,
    error,
    model,
    route: null,
    provider,
    key_id: key.id,
    origin: 'ingest',
    user_id: user,
    session_id: session,
    tags: [...tags],
    environment,
    release,
    level,
    prompt_name: promptName,
    prompt_version: promptVersion,
    input_tokens: leaf ? usage.input : null,
    output_tokens: leaf ? usage.output : null,
    total_tokens: leaf ? usage.total : null,
    cached_input_tokens: leaf ? usage.cached : null,
    reasoning_tokens: leaf ? usage.reasoning : null,
    usage: leaf && usage.any ? usage.usage : null,
    cost: leaf && cost ? cost.total : null,
    cost_details: leaf && cost ? cost.details : null,
    price_version: null,
    cache_hit: null,
    latency_ms: Math.round((span.endMs - span.startMs) * 1000) / 1000,
    ttft_ms: ttft,
    input: input ?? null,
    output: output ?? null,
    metadata,
  };
  return { span, observation, traceName, evaluationEvents };
}

/** The Vercel AI SDK operation id (`ai.generateText.doGenerate` …) of an `ai.*` span, else null. */
function vercelOperation(span: OtlpSpan, a: AttrReader): string | null {
  const op = asString(a.peek('ai.operationId') ?? null) ?? (span.name.startsWith('ai.') ? span.name : null);
  if (op && (op in C.VERCEL_LEAF_TYPES || op in C.VERCEL_ROLLUP_TYPES)) return op;
  return null;
}

function observationType(span: OtlpSpan, a: AttrReader, vercel: string | null): ObservationType {
  const table = (keys: string[], types: Record<string, ObservationType>, normalise: (s: string) => string = (s) => s) =>
    a.pick(keys, (v) => {
      const s = asString(v);
      return s === null ? null : (types[normalise(s)] ?? null);
    });
  const fromLangfuse = table(['langfuse.observation.type'], C.LANGFUSE_TYPES, (s) => s.toLowerCase());
  if (fromLangfuse) return fromLangfuse;
  if (vercel) {
    a.mark('ai.operationId');
    return C.VERCEL_LEAF_TYPES[vercel] ?? C.VERCEL_ROLLUP_TYPES[vercel];
  }
  const fromGenai = table(['gen_ai.operation.name'], C.GENAI_OPERATION_TYPES);
  if (fromGenai) return fromGenai;
  const oi = a.str(['openinference.span.kind']);
  if (oi) return C.OPENINFERENCE_TYPES[oi.toUpperCase()] ?? 'span';
  const tl = table(['traceloop.span.kind'], C.TRACELOOP_TYPES, (s) => s.toLowerCase());
  if (tl) return tl;
  const reqType = table(['llm.request.type'], C.LLM_REQUEST_TYPES, (s) => s.toLowerCase());
  if (reqType) return reqType;
  // Langfuse's rule: a span that names a model is a model call.
  if (C.MODEL_KEYS.some((k) => asString(a.peek(k) ?? null) !== null)) return 'generation';
  return 'span';
}

interface Usage {
  any: boolean;
  input: number | null;
  output: number | null;
  total: number | null;
  cached: number | null;
  reasoning: number | null;
  usage: Record<string, unknown>;
}

function readUsage(a: AttrReader): Usage {
  const details = a.pick(['langfuse.observation.usage_details'], asObject);
  const fromDetails = (keys: readonly string[]) => {
    if (!details) return null;
    for (const k of keys) {
      const n = typeof details[k] === 'number' || typeof details[k] === 'string' ? asCount(details[k] as AttrValue) : null;
      if (n !== null) return n;
    }
    return null;
  };
  const input = fromDetails(C.LANGFUSE_USAGE_KEYS.input) ?? a.pick(C.INPUT_TOKEN_KEYS, asCount);
  const output = fromDetails(C.LANGFUSE_USAGE_KEYS.output) ?? a.pick(C.OUTPUT_TOKEN_KEYS, asCount);
  const cached = fromDetails(C.LANGFUSE_USAGE_KEYS.cached) ?? a.pick(C.CACHED_TOKEN_KEYS, asCount);
  const reasoning = fromDetails(C.LANGFUSE_USAGE_KEYS.reasoning) ?? a.pick(C.REASONING_TOKEN_KEYS, asCount);
  const cacheWrite = a.pick(C.CACHE_WRITE_TOKEN_KEYS, asCount);
  let total = fromDetails(C.LANGFUSE_USAGE_KEYS.total) ?? a.pick(C.TOTAL_TOKEN_KEYS, asCount);
  if (total === null && (input !== null || output !== null)) total = (input ?? 0) + (output ?? 0);
  const usage: Record<string, unknown> = details ? { ...details } : {};
  const put = (k: string, v: number | null) => {
    if (v !== null) usage[k] = v;
  };
  if (!details) {
    put('input_tokens', input);
    put('output_tokens', output);
    put('total_tokens', total);
    put('cached_input_tokens', cached);
    put('reasoning_tokens', reasoning);
  }
  put('cache_creation_input_tokens', cacheWrite);
  return { any: Object.keys(usage).length > 0, input, output, total, cached, reasoning, usage };
}

function readCost(a: AttrReader): { total: number; details: Record<string, unknown> } | null {
  const details = a.pick(C.COST_DETAILS_KEYS, asObject);
  if (details) {
    const numbers = Object.entries(details).filter(([k, v]) => k !== 'total' && typeof v === 'number') as [string, number][];
    const total = typeof details.total === 'number' ? details.total : numbers.reduce((s, [, v]) => s + v, 0);
    return { total, details: { ...details, total, source: 'provider' } };
  }
  const total = a.num(C.COST_TOTAL_KEYS);
  if (total === null) return null;
  const out: Record<string, unknown> = {};
  const input = a.num([C.COST_PART_KEYS.input]);
  const output = a.num([C.COST_PART_KEYS.output]);
  if (input !== null) out.input = input;
  if (output !== null) out.output = output;
  return { total, details: { ...out, total, source: 'provider' } };
}

function readTtft(a: AttrReader, startMs: number): number | null {
  const at = a.pick(C.COMPLETION_START_KEYS, (v) => {
    const s = maybeJson(v);
    const t = typeof s === 'number' ? s : typeof s === 'string' ? Date.parse(s) : NaN;
    return Number.isFinite(t) && t >= startMs ? Math.round((t - startMs) * 1000) / 1000 : null;
  });
  if (at !== null) return at;
  const ms = a.num(C.TTFT_MS_KEYS);
  if (ms !== null) return ms;
  const s = a.num(C.TTFT_SECONDS_KEYS);
  return s === null ? null : Math.round(s * 1e6) / 1e3;
}

/** The first input/output source present; `undefined` when none is. */
function readIo(a: AttrReader, sources: readonly C.IoSource[]): unknown {
  for (const source of sources) {
    if ('key' in source) {
      const v = a.peek(source.key);
      if (v === undefined || v === null || v === '') continue;
      a.mark(source.key);
      return maybeJson(v);
    }
    const list = a.indexed(source.indexed);
    if (list) return source.unwrap ? list.map((e) => unwrap(e, source.unwrap!)) : list;
  }
  return undefined;
}

function unwrap(e: unknown, key: string): unknown {
  return typeof e === 'object' && e !== null && key in e ? (e as Record<string, unknown>)[key] : e;
}

/** Input/output carried by content events (legacy GenAI message events and friends). */
function contentFromEvents(events: readonly OtlpEvent[]) {
  const input: unknown[] = [];
  const output: unknown[] = [];
  const inputEvents: number[] = [];
  const outputEvents: number[] = [];
  let single: { input?: unknown; output?: unknown } = {};
  events.forEach((e, i) => {
    const role = C.LEGACY_MESSAGE_EVENTS[e.name];
    if (role) {
      input.push({ role, ...withoutSystem(e.attributes) });
      inputEvents.push(i);
    } else if (e.name === C.LEGACY_CHOICE_EVENT) {
      output.push(withoutSystem(e.attributes));
      outputEvents.push(i);
    } else if ((C.CONTENT_EVENTS as readonly string[]).includes(e.name)) {
      const inp = e.attributes['gen_ai.prompt'] ?? e.attributes['gen_ai.input.messages'];
      const out = e.attributes['gen_ai.completion'] ?? e.attributes['gen_ai.output.messages'];
      if (inp !== undefined && single.input === undefined) {
        single = { ...single, input: maybeJson(inp) };
        inputEvents.push(i);
      }
      if (out !== undefined && single.output === undefined) {
        single = { ...single, output: maybeJson(out) };
        outputEvents.push(i);
      }
    }
  });
  return {
    input: single.input ?? (input.length > 0 ? input : undefined),
    output: single.output ?? (output.length > 0 ? (output.length === 1 ? output[0] : output) : undefined),
    inputEvents,
    outputEvents,
  };
}

function withoutSystem(attrs: Attributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in attrs) if (k !== 'gen_ai.system' && k !== 'gen_ai.provider.name') out[k] = maybeJson(attrs[k]);
  return out;
}

function exceptionMessage(events: readonly OtlpEvent[]): string | null {
  const e = events.find((x) => x.name === 'exception');
  if (!e) return null;
  const type = asString(e.attributes['exception.type'] ?? null);
  const message = asString(e.attributes['exception.message'] ?? null);
  return message ? (type ? `${type}: ${message}` : message) : type;
}

/**
 * Copy trace-level fields to every span of the same trace in this request (as Langfuse propagates
 * them), so filters and metrics by user, session, tag, environment or release see every span.
 */
function propagateTraceFields(mapped: MappedSpan[]): void {
  const traces = new Map<string, { user: string | null; session: string | null; environment: string | null; release: string | null; name: string | null; tags: Set<string> }>();
  for (const { observation: o, traceName } of mapped) {
    let t = traces.get(o.trace_id);
    if (!t) traces.set(o.trace_id, (t = { user: null, session: null, environment: null, release: null, name: null, tags: new Set() }));
    t.user ??= o.user_id;
    t.session ??= o.session_id;
    t.environment ??= o.environment;
    t.release ??= o.release;
    t.name ??= traceName;
    o.tags.forEach((x) => t.tags.add(x));
  }
  for (const { observation: o } of mapped) {
    const t = traces.get(o.trace_id)!;
    o.user_id ??= t.user;
    o.session_id ??= t.session;
    o.environment ??= t.environment;
    o.release ??= t.release;
    if (t.tags.size > o.tags.length) o.tags = [...t.tags];
    if (t.name) {
      o.metadata = { ...o.metadata, trace_name: t.name };
      if (o.parent_id === null && o.name !== t.name) {
        o.metadata.span_name = o.name;
        o.name = t.name;
      }
    }
  }
}
