/**
 * What an eval run shows and writes: the shapes read from /api/experiments, the terminal table
 * (variants with pass rate and its 95% interval, mean score, pass@k/pass^k, cost, latency, frontier;
 * then comparisons with p-values and warnings; then the first failed tests) and the Markdown
 * summary for PR comments. Formatting only: every number comes from the server's summary.
 */
import type { Comparison, Summary, VariantSummary } from '../../evals/experiments/types.js';

export interface ExperimentJson {
  id: string;
  name: string;
  status: string;
  total: number;
  done: number;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
  summary: Summary | null;
  [k: string]: unknown;
}

export interface ResultJson {
  item_id: string;
  variant: string;
  repeat: number;
  output: string | null;
  pass: boolean;
  score: number;
  assertions: { type: string; pass: boolean; score: number; reason: string; error?: string }[];
  latency_ms: number | null;
  cost: number | null;
  error: string | null;
}

export interface CompareJson {
  experiment: string;
  baseline: string;
  comparisons: Comparison[];
  regression: boolean;
}

export interface EvalRun {
  experiment: ExperimentJson;
  results: ResultJson[];
  compare?: CompareJson;
}

export const MAX_FAILED_SHOWN = 20;

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null, d = 2) => (v === null ? '–' : v.toFixed(d));
const signed = (v: number | null, d = 1, scale = 100) => (v === null ? '–' : `${v >= 0 ? '+' : ''}${(v * scale).toFixed(d)}`);
const pValue = (p: number | null | undefined) => (p === null || p === undefined ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3));
const money = (v: number | null) => (v === null ? '–' : `$${v < 0.01 ? v.toPrecision(2) : v.toFixed(2)}`);
const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)}`);

/** Why a run failed: the call error, or the failed assertions' reasons. */
export function failureReason(r: ResultJson): string {
  if (r.error) return `error: ${r.error}`;
  const failed = r.assertions.filter((a) => !a.pass);
  if (failed.length === 0) return `score ${r.score.toFixed(2)} below the threshold`;
  return failed.map((a) => `${a.type}: ${a.error ?? a.reason}`).join('; ');
}

export const failedRuns = (results: ResultJson[]) => results.filter((r) => !r.pass);

function variantHeaders(k: number): string[] {
  const h = ['variant', 'model', 'pass rate', '95% CI', 'mean score', 'runs', 'errors'];
  if (k > 1) h.push(`pass@${k}`, `pass^${k}`);
  h.push('cost', 'p50 ms', 'p95 ms', 'frontier');
  return h;
}

function variantCells(v: VariantSummary, k: number): string[] {
  const c = [v.id, v.model, pct(v.passRate.value), `${pct(v.passRate.low)}–${pct(v.passRate.high)}`, num(v.meanScore.value), String(v.runs), String(v.errors)];
  if (k > 1) c.push(num(v.passAtK), num(v.passHatK));
  c.push(money(v.cost.total), ms(v.latencyMs.p50), ms(v.latencyMs.p95), v.frontier ? '*' : '');
  return c;
}

const compareHeaders = ['baseline', 'variant', 'items', 'Δ pass rate (pts)', 'McNemar p', 'Δ score', 'score p', 'significant', 'regression'];
function compareCells(c: Comparison): string[] {
  return [
    c.baseline, c.variant, String(c.items), signed(c.passRateDiff), pValue(c.mcnemar?.p), signed(c.scoreDiff?.mean ?? null, 3, 1), pValue(c.scoreDiff?.p),
    c.significant ? 'yes' : 'no', c.regression ? 'YES' : 'no',
  ];
}

/** A plain text table with aligned columns. */
export function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const oneLine = (s: string, max: number) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/** The terminal report. */
export function renderTable(run: EvalRun): string {
  const s = run.experiment.summary;
  const out: string[] = [`${run.experiment.name} (${run.experiment.id}): ${run.experiment.status}, ${run.results.length} runs`];
  if (!s) return out.join('\n');
  out.push('', textTable(variantHeaders(s.k), s.variants.map((v) => variantCells(v, s.k))));
  const comparisons = [...s.comparisons, ...(run.compare?.comparisons ?? [])];
  if (comparisons.length) {
    out.push('', run.compare ? `Comparisons (within the run, and against baseline ${run.compare.baseline}):` : 'Comparisons:', textTable(compareHeaders, comparisons.map(compareCells)));
    for (const c of comparisons) if (c.warning) out.push(`  ${c.baseline} vs ${c.variant}: ${c.warning}`);
  }
  const flaky = s.variants.filter((v) => v.flakyItems.length);
  for (const v of flaky) out.push(`  flaky in ${v.id}: ${v.flakyItems.slice(0, 10).join(', ')}${v.flakyItems.length > 10 ? ` (+${v.flakyItems.length - 10})` : ''}`);
  const failed = failedRuns(run.results);
  if (failed.length) {
    out.push('', `Failed: ${failed.length} of ${run.results.length} runs${failed.length > MAX_FAILED_SHOWN ? ` (first ${MAX_FAILED_SHOWN})` : ''}`);
    out.push(textTable(['item', 'variant', 'repeat', 'reason'], failed.slice(0, MAX_FAILED_SHOWN).map((r) => [r.item_id, r.variant, String(r.repeat), oneLine(failureReason(r), 120)])));
  } else out.push('', `All ${run.results.length} runs passed.`);
  if (run.compare) out.push('', run.compare.regression ? `Significant regression against baseline ${run.compare.baseline}.` : `No significant regression against baseline ${run.compare.baseline}.`);
  return out.join('\n');
}

const mdCell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
function mdTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

/** A Markdown summary (for a PR comment). */
export function renderMarkdown(run: EvalRun): string {
  const e = run.experiment;
  const s = e.summary;
  const failed = failedRuns(run.results);
  const status = run.compare ? (run.compare.regression ? '❌ significant regression' : '✅ no significant regression') : failed.length ? `❌ ${failed.length} of ${run.results.length} runs failed` : `✅ all ${run.results.length} runs passed`;
  const out = [`## Eval: ${mdCell(e.name)}`, '', `Experiment \`${e.id}\` — ${status}`];
  if (s) {
    out.push('', mdTable(variantHeaders(s.k), s.variants.map((v) => variantCells(v, s.k))));
    const comparisons = [...s.comparisons, ...(run.compare?.comparisons ?? [])];
    if (comparisons.length) {
      out.push('', '### Comparisons', '', mdTable(compareHeaders, comparisons.map(compareCells)));
      for (const c of comparisons) if (c.warning) out.push('', `> ⚠️ ${mdCell(c.baseline)} vs ${mdCell(c.variant)}: ${mdCell(c.warning)}`);
    }
  }
  if (failed.length) {
    out.push('', `### Failed tests (${failed.length}${failed.length > MAX_FAILED_SHOWN ? `, first ${MAX_FAILED_SHOWN}` : ''})`, '');
    out.push(mdTable(['item', 'variant', 'repeat', 'reason'], failed.slice(0, MAX_FAILED_SHOWN).map((r) => [r.item_id, r.variant, String(r.repeat), oneLine(failureReason(r), 200)])));
  }
  return out.join('\n') + '\n';
}
