/**
 * What a call may do to its route's verification, and which models a verification will call.
 *
 * A route with `verify: {…, required: true}` is the operator's policy: the call's `assay.verify`
 * may only narrow it — lower `budget` fields, make `on_fail` stricter (return < abstain < error),
 * and name the route's own outermost strategy. Turning it off or changing anything else is a 403.
 * Every model a verification names (check `model`, judge `grader`, assertion `provider`s) is
 * checked against the key's allow-list before any model call, so the 403 names the option.
 */
import { formatPath } from '../config/load.js';
import { AssayError, badRequest } from '../errors.js';
import { checkModel } from '../gateway/allow.js';
import type { CallContext } from '../gateway/spec.js';
import { budgetSchema, defaultOnFail, onFailSchema, ON_FAIL_STRICTNESS, writtenAsList, type AssertionSpec, type StrategySpec, type VerifyBudget } from './spec.js';

export interface VerifyPlan {
  spec: StrategySpec;
  /** Where the spec came from, for error params. */
  path: (string | number)[];
}

const CALL_PATH = 'assay.verify';
const NARROWABLE = new Set(['strategy', 'budget', 'on_fail']);
const budgetPatch = budgetSchema.partial();

function refused(route: VerifyPlan, param: string, what: string): AssayError {
  const where = formatPath(route.path);
  return new AssayError({
    status: 403,
    code: 'verification_required',
    param,
    message: `${where} is required by the route: ${what}; a call may only lower its budget or make on_fail stricter (return < abstain < error)`,
  });
}

/** The route's required verification as narrowed by the call's `assay.verify` (`given`). */
export function narrowRequired(route: VerifyPlan, given: unknown): VerifyPlan {
  const spec = route.spec;
  if (given === false) throw refused(route, CALL_PATH, 'assay.verify: false may not turn it off');
  const option = typeof given === 'string' ? { strategy: given } : given;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw refused(route, CALL_PATH, 'assay.verify may only be an object with strategy, budget and on_fail');
  }
  const fields = option as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!NARROWABLE.has(key)) throw refused(route, `${CALL_PATH}.${key}`, `${CALL_PATH}.${key} may not be changed`);
  }
  if (fields.strategy !== undefined && fields.strategy !== spec.strategy) {
    throw refused(route, `${CALL_PATH}.strategy`, `its strategy is ${spec.strategy}, not ${JSON.stringify(fields.strategy)}`);
  }
  const narrowed: StrategySpec = { ...spec, budget: narrowBudget(route, fields.budget), on_fail: narrowOnFail(route, fields.on_fail) };
  if (writtenAsList.has(spec)) writtenAsList.add(narrowed);
  return { spec: narrowed, path: route.path };
}

function narrowBudget(route: VerifyPlan, given: unknown): VerifyBudget {
  const base = budgetSchema.parse(route.spec.budget ?? {});
  if (given === undefined) return base;
  const r = budgetPatch.safeParse(given);
  if (!r.success) {
    const issue = r.error.issues[0];
    const param = formatPath([...CALL_PATH.split('.'), 'budget', ...issue.path]);
    throw badRequest(`${param}: ${issue.message}`, param, 'invalid_verify');
  }
  const out: VerifyBudget = { ...base };
  for (const [key, value] of Object.entries(r.data) as [keyof VerifyBudget, number | undefined][]) {
    if (value === undefined) continue;
    const limit = base[key];
    if (limit !== undefined && value > limit) throw refused(route, `${CALL_PATH}.budget.${key}`, `budget.${key} ${value} is above the route's ${limit}`);
    out[key] = value;
  }
  return out;
}

function narrowOnFail(route: VerifyPlan, given: unknown) {
  const base = defaultOnFail(route.spec);
  if (given === undefined) return base;
  const r = onFailSchema.safeParse(given);
  if (!r.success) throw badRequest(`${CALL_PATH}.on_fail: use one of ${onFailSchema.options.join(', ')}`, `${CALL_PATH}.on_fail`, 'invalid_verify');
  if (ON_FAIL_STRICTNESS.indexOf(r.data) < ON_FAIL_STRICTNESS.indexOf(base)) {
    throw refused(route, `${CALL_PATH}.on_fail`, `on_fail "${r.data}" is more lenient than the route's "${base}"`);
  }
  return r.data;
}

/** Every model the spec names, with the option that names it (`assay.verify.grader`, `…assert[1].provider`). */
export function modelsNamed(plan: VerifyPlan): { model: string; from: string }[] {
  const out: { model: string; from: string }[] = [];
  const list = writtenAsList.has(plan.spec);
  const assertions = (specs: AssertionSpec[] | undefined, at: (string | number)[]) =>
    specs?.forEach((a, i) => {
      if (a.provider) out.push({ model: a.provider, from: formatPath([...at, i, 'provider']) });
      assertions(a.assert, [...at, i, 'assert']);
    });
  let depth = 0;
  for (let s: StrategySpec | undefined = plan.spec; s; s = s.inner, depth++) {
    const at = list ? [...plan.path, depth] : plan.path;
    if (s.strategy === 'check' && s.model) out.push({ model: s.model, from: formatPath([...at, 'model']) });
    if (s.strategy === 'judge') {
      if (s.grader) out.push({ model: s.grader, from: formatPath([...at, 'grader']) });
      assertions(s.assert, [...at, 'assert']);
    }
    if (s.strategy === 'vote' && typeof s.extract === 'object' && 'scorer' in s.extract) {
      const scorer = s.extract.scorer;
      if (scorer.provider) out.push({ model: scorer.provider, from: formatPath([...at, 'extract', 'scorer', 'provider']) });
      assertions(scorer.assert, [...at, 'extract', 'scorer', 'assert']);
    }
  }
  return out;
}

/** Throws the key's 403 for the first model of the plan it may not call. */
export function checkPlanModels(ctx: CallContext, plan: VerifyPlan): void {
  for (const { model, from } of modelsNamed(plan)) checkModel(ctx, model, from);
}
