/**
 * Compiles assertions: validates the spec up front (unknown type → the list of supported types;
 * missing or bad values, bad regexes and invalid schemas → a 400 naming the field), then wraps the
 * family's scorer with the shared rules:
 * - `not-<type>` negates: pass flips and score becomes 1 − score;
 * - weight 0 makes the judgment always count as a pass;
 * - a scorer error (thrown, or returned by the family) is pass false, score 0, `error` set, and
 *   neither negation nor weight 0 turns it into a pass;
 * - `assert-set` groups assertions: weighted mean score; passes when every member passes, or when
 *   the score reaches the set's threshold; any member error fails the set.
 */
import { AssayError } from '../../errors.js';
import { failure } from './common.js';
import { javascriptScorers } from './javascript.js';
import { jsonScorers } from './json.js';
import { metricScorers } from './metrics.js';
import { modelGradedScorers } from './model-graded.js';
import { operationalScorers } from './operational.js';
import { similarScorers } from './similar.js';
import { renderTemplate } from './template.js';
import { textScorers } from './text.js';
import {
  assertionSpecSchema,
  SpecError,
  type AssertionSpec,
  type CompiledAssertion,
  type GradingResult,
  type RawResult,
  type Scorer,
  type ScorerDeps,
  type ScorerFactory,
} from './types.js';

const FACTORIES: Record<string, ScorerFactory> = {
  ...textScorers,
  ...jsonScorers,
  ...metricScorers,
  ...operationalScorers,
  ...modelGradedScorers,
  ...similarScorers,
  ...javascriptScorers,
};

/** Every supported type (each may take a `not-` prefix except assert-set). */
export const SUPPORTED_TYPES: readonly string[] = [...Object.keys(FACTORIES), 'assert-set'].sort();

/** Types that call a grader model. */
export const MODEL_GRADED_TYPES: readonly string[] = Object.keys(modelGradedScorers);

function configError(message: string, param: string): AssayError {
  return new AssayError({ status: 400, message: `${param}: ${message}`, param, code: 'invalid_assertion' });
}

function parseSpec(spec: unknown, path: string): AssertionSpec {
  const r = assertionSpecSchema.safeParse(spec);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const at = first.path.length ? `${path}.${first.path.map(String).join('.')}` : path;
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem(s))` : '';
  throw configError(`${first.message}${more}`, at);
}

function finish(spec: AssertionSpec, raw: RawResult, inverse: boolean, metric: string | undefined): GradingResult {
  const base = { assertion: spec, ...(metric !== undefined ? { metric } : {}), ...(raw.metadata ? { metadata: raw.metadata } : {}) };
  if (raw.error !== undefined) return { pass: false, score: 0, reason: raw.reason, error: raw.error, ...base };
  if (!Number.isFinite(raw.score)) return { pass: false, score: 0, reason: `scorer produced an invalid score (${raw.score})`, error: `invalid score ${raw.score}`, ...base };
  let score = Math.min(1, Math.max(0, raw.score));
  let pass = raw.pass;
  if (inverse) {
    pass = !pass;
    score = 1 - score;
  }
  if (spec.weight === 0) pass = true;
  return { pass, score, reason: raw.reason, ...base };
}

function metricName(spec: AssertionSpec, vars: Record<string, unknown>): string | undefined {
  return spec.metric === undefined ? undefined : renderTemplate(spec.metric, vars, { onMissing: 'keep' });
}

export const templateVars = (ctx: { expected?: unknown; vars: Record<string, unknown> }): Record<string, unknown> => ({
  ...(ctx.expected !== undefined ? { expected: ctx.expected } : {}),
  ...ctx.vars,
});

/**
 * Validates `spec` and returns its scorer. Throws an AssayError (400, code invalid_assertion,
 * param = the field's path under `path`) for a bad spec.
 */
export function compileAssertion(spec: AssertionSpec | unknown, deps: ScorerDeps, path = 'assertion'): CompiledAssertion {
  const parsed = parseSpec(spec, path);
  if (parsed.type === 'assert-set') return compileSet(parsed, deps, path);
  const inverse = parsed.type.startsWith('not-');
  const base = inverse ? parsed.type.slice(4) : parsed.type;
  const factory = Object.hasOwn(FACTORIES, base) ? FACTORIES[base] : undefined;
  if (!factory) {
    const hint = base === 'assert-set' ? 'assert-set cannot be negated' : `unknown assertion type "${parsed.type}"`;
    throw configError(`${hint}; supported types: ${SUPPORTED_TYPES.join(', ')} (each may take a not- prefix, except assert-set)`, `${path}.type`);
  }
  let scorer: Scorer;
  try {
    scorer = factory(parsed, deps, parsed.type);
  } catch (err) {
    if (err instanceof SpecError) throw configError(err.message, err.field ? `${path}.${err.field}` : path);
    throw err;
  }
  return async (ctx, opts = {}) => {
    const vars = templateVars(ctx);
    const metric = metricName(parsed, vars);
    let raw: RawResult;
    try {
      raw = await scorer(ctx, { vars, signal: opts.signal, parent: opts.parent });
    } catch (err) {
      raw = failure(`${parsed.type}: ${(err as Error)?.message ?? String(err)}`);
    }
    return finish(parsed, raw, inverse, metric);
  };
}

function compileSet(spec: AssertionSpec, deps: ScorerDeps, path: string): CompiledAssertion {
  const members = (spec.assert ?? []).map((child, i) => compileAssertion(child, deps, `${path}.assert[${i}]`));
  if (spec.threshold !== undefined && (spec.threshold < 0 || spec.threshold > 1)) throw configError('threshold must be between 0 and 1', `${path}.threshold`);
  return async (ctx, opts = {}) => {
    const results = await Promise.all(members.map((m) => m(ctx, opts)));
    const agg = aggregate(results, spec.threshold);
    const metric = metricName(spec, templateVars(ctx));
    const out: GradingResult = { ...agg, assertion: spec, componentResults: results, ...(metric !== undefined ? { metric } : {}) };
    if (spec.weight === 0 && out.error === undefined) out.pass = true;
    return out;
  };
}

/**
 * promptfoo's aggregation: score = weighted mean (weight default 1; when every weight is 0 the
 * score is 1 if all pass, else 0); pass = every result passes, or score ≥ threshold when one is
 * given. Any result with an error fails the aggregate and sets `error`.
 */
export function aggregate(results: GradingResult[], threshold?: number): Pick<GradingResult, 'pass' | 'score' | 'reason' | 'error'> {
  if (results.length === 0) return { pass: true, score: 1, reason: 'no assertions' };
  let total = 0;
  let weights = 0;
  for (const r of results) {
    const w = r.assertion.weight ?? 1;
    total += r.score * w;
    weights += w;
  }
  const failed = results.filter((r) => !r.pass);
  const errored = results.filter((r) => r.error !== undefined);
  const score = weights > 0 ? total / weights : failed.length === 0 ? 1 : 0;
  if (errored.length) {
    const error = `${errored.length} of ${results.length} assertion(s) failed with an error: ${errored[0].error}`;
    return { pass: false, score, reason: error, error };
  }
  if (threshold !== undefined) {
    const pass = score >= threshold;
    return { pass, score, reason: `aggregate score ${score.toFixed(3)} ${pass ? '≥' : '<'} threshold ${threshold}` };
  }
  if (failed.length === 0) return { pass: true, score, reason: 'all assertions passed' };
  return { pass: false, score, reason: `${failed.length} of ${results.length} assertion(s) failed: ${failed[0].assertion.type}: ${failed[0].reason}` };
}
