/**
 * Hybrid search on SQLite. Each arm ranks a candidate pool (k, or 4·k when fused or reranked):
 *  - vector: sign-bit codes pick the nearest `max(400, 10·pool)` chunks by Hamming distance (in
 *    memory, O(n)), which are then ranked by exact cosine distance (sqlite-vec's
 *    vec_distance_cosine over the stored float32 vectors). With a filter, only matching chunks are
 *    considered, and when at most that many match they are all ranked exactly.
 *  - text: FTS5 MATCH over the base's own table, ranked by bm25(); common query terms are dropped
 *    when rarer ones remain (fts-query.ts).
 *  - hybrid: reciprocal rank fusion (k = 60) of both pools.
 * The pipeline around the arms is shared with PostgreSQL (search-common.ts).
 */
import type { Database } from 'better-sqlite3';
import type { BinaryCodes } from './binary.js';
import { ftsMatchExpression, pruneCommonTerms, queryTerms } from './fts-query.js';
import { filterSql, type SqlFragment } from './metadata-sql.js';
import { ftsTable, ftsVocabTable } from './schema.js';
import {
  buildHits, fuseArms, needsCodes, planSearch, vectorCandidates, type ArmHit, type ChunkRow, type TextValue,
} from './search-common.js';
import type { KnowledgeBase, Metadata, SearchHit, SearchQuery } from './types.js';

export { MIN_RESCORE, RESCORE_FACTOR, POOL_FACTOR, type ArmHit } from './search-common.js';

export interface SearchDeps {
  codes: () => BinaryCodes;
  /** A reranker follows: hand it the whole fused pool, not just k. */
  rerank: boolean;
}

/** FTS5's bm25() is negative, lower is better: the score is its negation. */
const BM25: TextValue = { score: (v) => -v, isBm25: true };

export function searchSqlite(db: Database, kb: KnowledgeBase, query: SearchQuery, deps: SearchDeps): SearchHit[] {
  const plan = planSearch(kb, query, deps.rerank);
  const filter = plan.q.filter.length ? filterSql(plan.q.filter) : null;
  const vec = plan.vector ? vectorArm(db, kb, plan.vector, plan.pool, filter, deps.codes) : [];
  const txt = plan.text ? textArm(db, kb, plan.q.text as string, plan.pool, filter, () => deps.codes().count) : [];
  const ordered = fuseArms(plan, vec, txt, BM25);
  return buildHits(ordered, vec, txt, hydrate(db, ordered.map((o) => o.id)), BM25);
}

/** Exact cosine distances for these chunk ids, nearest first (ties by chunk id), at most `limit`. */
export function rescore(db: Database, vector: Float32Array, ids: readonly number[], limit: number): ArmHit[] {
  if (ids.length === 0) return [];
  return db
    .prepare(
      `SELECT chunk_id AS id, vec_distance_cosine(embedding, ?) AS value FROM knowledge_vectors
       WHERE chunk_id IN (SELECT value FROM json_each(?)) ORDER BY value, chunk_id LIMIT ?`,
    )
    .all(vector, JSON.stringify(ids), limit) as ArmHit[];
}

function vectorArm(db: Database, kb: KnowledgeBase, vector: Float32Array, pool: number, filter: SqlFragment | null, codesOf: () => BinaryCodes): ArmHit[] {
  const ids = filter
    ? (db.prepare(`SELECT c.id FROM knowledge_chunks c WHERE c.kb_id = ? AND ${filter.sql}`).pluck().all(kb.id, ...filter.params) as number[])
    : null;
  const codes = needsCodes(pool, ids) ? codesOf() : null;
  return rescore(db, vector, vectorCandidates(codes, vector, pool, ids), pool);
}

function textArm(db: Database, kb: KnowledgeBase, text: string, pool: number, filter: SqlFragment | null, chunkCount: () => number): ArmHit[] {
  let terms = queryTerms(text);
  if (terms.length > 1) {
    const df = db.prepare(`SELECT term, doc FROM ${ftsVocabTable(kb.id)} WHERE term IN (SELECT value FROM json_each(?))`).raw().all(JSON.stringify(terms)) as [string, number][];
    terms = pruneCommonTerms(terms, new Map(df), chunkCount());
  }
  const match = ftsMatchExpression(terms);
  if (match === null) return [];
  const fts = ftsTable(kb.id);
  if (!filter) {
    return db.prepare(`SELECT rowid AS id, rank AS value FROM ${fts} WHERE ${fts} MATCH ? ORDER BY rank LIMIT ?`).all(match, pool) as ArmHit[];
  }
  return db
    .prepare(
      `SELECT f.rowid AS id, f.rank AS value FROM ${fts} f JOIN knowledge_chunks c ON c.id = f.rowid
       WHERE f.${fts} MATCH ? AND ${filter.sql} ORDER BY f.rank LIMIT ?`,
    )
    .all(match, ...filter.params, pool) as ArmHit[];
}

interface Row { id: number; document_id: string; chunk_index: number; text: string; metadata: string; source: string }

function hydrate(db: Database, ids: number[]): Map<number, ChunkRow> {
  if (ids.length === 0) return new Map();
  const rows = db
    .prepare(
      `SELECT c.id, c.document_id, c.chunk_index, c.text, c.metadata, d.source FROM knowledge_chunks c
       JOIN knowledge_documents d ON d.kb_id = c.kb_id AND d.id = c.document_id
       WHERE c.id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(ids)) as Row[];
  return new Map(rows.map((r) => [r.id, {
    id: r.id, documentId: r.document_id, chunkIndex: r.chunk_index, text: r.text, metadata: JSON.parse(r.metadata) as Metadata, source: r.source,
  }]));
}
