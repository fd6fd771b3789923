/**
 * Grading a test case: all of its assertions against one output, with promptfoo's semantics
 * (docs/evals-scorers.md): the test passes when every assertion passes, or, when the caller gives a
 * test-level threshold, when the weighted mean score reaches it; a scorer error always fails it.
 * Named scores (`metric`) are weighted means per name; weight-0 assertions count with weight 1
 * there, since recording a metric is what they are for.
 */
import { AssayError } from '../../errors.js';
import { aggregate, compileAssertion } from './registry.js';
import type { AssertionSpec, CompiledAssertion, GradingResult, ScoreContext, ScoreOptions, ScorerDeps } from './types.js';

export interface TestGrade {
  pass: boolean;
  /** Weighted mean of the assertion scores. */
  score: number;
  reason: string;
  results: GradingResult[];
  namedScores: Record<string, number>;
  /** Results (at any depth) that are scorer errors. */
  errors: number;
}

export interface TestOptions {
  /** Test-level threshold (0..1): pass = score ≥ threshold, overriding individual failures (not errors). */
  threshold?: number;
  /** Assertions graded at once (default 4); model-graded ones each make a call. */
  concurrency?: number;
}

export type CompiledTest = (ctx: ScoreContext, opts?: ScoreOptions) => Promise<TestGrade>;

/** Validates every assertion (errors name `assert[i]…`) and returns the test's grader. */
export function compileTest(specs: AssertionSpec[] | unknown, deps: ScorerDeps, opts: TestOptions = {}): CompiledTest {
  if (!Array.isArray(specs)) throw new AssayError({ status: 400, message: 'assert must be a list of assertions', param: 'assert', code: 'invalid_assertion' });
  if (opts.threshold !== undefined && !(opts.threshold >= 0 && opts.threshold <= 1)) {
    throw new AssayError({ status: 400, message: 'threshold must be between 0 and 1', param: 'threshold', code: 'invalid_assertion' });
  }
  const compiled: CompiledAssertion[] = specs.map((s, i) => compileAssertion(s, deps, `assert[${i}]`));
  const limit = Math.max(1, Math.floor(opts.concurrency ?? 4));
  return async (ctx, scoreOpts = {}) => {
    const results = new Array<GradingResult>(compiled.length);
    let next = 0;
    const worker = async () => {
      while (next < compiled.length) {
        const i = next++;
        results[i] = await compiled[i](ctx, scoreOpts);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, compiled.length) }, worker));
    const agg = aggregate(results, opts.threshold);
    return { pass: agg.pass, score: agg.score, reason: agg.reason, results, namedScores: namedScores(results), errors: countErrors(results) };
  };
}

/** Compiles and grades in one step (compile once with compileTest when grading many outputs). */
export function gradeAll(specs: AssertionSpec[], ctx: ScoreContext, deps: ScorerDeps, opts: TestOptions & ScoreOptions = {}): Promise<TestGrade> {
  return compileTest(specs, deps, opts)(ctx, { signal: opts.signal, parent: opts.parent });
}

function namedScores(results: GradingResult[]): Record<string, number> {
  const sum = new Map<string, { total: number; weight: number }>();
  const visit = (r: GradingResult) => {
    if (r.metric !== undefined) {
      const w = r.assertion.weight === 0 || r.assertion.weight === undefined ? 1 : r.assertion.weight;
      const s = sum.get(r.metric) ?? { total: 0, weight: 0 };
      s.total += r.score * w;
      s.weight += w;
      sum.set(r.metric, s);
    }
    r.componentResults?.forEach(visit);
  };
  results.forEach(visit);
  return Object.fromEntries([...sum].map(([k, v]) => [k, v.total / v.weight]));
}

function countErrors(results: GradingResult[]): number {
  return results.reduce((n, r) => n + (r.componentResults ? countErrors(r.componentResults) : r.error !== undefined ? 1 : 0), 0);
}
