/**
 * The `verify` option (docs/verify.md): one strategy, or a list that nests (`[vote, program]` =
 * vote over program-aided samples), given per route (`routes[].verify`) or per call
 * (`assay.verify`, which replaces the route's; `false` turns it off). A strategy name alone is
 * shorthand for its defaults. `budget`, `on_fail` and `required` belong to the outermost strategy.
 */
import { z } from 'zod';
import { regexSource } from '../config/regex.js';
import { compileTest } from '../evals/scorers/grade.js';
import { compileAssertion } from '../evals/scorers/registry.js';
import { assertionSpecSchema, type AssertionSpec, type ScorerDeps } from '../evals/scorers/types.js';

export const STRATEGIES = ['schema', 'vote', 'program', 'check', 'judge'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** What the client gets when verification does not pass (outermost strategy only). */
export const onFailSchema = z.enum(['abstain', 'error', 'return']);
export type OnFail = z.infer<typeof onFailSchema>;

export const budgetSchema = z.strictObject({
  /** Model calls (samples, retries, verifier calls) one verification may make. */
  max_calls: z.number().int().min(1).max(500).default(50),
  /** Tokens (prompt + completion, all calls) one verification may spend. */
  max_tokens: z.number().int().positive().optional(),
  /** Wall-clock time after which no new call starts. */
  timeout_ms: z.number().int().positive().max(3_600_000).optional(),
});
export type VerifyBudget = z.infer<typeof budgetSchema>;

const common = {
  on_fail: onFailSchema.optional(),
  budget: budgetSchema.optional(),
  /** On a route: every call is verified; a call's `assay.verify` may only lower the budget or make on_fail stricter (verify/narrow.ts). */
  required: z.boolean().optional(),
};

const schemaStrategy = z.strictObject({
  strategy: z.literal('schema'),
  ...common,
  /** Retries after the first answer, each with the validation errors fed back. */
  max_retries: z.number().int().min(0).max(10).default(2),
  /** The schema to check when the request has no json_schema response_format. */
  schema: z.record(z.string(), z.unknown()).optional(),
});

/** How vote reads the answer out of a sample. */
export const extractSchema = z.union([
  z.enum(['content', 'last_line']),
  z.strictObject({ json_path: z.string().regex(/^\$(\.[A-Za-z_$][\w$]*|\[\d+\]|\["[^"]*"\])*$/, { message: 'json_path must look like $.answer, $.items[0] or $["a key"]' }) }),
  z.strictObject({ regex: regexSource('extract.regex'), group: z.number().int().min(0).default(1), flags: z.string().regex(/^[imsu]*$/, { message: 'flags may use i, m, s and u' }).optional() }),
  /** Samples agree when this scorer passes with the other sample as `{{expected}}` (e.g. `similar`). */
  z.strictObject({ scorer: assertionSpecSchema }),
]);
export type Extract = z.infer<typeof extractSchema>;

const voteStrategy = z.strictObject({
  strategy: z.literal('vote'),
  ...common,
  samples: z.number().int().min(2).max(25).default(5),
  extract: extractSchema.default('content'),
  /** text: trimmed, case and whitespace folded, a trailing period dropped; number: numeric value; exact: as extracted. */
  normalize: z.enum(['text', 'number', 'exact']).default('text'),
  /** Abstain when the winning answer has fewer than this share of the samples (ties always abstain). */
  min_agreement: z.number().min(0).max(1).default(0.5),
  /** Sampling temperature of the samples (default: the request's). */
  temperature: z.number().min(0).max(2).optional(),
});

const programStrategy = z.strictObject({
  strategy: z.literal('program'),
  ...common,
  max_retries: z.number().int().min(0).max(10).default(2),
  timeout_ms: z.number().int().min(1).max(60_000).default(2000),
  memory_mb: z.number().int().min(1).max(1024).optional(),
  /** Replaces the built-in instruction that asks for code. */
  instructions: z.string().min(1).optional(),
  /** result: the answer is the program's result; result_and_code: followed by the code in a fenced block. */
  answer: z.enum(['result', 'result_and_code']).default('result'),
});

const checkStrategy = z.strictObject({
  strategy: z.literal('check'),
  ...common,
  /** claims: each claim judged against the context; cove: chain-of-verification with independently answered questions. */
  mode: z.enum(['claims', 'cove']).default('claims'),
  /** Verifier model (default: the request's model). */
  model: z.string().min(1).optional(),
  max_revisions: z.number().int().min(0).max(5).default(1),
  max_questions: z.number().int().min(1).max(10).default(5),
  /** Share of claims (or verification answers) that must agree with the draft to pass. */
  min_supported: z.number().min(0).max(1).default(1),
});

const judgeStrategy = z.strictObject({
  strategy: z.literal('judge'),
  ...common,
  assert: z.array(assertionSpecSchema).min(1, { message: 'judge needs at least one assertion' }),
  /** Pass when the weighted score reaches this (default: every assertion passes). */
  threshold: z.number().min(0).max(1).optional(),
  max_attempts: z.number().int().min(1).max(10).default(3),
  /** Grader model for model-graded assertions that name none (default: the request's model). */
  grader: z.string().min(1).optional(),
  /** Feed the failing reasons back for the next attempt (else: a fresh sample). */
  feedback: z.boolean().default(true),
  /** Template variables for the assertions. */
  vars: z.record(z.string(), z.unknown()).default({}),
});

const strategySchema = z.discriminatedUnion('strategy', [schemaStrategy, voteStrategy, programStrategy, checkStrategy, judgeStrategy]);

type Parsed = z.infer<typeof strategySchema>;
/** One strategy after parsing, with the strategy it wraps (its candidates come from `inner`). */
export type StrategySpec = Parsed & { inner?: StrategySpec };
export type SchemaSpec = z.infer<typeof schemaStrategy>;
export type VoteSpec = z.infer<typeof voteStrategy> & { inner?: StrategySpec };
export type ProgramSpec = z.infer<typeof programStrategy>;
export type CheckSpec = z.infer<typeof checkStrategy> & { inner?: StrategySpec };
export type JudgeSpec = z.infer<typeof judgeStrategy> & { inner?: StrategySpec };
export type { AssertionSpec };

/** Specs that were written as a list: errors name their strategies `verify[d]`, not by nesting. */
export const writtenAsList = new WeakSet<object>();

const oneSchema = z.preprocess((v) => (typeof v === 'string' ? { strategy: v } : v), strategySchema);

/** One strategy, with a precise message for an unknown strategy name (a union's own message is only "Invalid input"). */
function parseOne(v: unknown, at: (string | number)[], ctx: z.RefinementCtx): StrategySpec | null {
  const name = typeof v === 'string' ? v : (v as { strategy?: unknown } | null)?.strategy;
  if (typeof v !== 'string' && (typeof v !== 'object' || v === null || Array.isArray(v))) {
    ctx.addIssue({ code: 'custom', path: at, message: 'give a strategy name, {strategy: …, …options}, a list of them, or false' });
    return null;
  }
  if (!STRATEGIES.includes(name as StrategyName)) {
    ctx.addIssue({ code: 'custom', path: typeof v === 'string' ? at : [...at, 'strategy'], message: `unknown strategy ${JSON.stringify(name)}: use one of ${STRATEGIES.join(', ')}` });
    return null;
  }
  const r = oneSchema.safeParse(v);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: [...at, ...issue.path], message: issue.message });
    return null;
  }
  const assertions = r.data.strategy === 'judge' ? r.data.assert : r.data.strategy === 'vote' && typeof r.data.extract === 'object' && 'scorer' in r.data.extract ? [r.data.extract.scorer] : [];
  const where = r.data.strategy === 'judge' ? ['assert'] : ['extract', 'scorer'];
  const problem = assertionProblem(assertions, r.data.strategy === 'vote');
  if (problem) {
    ctx.addIssue({ code: 'custom', path: [...at, ...where, ...problem.path], message: problem.message });
    return null;
  }
  return r.data as StrategySpec;
}

/** Stand-ins for the scorers' dependencies: compiling checks an assertion's shape, never calls them. */
const SHAPE_ONLY: ScorerDeps = {
  grade: async () => ({ content: '', raw: null }),
  embed: { model: 'shape-check', embed: async () => [] } as unknown as ScorerDeps['embed'],
  embedFor: () => SHAPE_ONLY.embed!,
  sandbox: {} as ScorerDeps['sandbox'],
  defaultGrader: 'shape-check',
};

/** The first thing wrong with an assertion list (its path inside the list, `[i].field…`), or null. */
function assertionProblem(assertions: AssertionSpec[], single: boolean): { path: (string | number)[]; message: string } | null {
  try {
    if (single) assertions.forEach((a) => compileAssertion({ ...a, value: a.value ?? '{{expected}}' }, SHAPE_ONLY, 'x'));
    else compileTest(assertions, SHAPE_ONLY);
    return null;
  } catch (err) {
    const e = err as Error & { param?: string | null };
    const rel = (e.param ?? '').replace(/^(assert|x)/, '');
    const path = [...rel.matchAll(/\[(\d+)\]|\.?([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : m[2]));
    return { path, message: e.message.replace(/^[^:]*: /, '') };
  }
}

/** A route's or a call's `verify`: a strategy, a name, or a list (outermost first, at most 4). `false`: off. */
export const verifySchema = z.unknown().transform((v, ctx): StrategySpec | false => {
  if (v === false) return false;
  const list = Array.isArray(v) ? v : [v];
  if (Array.isArray(v) && (v.length < 1 || v.length > 4)) {
    ctx.addIssue({ code: 'custom', message: 'a list of strategies takes 1 to 4 of them (outermost first)' });
    return z.NEVER;
  }
  const specs = list.map((x, i) => parseOne(x, Array.isArray(v) ? [i] : [], ctx));
  if (specs.some((s) => s === null)) return z.NEVER;
  specs.forEach((s, i) => {
    if (i > 0) {
      for (const key of ['budget', 'on_fail', 'required'] as const) {
        if (s![key] !== undefined) ctx.addIssue({ code: 'custom', path: [i, key], message: `${key} belongs to the outermost strategy (the first in the list)` });
      }
    }
    if ((s!.strategy === 'schema' || s!.strategy === 'program') && i < specs.length - 1) {
      const why = s!.strategy === 'schema' ? 'schema checks a model answer' : 'program asks the model for code';
      ctx.addIssue({ code: 'custom', path: [i, 'strategy'], message: `${why}, so it must be the innermost (last) strategy` });
    }
  });
  let inner: StrategySpec | undefined;
  for (const s of [...specs].reverse()) inner = { ...s!, ...(inner ? { inner } : {}) } as StrategySpec;
  if (Array.isArray(v)) writtenAsList.add(inner!);
  return inner!;
});
export type VerifyOption = z.infer<typeof verifySchema>;

/** on_fail values from the most lenient to the strictest (a required route's call may only move right). */
export const ON_FAIL_STRICTNESS: readonly OnFail[] = ['return', 'abstain', 'error'];

/** The default on_fail of the outermost strategy: an app that asked for a schema cannot parse an abstention. */
export function defaultOnFail(s: StrategySpec): OnFail {
  return s.on_fail ?? (s.strategy === 'schema' ? 'error' : 'abstain');
}
