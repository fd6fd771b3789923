/**
 * The Langfuse batch ingestion wire format (`POST /api/public/ingestion`), as zod schemas. Source:
 * langfuse/langfuse fern/apis/server/definition/ingestion.yml. Unknown fields are tolerated (SDKs add
 * them over time); known fields are type-checked so a bad event gets a 400 naming the field.
 * `null` counts as "not sent" everywhere, as in Langfuse.
 */
import { z } from 'zod';
import { formatPath } from '../../config/load.js';

export const EVENT_TYPES = [
  'trace-create',
  'span-create',
  'span-update',
  'generation-create',
  'generation-update',
  'event-create',
  'score-create',
  'sdk-log',
  'observation-create',
  'observation-update',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An ISO 8601 date (or epoch milliseconds) → epoch ms. */
const time = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a date: use ISO 8601 such as 2026-01-31T12:00:00.000Z` });
    return z.NEVER;
  }
  return n;
});

const id = z.string().min(1, { message: 'cannot be empty' }).max(512);
const opt = <T extends z.ZodType>(s: T) => s.nullish().transform((v) => v ?? undefined);
const text = z.string().max(10_000);
const count = z.number().finite().nonnegative({ message: 'must be a non-negative number' });
const money = z.number().finite().nonnegative({ message: 'must be a non-negative number (USD)' });

export const LEVELS = ['DEBUG', 'DEFAULT', 'WARNING', 'ERROR'] as const;

/** Legacy `usage`: Langfuse's {input, output, total, unit, *Cost} or OpenAI's {promptTokens …}/{prompt_tokens …}. */
export const usageSchema = z.looseObject({
  input: opt(count),
  output: opt(count),
  total: opt(count),
  unit: opt(z.string()),
  inputCost: opt(money),
  outputCost: opt(money),
  totalCost: opt(money),
  promptTokens: opt(count),
  completionTokens: opt(count),
  totalTokens: opt(count),
  prompt_tokens: opt(count),
  completion_tokens: opt(count),
  total_tokens: opt(count),
});
export type LangfuseUsage = Partial<z.infer<typeof usageSchema>>;

/** `usageDetails`: a flat {key: count} map, or OpenAI's completion/response usage with nested details. */
export const usageDetailsSchema = z.record(z.string(), z.union([count, z.record(z.string(), count.nullable()), z.null()]), {
  message: 'must be an object of token counts such as {"input": 10, "output": 5}',
});
export type LangfuseUsageDetails = z.infer<typeof usageDetailsSchema>;

export const costDetailsSchema = z.record(z.string(), money.nullable(), {
  message: 'must be an object of USD amounts such as {"input": 0.001, "output": 0.002, "total": 0.003}',
});

const observationFields = {
  id: opt(id),
  traceId: opt(id),
  parentObservationId: opt(id),
  name: opt(z.string().max(1000)),
  startTime: opt(time),
  endTime: opt(time),
  completionStartTime: opt(time),
  metadata: z.unknown().optional(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  level: opt(z.enum(LEVELS, { message: `must be one of ${LEVELS.join(', ')}` })),
  statusMessage: opt(text),
  version: opt(z.string().max(1000)),
  environment: opt(z.string().max(200)),
  model: opt(z.string().max(1000)),
  modelParameters: opt(z.record(z.string(), z.unknown(), { message: 'must be an object such as {"temperature": 0.2}' })),
  usage: opt(usageSchema),
  usageDetails: opt(usageDetailsSchema),
  costDetails: opt(costDetailsSchema),
  promptName: opt(z.string().max(1000)),
  promptVersion: opt(z.number().int({ message: 'must be an integer' })),
};

export const observationBodySchema = z.looseObject(observationFields);
export type ObservationBody = z.infer<typeof observationBodySchema>;

/** Legacy observation-create/-update carry the kind in `type`; newer Langfuse versions added more kinds. */
export const LEGACY_TYPES = ['SPAN', 'GENERATION', 'EVENT', 'AGENT', 'TOOL', 'CHAIN', 'RETRIEVER', 'EVALUATOR', 'EMBEDDING', 'GUARDRAIL'] as const;
export const legacyObservationBodySchema = z.looseObject({
  ...observationFields,
  type: z.enum(LEGACY_TYPES, { message: `is required: one of ${LEGACY_TYPES.join(', ')}` }),
});
export type LegacyObservationBody = z.infer<typeof legacyObservationBodySchema>;

export const traceBodySchema = z.looseObject({
  id: opt(id),
  timestamp: opt(time),
  name: opt(z.string().max(1000)),
  userId: opt(z.string().max(1000)),
  sessionId: opt(z.string().max(1000)),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  release: opt(z.string().max(1000)),
  version: opt(z.string().max(1000)),
  environment: opt(z.string().max(200)),
  metadata: z.unknown().optional(),
  tags: opt(z.array(z.string().max(1000), { message: 'must be an array of strings' }).max(200)),
  public: opt(z.boolean()),
});
export type TraceBody = z.infer<typeof traceBodySchema>;

export const SCORE_TYPES = ['NUMERIC', 'CATEGORICAL', 'BOOLEAN'] as const;
export const scoreBodySchema = z.looseObject({
  id: opt(id),
  traceId: opt(id),
  observationId: opt(id),
  sessionId: opt(id),
  datasetRunId: opt(id),
  name: z.string({ message: 'is required (e.g. "helpfulness")' }).min(1, { message: 'cannot be empty' }).max(1000),
  value: z.union([z.number().finite(), z.string().max(10_000), z.boolean()], { message: 'is required: a number, a string or a boolean' }),
  dataType: opt(z.enum(SCORE_TYPES, { message: `must be one of ${SCORE_TYPES.join(', ')}` })),
  comment: opt(text),
  configId: opt(id),
  metadata: z.unknown().optional(),
  environment: opt(z.string().max(200)),
  timestamp: opt(time),
});
export type ScoreBody = z.infer<typeof scoreBodySchema>;

/** The envelope of one event. */
export const envelopeSchema = z.looseObject({
  id: z.string({ message: 'is required: a unique event id (string)' }).min(1, { message: 'cannot be empty' }).max(512),
  type: z.string({ message: `is required: one of ${EVENT_TYPES.join(', ')}` }),
  timestamp: opt(time),
  body: z.record(z.string(), z.unknown(), { message: 'is required: a JSON object' }),
  metadata: z.unknown().optional(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** Parse or throw an Error whose message names the fields (prefix is the path of `value`, e.g. "body"). */
export function parseOrExplain<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 5);
  throw new EventError(issues.map((i) => `${formatPath([prefix, ...i.path])}: ${i.message}`).join('; '));
}

/** A problem with one event: reported as a 400 entry in the 207 answer. */
export class EventError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'EventError';
  }
}
