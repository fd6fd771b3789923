/** What strategies return and what the client reads in `assay.verification` (docs/verify.md). */
import type { ChatCompletion } from '../gateway/types.js';

/**
 * passed: the answer passed its check. failed: no answer passed (the best one is kept). abstained:
 * the check could not settle on an answer (vote below min_agreement, unsupported claims left).
 * skipped: nothing to verify (the model called a client tool).
 */
export type Verdict = 'passed' | 'failed' | 'abstained' | 'skipped';

export type StopReason = 'max_calls' | 'max_tokens' | 'timeout';

export interface AttemptReport {
  attempt: number;
  verdict: 'pass' | 'fail' | 'error';
  /** Why it failed, or what was found. */
  reason?: string;
  /** The answer read from it (vote), the program's result, the score (judge) … */
  answer?: string;
  score?: number;
  ms: number;
  /** The report of the wrapped strategy that produced this attempt's candidate. */
  inner?: VerificationReport;
  [k: string]: unknown;
}

export interface VerificationReport {
  strategy: string;
  verdict: Verdict;
  /** 0..1: agreement ratio (vote), supported share (check), score (judge), 1/0 (schema, program). */
  confidence: number | null;
  reason: string;
  attempts: AttemptReport[];
  /** Set when the budget stopped the strategy early. */
  stopped?: StopReason;
  /** On the outermost report: model calls, tokens and wall time of the whole verification. */
  calls?: number;
  tokens?: number;
  ms?: number;
  [k: string]: unknown;
}

/** One strategy's result: the answer to return (null when none was produced) and its report. */
export interface Outcome {
  completion: ChatCompletion | null;
  headers: Record<string, string>;
  report: VerificationReport;
}
