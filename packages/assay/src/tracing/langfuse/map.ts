/**
 * One Langfuse event → a patch on one observation (trace-create patches the trace's root
 * observation, whose id is the trace id), or → a Score. Patches are applied in merge.ts.
 */
import type { Score } from '../../store/scores.js';
import { newSpanId, newTraceId } from '../ids.js';
import type { Observation, ObservationType } from '../span.js';
import {
  EventError,
  legacyObservationBodySchema,
  observationBodySchema,
  parseOrExplain,
  scoreBodySchema,
  traceBodySchema,
  type LegacyObservationBody,
  type ObservationBody,
} from './schemas.js';
import { flatUsage, providerCost, type FlatUsage } from './usage.js';

/** Fields an event sets on an observation; `undefined` means "not sent, keep what is stored". */
export interface ObservationPatch {
  id: string;
  trace_id: string;
  /** The type a new row gets; the type of a stored row never changes. */
  type: ObservationType;
  /** trace-create: the trace's root observation. */
  root: boolean;
  /** A create event (trace-create, *-create), as opposed to an update. */
  create: boolean;
  /** Explicit parent (parentObservationId); undefined = keep, or the default for a new row. */
  parent_id?: string | null;
  /** The parent a new row gets when no event names one. */
  default_parent: string | null;
  /** Set by the first write; afterwards only an earlier start from a create event replaces it (see merge.ts). */
  start_time?: number;
  /** The envelope timestamp: the start of a row created by an event without a start time. */
  fallback_time: number;
  set: Partial<Omit<Observation, 'metadata' | 'tags' | 'usage' | 'id' | 'trace_id' | 'type' | 'start_time'>>;
  metadata?: Record<string, unknown>;
  tags?: string[];
  usage?: FlatUsage;
  /** Provider-reported cost (costDetails or usage.*Cost). */
  cost?: { cost: number; cost_details: Record<string, unknown> };
  completion_start_time?: number;
}

export interface MapContext {
  projectId: string;
  keyId: string;
  /** Envelope timestamp (epoch ms). */
  timestamp: number;
  /** Trace ids already seen for observation ids earlier in the batch (an update without traceId). */
  traceOf(id: string): string | undefined;
}

/** Non-object metadata is wrapped as {metadata: …} (Langfuse's rule). */
export function wrapMetadata(m: unknown): Record<string, unknown> | undefined {
  if (m === undefined || m === null) return undefined;
  if (typeof m === 'object' && !Array.isArray(m)) return m as Record<string, unknown>;
  return { metadata: m };
}

function withExtras(base: Record<string, unknown> | undefined, extras: Record<string, unknown>): Record<string, unknown> | undefined {
  const defined = Object.entries(extras).filter(([, v]) => v !== undefined);
  if (defined.length === 0) return base;
  return { ...(base ?? {}), ...Object.fromEntries(defined) };
}

/** Drop undefined values so only what the event sent overwrites. */
function sent<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function traceCreatePatch(raw: Record<string, unknown>, ctx: MapContext): ObservationPatch {
  const b = parseOrExplain(traceBodySchema, raw, 'body');
  const id = b.id ?? newTraceId();
  return {
    id,
    trace_id: id,
    type: 'span',
    root: true,
    create: true,
    parent_id: null,
    default_parent: null,
    start_time: b.timestamp,
    fallback_time: ctx.timestamp,
    set: sent({
      name: b.name,
      user_id: b.userId,
      session_id: b.sessionId,
      input: b.input ?? undefined,
      output: b.output ?? undefined,
      release: b.release,
      environment: b.environment,
    }),
    metadata: withExtras(wrapMetadata(b.metadata), { version: b.version, public: b.public }),
    tags: b.tags,
  };
}

const LEGACY_TYPE: Record<LegacyObservationBody['type'], ObservationType> = {
  SPAN: 'span',
  GENERATION: 'generation',
  EVENT: 'event',
  AGENT: 'agent',
  TOOL: 'tool',
  CHAIN: 'span',
  RETRIEVER: 'retrieval',
  EVALUATOR: 'evaluator',
  EMBEDDING: 'embedding',
  GUARDRAIL: 'span',
};

/** Types whose rows carry token columns and cost; the others keep reported usage in metadata. */
export const isModelCall = (t: ObservationType) => t === 'generation' || t === 'embedding';

