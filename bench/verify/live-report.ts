/**
 * bench:verify --live's report (live.ts runs the rows): each answer scored as the layer reads it,
 * a row's statistics, p̂ and q̂ from the baseline row, and the table printed beside what the
 * independence model (theory.ts, through each row's predict) expects.
 */
import { wilson } from '../../packages/assay/src/evals/stats/proportions.js';
import { readJson } from '../../packages/assay/src/verify/strategies/schema.js';
import { median, percentile, sortedCopy } from '../gateway/stats.js';
import { f3 } from './common.js';
import type { LiveOptions, Obs, Row } from './live.js';

// ---------------------------------------------------------------------------------------------
// Scoring

/** The number in a JSON answer {"answer": n}, read as the layer reads JSON; null when unreadable. */
function jsonAnswer(content: string): number | null {
  const read = readJson(content);
  if (!read.ok || typeof read.value !== 'object' || read.value === null) return null;
  const a = (read.value as { answer?: unknown }).answer;
  return typeof a === 'number' && Number.isFinite(a) ? a : null;
}

/** The program strategy's answer is the program's result: a number, a numeric string, or {answer}. */
function programAnswer(content: string): number | null {
  const t = content.trim();
  if (/^-?[\d,]+(\.\d+)?$/.test(t)) return Number(t.replaceAll(',', ''));
  return jsonAnswer(t);
}

const answerOf = (r: Row, o: Obs): number | null => {
  if (o.status !== 200) return null;
  if (r.spec.program) return o.verdict === 'passed' ? programAnswer(o.content) : null;
  return jsonAnswer(o.content);
};
const isAbstained = (r: Row, o: Obs) => o.status === 200 && r.spec.abstains && (o.verdict === 'abstained' || o.verdict === 'failed');
const isValid = (r: Row, o: Obs) => !isAbstained(r, o) && (r.spec.program ? o.status === 200 && o.verdict === 'passed' : answerOf(r, o) !== null);
const isCorrect = (r: Row, o: Obs) => !isAbstained(r, o) && answerOf(r, o) === o.qn.answer;

