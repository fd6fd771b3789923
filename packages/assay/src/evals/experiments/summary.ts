/**
 * The statistics of an experiment (docs/evals-statistics.md): per variant the pass rate with its
 * Wilson interval, the mean score with a bootstrap interval (repeats of one item resampled
 * together), pass@k / pass^k and flaky items when repeated, latency and cost, the quality/cost
 * frontier; and every variant against the baseline (the first) on the items both ran: McNemar on
 * pass/fail per item (majority of repeats), paired bootstrap on the mean score per item,
 * Benjamini–Hochberg across comparisons, and a warning when there are too few items to tell.
 */
import {
  aggregatePassK, benjaminiHochberg, bootstrapMean, mcnemar, mean, minimumDetectableEffect, minimumDetectableMeanDiff,
  pairedBootstrap, paretoFrontier, percentile, powerWarning, sampleSd, wilson,
} from '../stats/index.js';
import type { Comparison, ExperimentDefinition, ResultRow, Summary, VariantSummary } from './types.js';

const round = (v: number | null, digits = 6) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

/** Runs by item, for one variant. */
function byItem(rows: ResultRow[]): Map<string, ResultRow[]> {
  const m = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const list = m.get(r.itemId);
    if (list) list.push(r);
    else m.set(r.itemId, [r]);
  }
  return m;
}

function variantSummary(def: ExperimentDefinition, id: string, rows: ResultRow[], seed: string): Omit<VariantSummary, 'frontier'> {
  const spec = def.variants.find((v) => v.id === id)!;
  const items = byItem(rows);
  const passes = rows.filter((r) => r.pass).length;
  const w = wilson(passes, rows.length);
  const boot = bootstrapMean([...items.values()].map((runs) => runs.map((r) => r.score)), { seed: `${seed}:${id}` });
  const k = def.repeats;
  const pk = k > 1 ? aggregatePassK([...items.values()].map((runs) => ({ n: runs.length, c: runs.filter((r) => r.pass).length })), k) : null;
  const latencies = rows.map((r) => r.latencyMs).filter((v): v is number => v !== null);
  const costs = rows.map((r) => r.cost).filter((v): v is number => v !== null);
  const totalCost = costs.length ? costs.reduce((a, b) => a + b, 0) : null;
  return {
    id,
    model: spec.model,
    prompt: spec.prompt ? `${spec.prompt.name}${spec.prompt.version ? `@v${spec.prompt.version}` : spec.prompt.label ? `@${spec.prompt.label}` : ''}` : null,
    runs: rows.length,
    items: items.size,
    errors: rows.filter((r) => r.error !== null).length,
    passRate: { value: round(w.p), low: round(w.low), high: round(w.high) },
    meanScore: { value: round(boot.mean), low: round(boot.low), high: round(boot.high) },
    passAtK: pk ? round(pk.pass_at_k) : null,
    passHatK: pk ? round(pk.pass_hat_k) : null,
    flakyItems: k > 1 ? [...items.entries()].filter(([, runs]) => runs.some((r) => r.pass) && runs.some((r) => !r.pass)).map(([item]) => item) : [],
    latencyMs: { p50: round(percentile(latencies, 0.5), 3), p95: round(percentile(latencies, 0.95), 3) },
    cost: { total: round(totalCost, 8), perRun: totalCost === null ? null : round(totalCost / costs.length, 8) },
    tokens: { input: rows.reduce((a, r) => a + (r.inputTokens ?? 0), 0), output: rows.reduce((a, r) => a + (r.outputTokens ?? 0), 0) },
  };
}

/** Per item: passed by a majority of its runs, and its mean score. */
function perItem(rows: ResultRow[]): Map<string, { pass: boolean; score: number }> {
  const out = new Map<string, { pass: boolean; score: number }>();
  for (const [item, runs] of byItem(rows)) {
    out.set(item, { pass: runs.filter((r) => r.pass).length * 2 > runs.length, score: mean(runs.map((r) => r.score)) ?? 0 });
  }
  return out;
}

