/**
 * Experiments: what is run (a dataset version or inline items × variants × repeats, with
 * assertions), what each run produced (ResultRow), and the statistics over it (Summary).
 */
import type { ChatMessage } from '../../gateway/types.js';

/** One way of answering: a model or route, optionally a registry prompt or an inline template, parameters. */
export interface VariantSpec {
  /** Short label shown in tables and used in results; unique within the experiment. */
  id: string;
  /** A route name or "<provider>/<model>". */
  model: string;
  /** A registry prompt; its variables come from the item's vars. */
  prompt?: { name: string; version?: number; label?: string };
  /** An inline template (promptfoo `prompts:` entries): chat messages whose contents may hold {{vars}}. */
  messages?: ChatMessage[];
  /** Request parameters (temperature, max_tokens, response_format …); the prompt's config fills what is unset. */
  params?: Record<string, unknown>;
}

/** A test case given inline (an eval file's `tests:`); the same shape as a dataset item. */
export interface InlineItem {
  id: string;
  vars?: Record<string, unknown>;
  messages?: ChatMessage[];
  expected?: unknown;
  assert?: AssertionLike[];
  description?: string;
  threshold?: number;
  metadata?: Record<string, unknown>;
}

/** A promptfoo-style assertion (validated by the scorers module when the experiment is created). */
export interface AssertionLike {
  type: string;
  [k: string]: unknown;
}

export interface ExperimentDefinition {
  name: string;
  description?: string;
  /** Items from a dataset (the version is pinned when the run starts) … */
  dataset?: { name: string; version?: number };
  /** … or given inline. */
  items?: InlineItem[];
  variants: VariantSpec[];
  /** Runs per item and variant (pass@k, pass^k and flakiness need > 1). */
  repeats: number;
  /** Assertions applied to every item, before the item's own (promptfoo `defaultTest.assert`). */
  assert: AssertionLike[];
  /** Calls in flight at once. */
  concurrency: number;
  /** Grader model for model-graded assertions that name none. */
  grader?: string;
  /** Tags added to every call's trace (besides `experiment:<id>`). */
  tags?: string[];
}

export type ExperimentStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface AssertionOutcome {
  type: string;
  pass: boolean;
  score: number;
  reason: string;
  metric?: string;
  error?: string;
  metadata?: Record<string, unknown>;
}

export interface ResultRow {
  itemId: string;
  variant: string;
  repeat: number;
  output: string | null;
  pass: boolean;
  score: number;
  assertions: AssertionOutcome[];
  latencyMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cost: number | null;
  /** Served from a cache (reported, never silently mixed in). */
  cached: boolean;
  traceId: string | null;
  /** The call failed (the run counts as failed, score 0). */
  error: string | null;
}

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
  /** pass@k and pass^k for k = repeats (null with one repeat). */
  passAtK: number | null;
  passHatK: number | null;
  flakyItems: string[];
  latencyMs: { p50: number | null; p95: number | null };
  cost: { total: number | null; perRun: number | null };
  tokens: { input: number; output: number };
  /** On the quality/cost frontier: no other variant is both better and cheaper. */
  frontier: boolean;
}

export interface Comparison {
  baseline: string;
  variant: string;
  /** Items both variants ran. */
  items: number;
  passRateDiff: number | null;
  mcnemar: { b: number; c: number; p: number; method: string } | null;
  scoreDiff: { mean: number; low: number; high: number; p: number; effectSize: number | null } | null;
  /** Significant after Benjamini–Hochberg over all comparisons (q = 0.05). */
  significant: boolean;
  regression: boolean;
  warning: string | null;
}

export interface Summary {
  variants: VariantSummary[];
  comparisons: Comparison[];
  k: number;
}

export interface ExperimentRecord {
  id: string;
  projectId: string;
  name: string;
  status: ExperimentStatus;
  definition: ExperimentDefinition;
  dataset: string | null;
  datasetVersion: number | null;
  total: number;
  done: number;
  summary: Summary | null;
  error: string | null;
  createdBy: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}
