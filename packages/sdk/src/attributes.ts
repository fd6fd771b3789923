/**
 * The span attributes the SDK emits. Assay's OTLP ingest maps them onto its trace model:
 * `langfuse.*` for observation and trace fields, OpenTelemetry GenAI conventions for model calls.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';

export const ATTR = {
  type: 'langfuse.observation.type',
  input: 'langfuse.observation.input',
  output: 'langfuse.observation.output',
  metadata: 'langfuse.observation.metadata',
  level: 'langfuse.observation.level',
  statusMessage: 'langfuse.observation.status_message',
  modelParameters: 'langfuse.observation.model.parameters',
  traceName: 'langfuse.trace.name',
  traceTags: 'langfuse.trace.tags',
  traceMetadata: 'langfuse.trace.metadata',
  traceInput: 'langfuse.trace.input',
  traceOutput: 'langfuse.trace.output',
  userId: 'user.id',
  sessionId: 'session.id',
  environment: 'langfuse.environment',
  release: 'langfuse.release',
  errorType: 'error.type',
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  finishReasons: 'gen_ai.response.finish_reasons',
  timeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cachedInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  reasoningTokens: 'gen_ai.usage.reasoning.output_tokens',
} as const;

export type ObservationType = 'span' | 'agent' | 'tool' | 'retrieval' | 'generation' | 'embedding' | 'evaluator' | 'event';
export type Level = 'DEBUG' | 'DEFAULT' | 'WARNING' | 'ERROR';

export const OBSERVATION_TYPES: readonly ObservationType[] = ['span', 'agent', 'tool', 'retrieval', 'generation', 'embedding', 'evaluator', 'event'];
export const LEVELS: readonly Level[] = ['DEBUG', 'DEFAULT', 'WARNING', 'ERROR'];

/** Token counts of one model call. `inputTokens` includes cached tokens, `outputTokens` includes reasoning tokens. */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
}

/**
 * A value as an attribute string: strings stay as they are, everything else becomes JSON.
 * Never throws: cycles become "[Circular]", bigints become strings, errors keep name and message.
 */
export function serialize(value: unknown): string {
  if (typeof value === 'string') return value;
  const seen = new WeakSet<object>();
  try {
    const json = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'function' || typeof v === 'symbol') return undefined;
      if (v instanceof Error) return { name: v.name, message: v.message };
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
    return json ?? 'null';
  } catch (err) {
    return `[unserializable: ${(err as Error).message}]`;
  }
}

/** `{a: 1}` under `prefix` → `{"prefix.a": "1"}`: one attribute per top-level key, so each stays filterable. */
export function flatten(prefix: string, values: Record<string, unknown> | undefined): Attributes {
  const out: Attributes = {};
  if (!values) return out;
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    out[`${prefix}.${k}`] = serialize(v);
  }
  return out;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/**
 * Reads usage in the SDK's own shape or as a provider reported it: OpenAI Chat Completions
 * (`prompt_tokens`, `prompt_tokens_details.cached_tokens` …), OpenAI Responses
 * (`input_tokens_details`), Anthropic (`cache_read_input_tokens`).
 */
export function normalizeUsage(raw: unknown): Usage {
  const u = obj(raw);
  const inDetails = obj(u.prompt_tokens_details ?? u.input_tokens_details);
  const outDetails = obj(u.completion_tokens_details ?? u.output_tokens_details);
  const usage: Usage = {
    inputTokens: num(u.inputTokens) ?? num(u.prompt_tokens) ?? num(u.input_tokens),
    outputTokens: num(u.outputTokens) ?? num(u.completion_tokens) ?? num(u.output_tokens),
    cachedInputTokens: num(u.cachedInputTokens) ?? num(inDetails.cached_tokens) ?? num(u.cache_read_input_tokens),
    reasoningTokens: num(u.reasoningTokens) ?? num(outDetails.reasoning_tokens),
  };
  for (const k of Object.keys(usage) as (keyof Usage)[]) if (usage[k] === undefined) delete usage[k];
  return usage;
}

export function usageAttributes(usage: Usage): Attributes {
  const out: Attributes = {};
  if (usage.inputTokens !== undefined) out[ATTR.inputTokens] = usage.inputTokens;
  if (usage.outputTokens !== undefined) out[ATTR.outputTokens] = usage.outputTokens;
  if (usage.cachedInputTokens !== undefined) out[ATTR.cachedInputTokens] = usage.cachedInputTokens;
  if (usage.reasoningTokens !== undefined) out[ATTR.reasoningTokens] = usage.reasoningTokens;
  return out;
}

/** A primitive or array of primitives passes as an attribute value; anything else as JSON. */
export function attributeValue(v: unknown): AttributeValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return serialize(v);
}
