/**
 * Format-independent inputs and outputs of the training-data exports: preference and completion
 * records (built from annotations by sources.ts), the provenance each carries, the export options
 * and the result of `exportRows`. The wire shapes of each format live in schemas.ts and formats.ts.
 */
import type { ChatMessage, FunctionTool } from '../../gateway/types.js';
import type { Redactor } from '../../tracing/redact.js';

/** The prompt side of an example: every turn before the answer, plus the tools offered. */
export interface Conversation {
  messages: ChatMessage[];
  tools?: FunctionTool[];
  parallel_tool_calls?: boolean;
}

/** Where an example came from: written to the provenance sidecar, one entry per exported row. */
export interface Provenance {
  trace_ids: string[];
  observation_ids?: string[];
  annotators: string[];
  /** Inter-annotator agreement of the underlying annotations (null when unknown, e.g. one annotator). */
  agreement?: number | null;
  prompt_name?: string | null;
  prompt_version?: number | null;
  queue?: string;
  question?: string;
  /** Epoch milliseconds of the annotation. */
  created_at?: number;
}

export interface PreferenceRecord {
  /** Stable id: the train/test split hashes it, dedupe reports it. */
  id: string;
  prompt: Conversation;
  chosen: ChatMessage;
  rejected: ChatMessage;
  /** How much better `chosen` is (rating gap, pairwise strength); TRL's optional `margin` column. */
  margin?: number;
  source: 'pairwise' | 'rating_gap' | 'correction';
  provenance: Provenance;
}

export interface CompletionRecord {
  id: string;
  prompt: Conversation;
  completion: ChatMessage;
  /** KTO/BCO: desirable (true) or not (false). SFT formats refuse `false`. */
  label?: boolean;
  /** OpenAI SFT: written as the answer's `weight` (0 = do not train on this turn). */
  weight?: 0 | 1;
  source: 'correction' | 'rating' | 'accepted';
  provenance: Provenance;
}

export type ExportRecord = PreferenceRecord | CompletionRecord;

export const EXPORT_FORMATS = [
  'trl-preference',
  'trl-preference-implicit',
  'trl-unpaired',
  'trl-prompt-completion',
  'openai-sft',
  'openai-dpo',
] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** TRL rows: plain text (`standard`) or lists of `{role, content}` messages (`conversational`). */
export type TrlStyle = 'standard' | 'conversational';

export interface ExportOptions {
  /** TRL formats only; default 'conversational' (works for every prompt; 'standard' needs one user message). */
  style?: TrlStyle;
  /** Share of rows sent to the test split, 0..1 (default 0). */
  testFraction?: number;
  /** Seed of the split hash (default ''). */
  seed?: string;
  /** Drop identical rows, and preferences with the same prompt, chosen and rejected (default true). */
  dedupe?: boolean;
  /** PII scrub applied to every string of a row before it is validated and written. */
  redact?: Redactor | null;
  /** Keep records whose agreement is at least this (records with unknown agreement are dropped). */
  minAgreement?: number;
  /** Keep preferences whose margin is at least this (preferences without a margin are dropped). */
  minMargin?: number;
  queue?: string;
  question?: string;
  /** Keep records created at or after / before this epoch-millisecond time. */
  since?: number;
  until?: number;
  /** Standard implicit-prompt rows: text between the prompt and the answer (default '': TRL's prompt + completion). */
  separator?: string;
}

export type Split = 'train' | 'test';

export interface ExportRow {
  split: Split;
  /** One JSONL line (no trailing newline), exactly as written. */
  line: string;
}

export interface ProvenanceEntry extends Provenance {
  id: string;
  split: Split;
  source: ExportRecord['source'];
}

export interface ExportStats {
  input: number;
  written: number;
  train: number;
  test: number;
  filtered: number;
  duplicates: number;
  rejected: number;
  warnings: string[];
}

export interface ExportResult {
  rows: ExportRow[];
  /** One entry per row, same order. */
  provenance: ProvenanceEntry[];
  /** Records that could not become a valid row, with the reason. */
  rejected: { id: string; reason: string }[];
  /** Records left out on purpose: filters and duplicates. */
  skipped: { id: string; reason: string }[];
  stats: ExportStats;
}