/**
 * span-*, generation-*, event-create and the legacy observation-* events. `create` events may omit
 * body.id (a new id is made); updates must name the observation they update.
 */
export function observationPatch(eventType: string, raw: Record<string, unknown>, ctx: MapContext): ObservationPatch {
  const legacy = eventType.startsWith('observation-');
  const b: ObservationBody = legacy ? parseOrExplain(legacyObservationBodySchema, raw, 'body') : parseOrExplain(observationBodySchema, raw, 'body');
  const type: ObservationType = legacy
    ? LEGACY_TYPE[(b as LegacyObservationBody).type]
    : eventType.startsWith('generation-')
      ? 'generation'
      : eventType.startsWith('event-')
        ? 'event'
        : 'span';
  const update = eventType.endsWith('-update');
  if (update && !b.id) throw new EventError(`body.id: is required for ${eventType}: the id of the observation to update`);
  const id = b.id ?? newSpanId();
  // Without a traceId an observation is its own trace (Langfuse makes a trace for it as well).
  const traceId = b.traceId ?? ctx.traceOf(id) ?? id;
  const defaultParent = traceId === id ? null : traceId;

  const usage = flatUsage(b.usage, b.usageDetails);
  const cost = providerCost(b.usage, b.costDetails);
  return {
    id,
    trace_id: traceId,
    type,
    root: false,
    create: !update,
    parent_id: b.parentObservationId ?? (update ? undefined : defaultParent),
    default_parent: defaultParent,
    start_time: b.startTime,
    fallback_time: ctx.timestamp,
    set: sent({
      name: b.name,
      end_time: b.endTime,
      model: b.model,
      input: b.input ?? undefined,
      output: b.output ?? undefined,
      level: b.level,
      environment: b.environment,
      prompt_name: b.promptName,
      prompt_version: b.promptVersion,
    }),
    metadata: withExtras(wrapMetadata(b.metadata), {
      model_parameters: b.modelParameters,
      version: b.version,
      status_message: b.statusMessage,
    }),
    usage: usage ?? undefined,
    cost: cost ?? undefined,
    completion_start_time: b.completionStartTime,
  };
}

/** score-create → Score (source 'langfuse', author = the key id). */
export function scoreFromEvent(raw: Record<string, unknown>, envelopeId: string, ctx: MapContext): Score {
  const b = parseOrExplain(scoreBodySchema, raw, 'body');
  if (!b.traceId && !b.observationId && !b.sessionId && !b.datasetRunId) {
    throw new EventError('body.traceId: a score needs traceId (optionally with observationId), sessionId or datasetRunId');
  }
  const v = b.value;
  const dataType = b.dataType ?? (typeof v === 'number' ? 'NUMERIC' : typeof v === 'boolean' ? 'BOOLEAN' : 'CATEGORICAL');
  let value: number | null = null;
  let stringValue: string | null = null;
  if (dataType === 'NUMERIC') {
    if (typeof v !== 'number') throw new EventError(`body.value: ${JSON.stringify(v)} is not a number, but dataType is NUMERIC`);
    value = v;
  } else if (dataType === 'BOOLEAN') {
    const truthy = v === true || v === 1 || v === 'true' || v === 'True';
    const falsy = v === false || v === 0 || v === 'false' || v === 'False';
    if (!truthy && !falsy) throw new EventError(`body.value: ${JSON.stringify(v)} is not a boolean (true/false or 1/0), but dataType is BOOLEAN`);
    value = truthy ? 1 : 0;
    stringValue = String(truthy);
  } else {
    stringValue = String(v);
  }
  const metadata = withExtras(wrapMetadata(b.metadata), { dataset_run_id: b.datasetRunId });
  return {
    id: b.id ?? envelopeId,
    project_id: ctx.projectId,
    trace_id: b.traceId ?? null,
    observation_id: b.observationId ?? null,
    session_id: b.sessionId ?? null,
    name: b.name,
    data_type: dataType,
    value,
    string_value: stringValue,
    comment: b.comment ?? null,
    source: 'langfuse',
    author: ctx.keyId,
    config_id: b.configId ?? null,
    environment: b.environment ?? null,
    metadata: metadata ?? null,
    timestamp: b.timestamp ?? ctx.timestamp,
    created_at: Date.now(),
  };
}
