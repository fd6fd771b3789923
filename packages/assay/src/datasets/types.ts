/**
 * The dataset model (docs/datasets.md): a dataset holds items (an input — chat messages or
 * template variables —, an optional expected output, optional promptfoo-style assertions,
 * metadata, and the trace it came from), and every write makes a new immutable version.
 */
import type { ChatMessage } from '../gateway/types.js';

/** A dataset name: letters, digits, "_", ".", "-" and "/" (not first), at most 200. */
export const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,199}$/;

/** An item's input: a conversation, or the variables of a prompt template (promptfoo `vars`). */
export type ItemInput = { messages: ChatMessage[] } | { vars: Record<string, unknown> };

/** A promptfoo-style assertion (`type`, `value`, `threshold`, `weight`, `metric`, …), stored as given. */
export interface Assertion {
  type: string;
  [k: string]: unknown;
}

export interface ItemSource {
  trace_id: string;
  observation_id: string | null;
}

/** An item as written: what an import line, an API body or a trace becomes. */
export interface ItemDraft {
  /** Absent: a new id is generated (or, on replace, the id of an identical current item is reused). */
  id?: string;
  input: ItemInput;
  expected: unknown;
  assert: Assertion[] | null;
  metadata: Record<string, unknown> | null;
  source: ItemSource | null;
}

/** One item of one dataset version. */
export interface DatasetItem {
  id: string;
  input: ItemInput;
  /** Any JSON value or a string; null when there is none. */
  expected: unknown;
  assert: Assertion[] | null;
  metadata: Record<string, unknown> | null;
  source: ItemSource | null;
  /** The version this revision of the item first appeared in. */
  version: number;
  /** When the item (this id) was first added, and when this revision was written (epoch ms). */
  created_at: number;
  updated_at: number;
}

export interface Dataset {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  metadata: Record<string, unknown> | null;
  /** The current version (0: created, no items yet). */
  version: number;
  /** Items in the current version. */
  items: number;
  created_at: number;
  updated_at: number;
}

/** What made a version. */
export type VersionOrigin = 'create' | 'items' | 'update' | 'delete' | 'import' | 'traces';

export interface DatasetVersion {
  version: number;
  origin: VersionOrigin;
  /** The key id that wrote it. */
  author: string | null;
  added: number;
  updated: number;
  removed: number;
  /** Items in this version. */
  items: number;
  created_at: number;
}

/**
 * How a batch is written. append: every item is new (an id already in the dataset is an error);
 * upsert: items with a known id replace that item, others are added; replace: the dataset becomes
 * exactly these items (known ids updated, unknown added, every other item removed).
 */
export type WriteMode = 'append' | 'upsert' | 'replace';
export const WRITE_MODES: readonly WriteMode[] = ['append', 'upsert', 'replace'];

export interface WriteResult {
  /** The version after the write (unchanged when nothing changed: no version is made then). */
  version: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  /** The ids of the written items, in input order. */
  ids: string[];
}

export type DataFormat = 'jsonl' | 'csv';

/** A problem with one line (JSONL), row (CSV) or batch entry, for the error list of a failed import. */
export interface RowError {
  /** 1-based line of the file where the row starts; for API batches, the entry index (0-based). */
  line?: number;
  index?: number;
  /** The CSV column or the JSON field. */
  column?: string;
  message: string;
}

/** Row errors listed in one failed import (the rest are counted). */
export const MAX_ROW_ERRORS = 20;

/** An item read from a file or a batch, with where it was (for errors found when it is written). */
export interface LocatedItem {
  item: ItemDraft;
  line?: number;
  index?: number;
}

export interface ParseResult {
  items: LocatedItem[];
  errors: RowError[];
}
