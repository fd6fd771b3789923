/**
 * The JSON shapes of knowledge bases, documents, ingest results and search hits on the wire
 * (/api/kb, and the retrieve tool's output): snake_case, nulls instead of absent values.
 * docs/knowledge.md documents every field.
 */
import type { IngestResult } from './ingest.js';
import type { DocumentRecord, KnowledgeBase, Metadata, SearchHit } from './index/types.js';

export interface KbJson {
  id: string;
  name: string;
  embedding_model: string;
  dims: number;
  description: string | null;
  created_at: number;
  documents?: number;
  chunks?: number;
}

export interface DocumentJson {
  id: string;
  source: string;
  content_hash: string;
  metadata: Metadata;
  version: number;
  chunks: number;
  updated_at: number;
}

export interface HitJson {
  chunk_id: number;
  document_id: string;
  source: string;
  chunk_index: number;
  text: string;
  metadata: Metadata;
  /** hybrid: the RRF score; vector: 1 − cosine distance; text: −bm25. Higher is better. */
  score: number;
  /** What each arm said about this chunk; null when the arm did not return it (or did not run). */
  arms: {
    vector: { rank: number; distance: number } | null;
    /** bm25: the FTS5 bm25() value (negative, lower is better); null where the store ranks otherwise (PostgreSQL). */
    text: { rank: number; bm25: number | null } | null;
  };
}

export interface IngestResultJson {
  id: string;
  source: string;
  status: IngestResult['status'];
  chunks: number;
  embedded: number;
  cached: number;
  replaced: number;
  version: number | null;
  error: { code: string; message: string } | null;
}

export function kbJson(kb: KnowledgeBase, counts?: { documents: number; chunks: number }): KbJson {
  return {
    id: kb.id,
    name: kb.name,
    embedding_model: kb.model,
    dims: kb.dims,
    description: kb.description,
    created_at: kb.createdAt,
    ...(counts ? { documents: counts.documents, chunks: counts.chunks } : {}),
  };
}

export function documentJson(d: DocumentRecord): DocumentJson {
  return { id: d.id, source: d.source, content_hash: d.contentHash, metadata: d.metadata, version: d.version, chunks: d.chunkCount, updated_at: d.updatedAt };
}

export function hitJson(h: SearchHit): HitJson {
  return {
    chunk_id: h.chunkId,
    document_id: h.documentId,
    source: h.source,
    chunk_index: h.chunkIndex,
    text: h.text,
    metadata: h.metadata,
    score: h.score,
    arms: {
      vector: h.vectorRank !== undefined ? { rank: h.vectorRank, distance: h.vectorDistance as number } : null,
      text: h.textRank !== undefined ? { rank: h.textRank, bm25: h.bm25 ?? null } : null,
    },
  };
}

export function ingestResultJson(r: IngestResult): IngestResultJson {
  return {
    id: r.id,
    source: r.source,
    status: r.status,
    chunks: r.chunks,
    embedded: r.embedded,
    cached: r.cached,
    replaced: r.replaced,
    version: r.version ?? null,
    error: r.error ? { code: r.error.code, message: r.error.message } : null,
  };
}