function compare(baseline: string, variant: string, a: Map<string, { pass: boolean; score: number }>, b: Map<string, { pass: boolean; score: number }>, seed: string): Omit<Comparison, 'significant' | 'regression'> & { p: number | null } {
  const shared = [...a.keys()].filter((k) => b.has(k)).sort();
  const n = shared.length;
  if (n === 0) {
    return { baseline, variant, items: 0, passRateDiff: null, mcnemar: null, scoreDiff: null, warning: 'no items in common: nothing to compare', p: null };
  }
  const pairs = shared.map((k) => ({ a: a.get(k)!.pass, b: b.get(k)!.pass }));
  const m = mcnemar(pairs);
  const sa = shared.map((k) => a.get(k)!.score);
  const sb = shared.map((k) => b.get(k)!.score);
  const pb = pairedBootstrap(sa, sb, { seed: `${seed}:${baseline}:${variant}` });
  const diff = (pairs.filter((p) => p.b).length - pairs.filter((p) => p.a).length) / n;
  const pA = pairs.filter((p) => p.a).length / n;
  const sdDiff = sampleSd(sb.map((v, i) => v - sa[i]));
  const passWarn = powerWarning(diff, minimumDetectableEffect(Math.min(0.99, Math.max(0.01, pA)), n), n);
  const scoreWarn = sdDiff !== null ? powerWarning(pb.mean_diff ?? 0, minimumDetectableMeanDiff(sdDiff, n), n) : null;
  // The pass/fail test decides when the scores are pass/fail only; otherwise the score test.
  const binary = [...sa, ...sb].every((v) => v === 0 || v === 1);
  const p = binary ? m.p : (pb.p ?? m.p);
  return {
    baseline,
    variant,
    items: n,
    passRateDiff: round(diff),
    mcnemar: { b: m.b, c: m.c, p: round(m.p, 8)!, method: m.method },
    scoreDiff: pb.mean_diff === null ? null : { mean: round(pb.mean_diff)!, low: round(pb.low)!, high: round(pb.high)!, p: round(pb.p, 8)!, effectSize: round(pb.effect_size) },
    warning: (binary ? passWarn : scoreWarn ?? passWarn)?.message ?? null,
    p,
  };
}

/**
 * An experiment against a baseline experiment: each variant against the baseline's variant of the
 * same id (or the only variant of each when both have one), on the items both ran, with the same
 * tests and Benjamini–Hochberg across the pairs. `regression` marks a significant change for the worse.
 */
export function compareExperiments(
  current: { def: ExperimentDefinition; rows: ResultRow[] },
  baseline: { def: ExperimentDefinition; rows: ResultRow[] },
  seed = 'assay',
): Comparison[] {
  const single = current.def.variants.length === 1 && baseline.def.variants.length === 1;
  const pairs = current.def.variants
    .map((v) => [single ? baseline.def.variants[0].id : v.id, v.id] as const)
    .filter(([b]) => baseline.def.variants.some((bv) => bv.id === b));
  const raw = pairs.map(([b, v]) =>
    compare(`baseline:${b}`, v, perItem(baseline.rows.filter((r) => r.variant === b)), perItem(current.rows.filter((r) => r.variant === v)), seed),
  );
  return withSignificance(raw);
}

function withSignificance(raw: (Omit<Comparison, 'significant' | 'regression'> & { p: number | null })[]): Comparison[] {
  const tested = raw.filter((c) => c.p !== null);
  const bh = benjaminiHochberg(tested.map((c) => c.p!));
  return raw.map(({ p: _p, ...c }) => {
    const i = tested.findIndex((t) => t.baseline === c.baseline && t.variant === c.variant);
    const significant = i >= 0 && bh.rejected[i];
    const worse = (c.scoreDiff?.mean ?? c.passRateDiff ?? 0) < 0;
    return { ...c, significant, regression: significant && worse };
  });
}

export function summarize(def: ExperimentDefinition, rows: ResultRow[], seed = 'assay'): Summary {
  const ids = def.variants.map((v) => v.id);
  const partial = ids.map((id) => variantSummary(def, id, rows.filter((r) => r.variant === id), seed));
  const frontier = new Set(
    paretoFrontier(partial.filter((v) => v.meanScore.value !== null && v.cost.perRun !== null).map((v) => ({ id: v.id, quality: v.meanScore.value!, cost: v.cost.perRun! }))),
  );
  const variants: VariantSummary[] = partial.map((v) => ({ ...v, frontier: frontier.has(v.id) }));
  const items = new Map(ids.map((id) => [id, perItem(rows.filter((r) => r.variant === id))]));
  const comparisons = withSignificance(ids.slice(1).map((id) => compare(ids[0], id, items.get(ids[0])!, items.get(id)!, seed)));
  return { variants, comparisons, k: def.repeats };
}
