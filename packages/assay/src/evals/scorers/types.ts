/**
 * The scorer contract (docs/evals-scorers.md). Assertions keep promptfoo's field names and type
 * names so a promptfoo `assert:` list maps 1:1: `{type, value, threshold, weight, metric, provider,
 * rubricPrompt, config}`, `not-` prefixes, and `assert-set` groups. A compiled assertion turns a
 * ScoreContext (one output plus what is known about its call) into a GradingResult.
 */
import { z } from 'zod';
import type { Embedder } from '../../gateway/embedder.js';
import type { ChatMessage, ResponseFormat } from '../../gateway/types.js';
import type { Sandbox } from '../../sandbox/index.js';
import type { Span } from '../../tracing/span.js';

/** One assertion. `type` may carry a `not-` prefix; `assert` only on `type: 'assert-set'`. */
export interface AssertionSpec {
  type: string;
  value?: unknown;
  threshold?: number;
  /** Default 1. 0 = metric only: its judgment is always counted as a pass (a scorer error is not). */
  weight?: number;
  /** Named score; may use {{vars}}. */
  metric?: string;
  /** Grader model (model-graded types) or embedding model (`similar`) for this assertion. */
  provider?: string;
  /** Replaces the built-in grader prompt (model-graded types). */
  rubricPrompt?: string;
  config?: Record<string, unknown>;
  /** Not supported: Assay scores the output as produced. */
  transform?: never;
  assert?: AssertionSpec[];
}

export type AssertionSetSpec = AssertionSpec & { type: 'assert-set'; assert: AssertionSpec[] };

const UNSUPPORTED: Record<string, string> = {
  transform: 'transform is not supported: assertions score the output as produced (use a javascript assertion to derive values from it)',
  contextTransform: 'contextTransform is not supported',
};

const common = {
  threshold: z.number().optional(),
  weight: z.number().min(0, { message: 'weight must be ≥ 0' }).optional(),
  metric: z.string().min(1).max(200).optional(),
};

/** zod schema of an assertion (recursive through assert-set). Unknown fields are rejected. */
export const assertionSpecSchema: z.ZodType<AssertionSpec> = z.lazy(() =>
  z
    .looseObject({
      type: z.string().min(1, { message: 'type is required' }),
      value: z.unknown().optional(),
      ...common,
      provider: z.string().min(1).optional(),
      rubricPrompt: z.string().min(1).optional(),
      config: z.record(z.string(), z.unknown()).optional(),
      assert: z.array(assertionSpecSchema).optional(),
    })
    .superRefine((spec, ctx) => {
      const allowed = new Set(['type', 'value', 'threshold', 'weight', 'metric', 'provider', 'rubricPrompt', 'config', 'assert']);
      for (const key of Object.keys(spec)) {
        if (allowed.has(key)) continue;
        ctx.addIssue({ code: 'custom', path: [key], message: UNSUPPORTED[key] ?? `unknown assertion field "${key}"` });
      }
      if (spec.type === 'assert-set') {
        if (!spec.assert || spec.assert.length === 0) ctx.addIssue({ code: 'custom', path: ['assert'], message: 'assert-set needs a non-empty assert list' });
        for (const key of ['value', 'provider', 'rubricPrompt', 'config'] as const) {
          if (spec[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `assert-set takes only assert, threshold, weight and metric (not ${key})` });
        }
      } else if (spec.assert !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['assert'], message: 'assert is only allowed on type: assert-set' });
      }
    }),
) as z.ZodType<AssertionSpec>;

/** One output to score, and what is known about the call that produced it. */
export interface ScoreContext {
  output: string;
  /** The item's expected output; templates can use it as {{expected}}. */
  expected?: unknown;
  vars: Record<string, unknown>;
  /** The rendered prompt / input text (the question for `factuality`). */
  prompt?: string;
  latencyMs?: number;
  /** USD; null when the call could not be priced. */
  cost?: number | null;
  toolCalls?: { name: string; arguments: unknown }[];
  finishReason?: string;
  /** Tools offered to the model (for is-valid-openai-tools-call when the assertion names none). */
  tools?: { name: string; parameters?: Record<string, unknown> }[];
}

export interface GradingMetadata {
  renderedGradingPrompt?: string;
  graderOutput?: string;
  graderModel?: string;
  [k: string]: unknown;
}

export interface GradingResult {
  pass: boolean;
  /** 0..1 (for `not-` types: 1 − the positive score). */
  score: number;
  reason: string;
  assertion: AssertionSpec;
  metric?: string;
  /** The scorer or its grader failed (HTTP error, invalid grader JSON, sandbox error …): pass is false. */
  error?: string;
  componentResults?: GradingResult[];
  metadata?: GradingMetadata;
}

/** What a grader call gets: always temperature 0 and a json_schema response format. */
export interface GraderRequest {
  model: string;
  messages: ChatMessage[];
  response_format: ResponseFormat;
  temperature: 0;
}

/**
 * A grader model call; throws on failure (HTTP error, refusal, empty answer). `parent`: the span
 * to trace the call under (the scored run's), when the caller gave one.
 */
export type GradeFn = (req: GraderRequest, opts: { signal?: AbortSignal; parent?: Span }) => Promise<{ content: string; raw: unknown }>;

export interface ScorerDeps {
  grade?: GradeFn;
  embed?: Embedder;
  /** Embedder for an assertion that names its own embedding model in `provider`. */
  embedFor?: (model: string) => Embedder;
  sandbox?: Sandbox;
  /** Grader model when an assertion names no provider. */
  defaultGrader?: string;
}

export interface ScoreOptions {
  signal?: AbortSignal;
  /** Grader and embedding calls are traced under this span (e.g. the experiment run's). */
  parent?: Span;
}

export type CompiledAssertion = (ctx: ScoreContext, opts?: ScoreOptions) => Promise<GradingResult>;

/** What a scorer family returns before negation, weight and bookkeeping are applied. */
export interface RawResult {
  pass: boolean;
  score: number;
  reason: string;
  error?: string;
  metadata?: GradingMetadata;
}

/** Per-call helpers handed to a scorer. */
export interface ScorerEnv {
  /** Template variables: {expected, ...vars}. */
  vars: Record<string, unknown>;
  signal?: AbortSignal;
  parent?: Span;
}

export type Scorer = (ctx: ScoreContext, env: ScorerEnv) => RawResult | Promise<RawResult>;

/** A family's compile step for one base type; throws SpecError for a bad spec. */
export type ScorerFactory = (spec: AssertionSpec, deps: ScorerDeps, base: string) => Scorer;

/** A configuration problem found while compiling; `field` is relative to the assertion. */
export class SpecError extends Error {
  constructor(
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'SpecError';
  }
}
