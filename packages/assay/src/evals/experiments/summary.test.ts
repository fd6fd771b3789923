import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from './summary.js';
import type { ExperimentDefinition, ResultRow } from './types.js';

const def = (repeats = 1, variants = ['A', 'B']): ExperimentDefinition => ({
  name: 't', variants: variants.map((id) => ({ id, model: `up/${id}` })), repeats, assert: [], concurrency: 1,
});
const row = (variant: string, itemId: string, pass: boolean, extra: Partial<ResultRow> = {}): ResultRow => ({
  itemId, variant, repeat: 0, output: 'x', pass, score: pass ? 1 : 0, assertions: [], latencyMs: 10, inputTokens: 5, outputTokens: 2,
  cost: 0.001, cached: false, traceId: null, error: null, ...extra,
});
const items = Array.from({ length: 10 }, (_, i) => `i${i}`);

test('pass rates with Wilson intervals and McNemar against the baseline, computed by hand', () => {
  // A passes i0..i4, B passes i0..i7: b (A only) = 0, c (B only) = 3.
  const rows = [...items.map((id, i) => row('A', id, i < 5)), ...items.map((id, i) => row('B', id, i < 8, { cost: 0.002 }))];
  const s = summarize(def(), rows);
  const [a, b] = s.variants;
  // Wilson 5/10: centre = (0.5 + 1.96²/20) / (1 + 1.96²/10) = 0.5; half = 1.96/1.38416 · √(0.025 + 0.0096040) = 0.26341
  assert.equal(a.passRate.value, 0.5);
  assert.ok(Math.abs(a.passRate.low! - 0.23659) < 1e-4 && Math.abs(a.passRate.high! - 0.76341) < 1e-4);
  assert.equal(b.passRate.value, 0.8);
  const c = s.comparisons[0];
  assert.deepEqual([c.baseline, c.variant, c.items], ['A', 'B', 10]);
  // exact McNemar (b + c = 3 < 25): p = min(1, 2 · C(3,0) · 0.5³) = 0.25
  assert.deepEqual(c.mcnemar, { b: 0, c: 3, p: 0.25, method: 'exact' });
  assert.equal(c.passRateDiff, 0.3);
  assert.equal(c.significant, false);
  assert.match(c.warning!, /with 10 items/);
  // B scores higher but costs more: both are on the quality/cost frontier
  assert.deepEqual(s.variants.map((v) => v.frontier), [true, true]);
  assert.equal(a.cost.total, 0.01);
  assert.equal(b.cost.perRun, 0.002);
});

test('a clear regression on many items is significant and flagged', () => {
  const many = Array.from({ length: 200 }, (_, i) => `i${i}`);
  const rows = [...many.map((id) => row('A', id, true)), ...many.map((id, i) => row('B', id, i % 4 === 0))];
  const s = summarize(def(), rows);
  const c = s.comparisons[0];
  assert.equal(c.mcnemar!.method, 'chi2');
  assert.ok(c.mcnemar!.p < 1e-10);
  assert.equal(c.significant, true);
  assert.equal(c.regression, true);
  assert.equal(c.warning, null);
});

test('repeats: pass@k and pass^k by the unbiased estimators, flaky items, repeats resampled together', () => {
  // item x: 1 of 3 runs pass; item y: 3 of 3; item z: 0 of 3.
  const runs = (id: string, passes: boolean[]) => passes.map((p, repeat) => row('A', id, p, { repeat }));
  const rows = [...runs('x', [true, false, false]), ...runs('y', [true, true, true]), ...runs('z', [false, false, false])];
  const s = summarize(def(3, ['A']), rows);
  const v = s.variants[0];
  // pass@3: x: n − c = 2 < 3 → 1; y: 1; z: 1 − C(3,3)/C(3,3) = 0 → mean 2/3
  assert.ok(Math.abs(v.passAtK! - 2 / 3) < 1e-6);
  // pass^3: x: C(1,3)/C(3,3) = 0; y: 1; z: 0 → 1/3
  assert.ok(Math.abs(v.passHatK! - 1 / 3) < 1e-6);
  assert.deepEqual(v.flakyItems, ['x']);
  assert.equal(v.runs, 9);
  assert.equal(v.items, 3);
  assert.equal(s.comparisons.length, 0);
});