// ---------------------------------------------------------------------------------------------
// Statistics

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const share = (x: number, n: number) => {
  const w = wilson(x, n);
  return `${pct(x / n)} [${pct(w.low!)}, ${pct(w.high!)}]`;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const num = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const times = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');

export interface Stats {
  n: number;
  correct: number;
  valid: number;
  abstained: number;
  s422: number;
  errors: number;
  calls: number;
  tokens: number;
  tokensUnknown: number;
  wallMedian: number;
  wallP95: number;
  layerMedian: number;
  miscounted: number;
}

export function statsOf(r: Row): Stats {
  const done = r.obs.filter((o) => o.status === 200 || o.status === 422);
  const wall = sortedCopy(done.map((o) => o.wallMs));
  const tokens = done.map((o) => o.tokens).filter((t): t is number => t !== null);
  return {
    n: r.obs.length,
    correct: r.obs.filter((o) => isCorrect(r, o)).length,
    valid: r.obs.filter((o) => isValid(r, o)).length,
    abstained: r.obs.filter((o) => isAbstained(r, o)).length,
    s422: r.obs.filter((o) => o.status === 422).length,
    errors: r.obs.filter((o) => o.status !== 200 && o.status !== 422).length,
    calls: mean(done.map((o) => o.calls)),
    tokens: mean(tokens),
    tokensUnknown: done.length - tokens.length,
    wallMedian: percentile(wall, 50),
    wallP95: percentile(wall, 95),
    layerMedian: median(done.map((o) => o.layerMs ?? NaN)),
    miscounted: r.obs.filter((o) => o.miscounted).length,
  };
}

/** p̂: right among the baseline's readable answers; q̂: the unreadable share of its answers. */
function estimate(b: Stats): { p: number; q: number; answered: number } {
  const answered = b.n - b.errors;
  return { p: b.valid ? b.correct / b.valid : NaN, q: answered ? 1 - b.valid / answered : NaN, answered };
}

// ---------------------------------------------------------------------------------------------
// The table

/** The table for rows (the baseline first) run in seconds, printed; the counts that make the exit code 1. */
export function printReport(rows: Row[], o: LiveOptions, seconds: number): { miscounted: number; errors: number } {
  const stats = rows.map(statsOf);
  const b = stats[0];
  const { p, q, answered } = estimate(b);
  const bw = wilson(b.correct, Math.max(1, b.valid));
  const lines = [
    '| strategy | parameters | n | correct [95% CI] | independence prediction [from p̂\'s CI] | gap | valid | abstained | 422 / errors | calls per question (prediction) | tokens per question | × tokens | wall ms median / p95 | × latency | layer ms median |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
  ];
  let miscounted = 0;
  let unknownTokens = 0;
  let errors = 0;
  rows.forEach((r, i) => {
    const s = stats[i];
    miscounted += s.miscounted;
    unknownTokens += s.tokensUnknown;
    errors += s.errors;
    const pred = Number.isFinite(p) && Number.isFinite(q) ? r.spec.predict(p, q) : null;
    // Every prediction grows with p: its range at the ends of p̂'s interval shows how much of a gap the baseline's own noise explains.
    const range = pred ? `${pct(pred.correct)} [${pct(r.spec.predict(bw.low!, q).correct)}, ${pct(r.spec.predict(bw.high!, q).correct)}]` : '—';
    const baseline = i === 0;
    const gap = pred && !baseline ? `${s.correct / s.n - pred.correct >= 0 ? '+' : '−'}${(100 * Math.abs(s.correct / s.n - pred.correct)).toFixed(1)} pp` : baseline ? '(reference)' : '—';
    lines.push(
      `| ${r.spec.strategy} | ${r.spec.params} | ${s.n} | ${share(s.correct, s.n)} | ${baseline ? (pred ? pct(pred.correct) : '—') : range} | ${gap} | ${pct(s.valid / s.n)} | ${pct(s.abstained / s.n)} | ${s.s422} / ${s.errors} | ${num(s.calls, 2)}${pred ? ` (${num(pred.calls, 2)})` : ''} | ${num(s.tokens, 0)}${s.tokensUnknown ? '*' : ''} | ${times(s.tokens / b.tokens)} | ${num(s.wallMedian, 0)} / ${num(s.wallP95, 0)} | ${times(s.wallMedian / b.wallMedian)} | ${baseline ? '—' : num(s.layerMedian, 0)} |`,
    );
  });
  const md = [
    `> **LIVE run against \`${o.model}\`** at ${o.url} — ${o.n} seeded multi-step arithmetic questions (seed ${o.seed}), ${o.concurrency} at a time, took ${seconds.toFixed(0)} s. Command: \`npm run bench:verify -- ${o.argv.filter((a) => !a.startsWith('--key=')).join(' ')}\`.`,
    '',
    `From the baseline row: p̂ = ${b.valid ? f3(p) : '—'} [${b.valid ? `${f3(bw.low!)}, ${f3(bw.high!)}` : '—'}] (right among ${b.valid} readable answers), q̂ = ${answered ? f3(q) : '—'} (unreadable share of ${answered} answers).`,
    '',
    '"independence prediction" is what theory.ts (the simulation\'s theory) predicts for this row if every call were an independent draw with the baseline\'s p̂ and q̂. A real model\'s errors on one question are correlated — the questions it gets wrong it tends to get wrong again, often the same way — so vote and judge gains are expected to fall SHORT of it: the gap is the measurement, not a failure. vote samples at its own temperature, so its p may differ from the baseline\'s. program changes what the model does (it writes code; the sandbox does the arithmetic), so its prediction is only the "no better than answering directly" line. The bracket is the prediction at the ends of p̂\'s 95% interval: a gap inside it may be the baseline\'s own sampling noise.',
    '',
    ...lines,
    '',
    'correct: the right number (program: the program\'s result). valid: a JSON answer with a number (program: the program ran). abstained: the layer answered with an abstention (vote below min_agreement, no program ran, no attempt passed the judge). 422 / errors: verification_failed responses / other failures (timeouts, 5xx). calls and tokens per question: from `assay.verification` (verified rows) or `usage` (baseline); × tokens and × latency are relative to the baseline (the cost multiplier). wall ms: the client\'s time per question; layer ms: the report\'s `ms`, the whole verification, all of which comes before the first streamed byte.',
    ...(unknownTokens ? ['', `\\* ${unknownTokens} answers (422s) say their calls but not their tokens: tokens per question averages the others.`] : []),
    ...(errors ? ['', `**${errors} requests failed (timeouts, 5xx, see stderr): they count as wrong, and p̂, q̂ leave them out. Rerun for clean figures.**`] : []),
    '',
    miscounted
      ? `**${miscounted} answers where the report's calls or tokens disagree with x-assay-verification-calls or usage.total_tokens.**`
      : "On every verified answer the report's calls equal x-assay-verification-calls and its tokens equal usage.total_tokens.",
    '',
  ].join('\n');
  console.log(md);
  return { miscounted, errors };
}
