/** The memory service's public types and its one domain error (a changed embedding model). */
import { AssayError } from '../errors.js';
import { describeOwner, ownerPath } from './owner.js';
import type { Span } from '../tracing/span.js';

/** Who wrote a memory: the `remember` tool, extraction after a conversation, or the /api/memory API. */
export type MemorySource = 'tool' | 'extracted' | 'api';
export const MEMORY_SOURCES: readonly MemorySource[] = ['tool', 'extracted', 'api'];

export interface Memory {
  id: string;
  userId: string;
  text: string;
  source: MemorySource;
  metadata: Record<string, unknown> | null;
  /** The trace that stored it (tool call, extraction), when known. */
  traceId: string | null;
  /** The embedding model and dimensions of its stored vector. */
  model: string;
  dims: number;
  createdAt: number;
  /** Last time it was stored again (an identical fact refreshes it); eviction drops the least recent. */
  updatedAt: number;
}

export interface MemoryUser {
  userId: string;
  count: number;
  model: string;
  dims: number;
  updatedAt: number;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface CallOptions {
  /** The embedding (and extraction) observations become children of this span, else a new trace. */
  parent?: Span;
  signal?: AbortSignal;
}

export interface RememberOptions extends CallOptions {
  source: MemorySource;
  metadata?: Record<string, unknown> | null;
  traceId?: string | null;
}

export interface Remembered {
  id: string;
  /** false: the same fact (normalized text) was stored already; its updated time was refreshed. */
  created: boolean;
}

export interface RecallOptions extends CallOptions {
  /** How many memories (1–50); default `memory.recall_k`. */
  k?: number;
}

export interface RecallHit {
  id: string;
  text: string;
  /** Reciprocal-rank-fusion score (k = 60) of the vector and full-text ranks: higher is better. */
  score: number;
  createdAt: number;
  /** 1-based rank in the vector arm's pool, when there. */
  vectorRank?: number;
  /** Cosine similarity to the query, when in the vector arm's pool. */
  similarity?: number;
  /** 1-based rank in the full-text arm's pool, when there. */
  textRank?: number;
}

/**
 * The user's memories were embedded with another model (or another number of dimensions) than
 * `memory.embedding_model` now gives: their vectors cannot be compared with new ones.
 */
export function modelMismatch(owner: string, stored: { model: string; dims: number; count: number }, configured: { model: string; dims?: number }): AssayError {
  const now = configured.dims !== undefined ? `${configured.model} (${configured.dims} dimensions)` : configured.model;
  return new AssayError({
    status: 409,
    code: 'memory_model_mismatch',
    headers: { 'x-should-retry': 'false' },
    message:
      `the ${stored.count} memories of ${describeOwner(owner)} were embedded with ${stored.model} (${stored.dims} dimensions), ` +
      `but memory.embedding_model is now ${now}: re-embed them (POST ${ownerPath(owner, '/reembed')}) ` +
      `or wipe them (DELETE ${ownerPath(owner)}), or set memory.embedding_model back to ${stored.model}`,
  });
}
