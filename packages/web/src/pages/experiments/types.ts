/** The shapes of /api/experiments (packages/assay/src/evals/experiments/types.ts). */
export type Status = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface Interval {
  value: number | null;
  low: number | null;
  high: number | null;
}

export interface VariantSummary {
  id: string;
  model: string;
  prompt: string | null;
  runs: number;
  items: number;
  errors: number;
  passRate: Interval;
  meanScore: Interval;
  passAtK: number | null;
  passHatK: number | null;
  flakyItems: string[];
  latencyMs: { p50: number | null; p95: number | null };
  cost: { total: number | null; perRun: number | null };
  tokens: { input: number; output: number };
  frontier: boolean;
}

export interface Comparison {
  baseline: string;
  variant: string;
  items: number;
  passRateDiff: number | null;
  mcnemar: { b: number; c: number; p: number; method: string } | null;
  scoreDiff: { mean: number; low: number; high: number; p: number; effectSize: number | null } | null;
  significant: boolean;
  regression: boolean;
  warning: string | null;
}

export interface Summary {
  variants: VariantSummary[];
  comparisons: Comparison[];
  k: number;
}

export interface ExperimentRow {
  id: string;
  name: string;
  status: Status;
  dataset: string | null;
  dataset_version: number | null;
  total: number;
  done: number;
  error: string | null;
  created_by: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  variants: string[];
}

export interface InlineItem {
  id: string;
  vars?: Record<string, unknown>;
  messages?: { role: string; content?: unknown }[];
  description?: string;
}

export interface Experiment extends Omit<ExperimentRow, 'variants'> {
  definition: {
    name: string;
    description?: string;
    items?: InlineItem[];
    variants: { id: string; model: string; prompt?: { name: string; version?: number; label?: string }; params?: Record<string, unknown> }[];
    repeats: number;
  };
  summary: Summary | null;
}

export interface Assertion {
  type: string;
  pass: boolean;
  score: number;
  reason: string;
  metric?: string;
  error?: string;
}

export interface Result {
  item_id: string;
  variant: string;
  repeat: number;
  output: string | null;
  pass: boolean;
  score: number;
  assertions: Assertion[];
  latency_ms: number | null;
  cost: number | null;
  cached: boolean;
  trace_id: string | null;
  error: string | null;
}

export const active = (s: Status) => s === 'queued' || s === 'running';

/** 0.72 → "72%": whole percents, one decimal where rounding would say 0% or 100% of something that is not. */
export function pct(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const p = x * 100;
  const r = Math.round(p);
  return `${(r === 0 && p > 0) || (r === 100 && p < 100) ? p.toFixed(1) : r}%`;
}

/** A rate with its interval: `72% [61–81%]`. */
export function pctInterval(i: Interval): string {
  if (i.value === null) return '—';
  if (i.low === null || i.high === null) return pct(i.value);
  return `${pct(i.value)} [${pct(i.low).replace('%', '')}–${pct(i.high)}]`;
}

export const num = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

/** A score with its interval: `0.72 [0.61–0.81]`. */
export function numInterval(i: Interval): string {
  if (i.value === null) return '—';
  if (i.low === null || i.high === null) return num(i.value);
  return `${num(i.value)} [${num(i.low)}–${num(i.high)}]`;
}

export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** A signed difference of rates in percentage points: `+12 pp`, `−40 pp`. */
export function pp(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const v = Math.round(x * 1000) / 10;
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v)} pp`;
}

export const signed = (x: number, d = 2) => `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(d)}`;
