/** Shared by the scorer tests (excluded from the build as test-*.ts). */
import { compileAssertion } from './registry.js';
import type { AssertionSpec, GradingResult, ScoreContext, ScorerDeps } from './types.js';

export function ctxOf(output: string, extra: Partial<ScoreContext> = {}): ScoreContext {
  return { output, vars: {}, ...extra };
}

/** Compiles `spec` and scores `output` (a string, or a full context). */
export function run(spec: AssertionSpec, output: string | ScoreContext, deps: ScorerDeps = {}): Promise<GradingResult> {
  return compileAssertion(spec, deps)(typeof output === 'string' ? ctxOf(output) : output);
}

/** Asserts pass/score of `spec` and of its `not-` variant on the same output. */
export async function both(spec: AssertionSpec, output: string | ScoreContext, pass: boolean, deps: ScorerDeps = {}): Promise<[GradingResult, GradingResult]> {
  const pos = await run(spec, output, deps);
  const neg = await run({ ...spec, type: `not-${spec.type}` }, output, deps);
  if (pos.pass !== pass) throw new Error(`${spec.type} on ${JSON.stringify(output)}: expected pass=${pass}, got ${pos.pass} (${pos.reason})`);
  if (neg.pass !== !pass) throw new Error(`not-${spec.type}: expected pass=${!pass}, got ${neg.pass} (${neg.reason})`);
  if (Math.abs(neg.score - (1 - pos.score)) > 1e-12) throw new Error(`not-${spec.type}: score ${neg.score} is not 1 − ${pos.score}`);
  return [pos, neg];
}
