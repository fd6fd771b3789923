/** Unit tests: narrowing a required route's verification, and the models a verify option names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../errors.js';
import { checkPlanModels, modelsNamed, narrowRequired, type VerifyPlan } from './narrow.js';
import { verifySchema, writtenAsList, type StrategySpec } from './spec.js';

const plan = (v: unknown, path: (string | number)[] = ['routes[r]', 'verify']): VerifyPlan => ({ spec: verifySchema.parse(v) as StrategySpec, path });
const judge = { strategy: 'judge', assert: [{ type: 'contains', value: 'x' }], required: true };

function refusedAt(fn: () => unknown, param: string, status = 403) {
  assert.throws(fn, (e: unknown) => e instanceof AssayError && e.status === status && e.param === param);
}

test('required: a call may lower budget fields and make on_fail stricter', () => {
  const route = plan({ ...judge, budget: { max_calls: 10, max_tokens: 1000 } });
  const n = narrowRequired(route, { budget: { max_calls: 3, timeout_ms: 500 }, on_fail: 'error' });
  assert.deepEqual(n.spec.budget, { max_calls: 3, max_tokens: 1000, timeout_ms: 500 });
  assert.equal(n.spec.on_fail, 'error');
  assert.equal(n.spec.strategy, 'judge');
  assert.deepEqual(narrowRequired(route, 'judge').spec.budget, { max_calls: 10, max_tokens: 1000 });
  assert.equal(narrowRequired(route, {}).spec.on_fail, 'abstain', "judge's default");
});

test('required: turning off, raising, switching and changing options are refused with the param', () => {
  const route = plan({ ...judge, budget: { max_calls: 10 }, on_fail: 'abstain' });
  refusedAt(() => narrowRequired(route, false), 'assay.verify');
  refusedAt(() => narrowRequired(route, ['judge']), 'assay.verify');
  refusedAt(() => narrowRequired(route, 42), 'assay.verify');
  refusedAt(() => narrowRequired(route, { budget: { max_calls: 11 } }), 'assay.verify.budget.max_calls');
  refusedAt(() => narrowRequired(route, { strategy: 'vote' }), 'assay.verify.strategy');
  refusedAt(() => narrowRequired(route, { on_fail: 'return' }), 'assay.verify.on_fail');
  refusedAt(() => narrowRequired(route, { threshold: 0 }), 'assay.verify.threshold');
  refusedAt(() => narrowRequired(route, { budget: { max_calls: 0 } }), 'assay.verify.budget.max_calls', 400);
  refusedAt(() => narrowRequired(route, { on_fail: 'never' }), 'assay.verify.on_fail', 400);
  assert.throws(() => narrowRequired(route, false), /routes\[r\]\.verify is required by the route/);
});

test('required: a schema route keeps error as its strictest default; a list keeps its list-ness', () => {
  const schema = plan({ strategy: 'schema', required: true });
  refusedAt(() => narrowRequired(schema, { on_fail: 'abstain' }), 'assay.verify.on_fail');
  const list = plan([{ strategy: 'vote', required: true }, 'program']);
  assert.ok(writtenAsList.has(narrowRequired(list, {}).spec));
});

test('required belongs to the outermost strategy', () => {
  const r = verifySchema.safeParse(['vote', { strategy: 'check', required: true }]);
  assert.ok(!r.success);
  assert.match(r.error.issues[0].message, /required belongs to the outermost strategy/);
});

test('modelsNamed: check model, judge grader, assertion providers (nested sets), a vote scorer, with their paths', () => {
  const p = plan(
    [
      { strategy: 'judge', grader: 'g', assert: [{ type: 'assert-set', assert: [{ type: 'llm-rubric', value: 'ok', provider: 'p1' }] }] },
      { strategy: 'vote', extract: { scorer: { type: 'similar', provider: 'e1' } } },
      { strategy: 'check', model: 'c' },
    ],
    ['assay', 'verify'],
  );
  assert.deepEqual(modelsNamed(p), [
    { model: 'g', from: 'assay.verify[0].grader' },
    { model: 'p1', from: 'assay.verify[0].assert[0].assert[0].provider' },
    { model: 'e1', from: 'assay.verify[1].extract.scorer.provider' },
    { model: 'c', from: 'assay.verify[2].model' },
  ]);
  assert.deepEqual(modelsNamed(plan({ strategy: 'check', model: 'c' }, ['assay', 'verify'])), [{ model: 'c', from: 'assay.verify.model' }]);
});

test('checkPlanModels: the first model outside the key list is a 403 naming where it came from; no key, no limit', () => {
  const p = plan({ strategy: 'check', model: 'up/big' }, ['assay', 'verify']);
  const key = { id: 'k', models: ['up/small', 'smart*'], memoryNamespace: 'k' };
  assert.throws(
    () => checkPlanModels({ key } as never, p),
    (e: unknown) => e instanceof AssayError && e.status === 403 && e.code === 'model_not_allowed' && e.param === 'assay.verify.model' && /may not call "up\/big" \(asked for by assay\.verify\.model\); it may call: up\/small, smart\*/.test(e.message),
  );
  checkPlanModels({} as never, p);
  checkPlanModels({ key: { ...key, models: ['up/*'] } } as never, p);
});
