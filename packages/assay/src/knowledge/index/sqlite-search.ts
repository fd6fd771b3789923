/**
 * Hybrid search on SQLite. Each arm ranks a candidate pool (k, or 4·k when fused or reranked):
 *  - vector: sign-bit codes pick the nearest `max(400, 10·pool)` chunks by Hamming distance (in
 *    memory, O(n)), which are then ranked by exact cosine distance (sqlite-vec's
 *    vec_distance_cosine over the stored float32 vectors). With a filter, only matching chunks are
 *    considered, and when at most that many match they are all ranked exactly.
 *  - text: FTS5 MATCH over the base's own table, ranked by bm25(); common query terms are dropped
 *    when rarer ones remain (fts-query.ts).
 *  - hybrid: reciprocal rank fusion (k = 60) of both pools.
 */
import type { Database } from 'better-sqlite3';
import type { BinaryCodes } from './binary.js';
import { signCode } from './binary.js';
import { ftsMatchExpression, pruneCommonTerms, queryTerms } from './fts-query.js';
import { filterSql, type SqlFragment } from './metadata-sql.js';
import { reciprocalRankFusion } from './rrf.js';
import { ftsTable, ftsVocabTable } from './schema.js';
import type { KnowledgeBase, Metadata, SearchHit, SearchQuery } from './types.js';
import { normalizeQuery, toVector } from './validate.js';

/** Fewest chunks the first (approximate) vector stage hands to exact rescoring. */
export const MIN_RESCORE = 400;
/** Rescored chunks per pooled result. */
export const RESCORE_FACTOR = 10;
/** Pool per arm = POOL_FACTOR · k when arms are fused or results reranked. */
export const POOL_FACTOR = 4;

export interface ArmHit {
  id: number;
  value: number;
}

export interface SearchDeps {
  codes: () => BinaryCodes;
  /** A reranker follows: hand it the whole fused pool, not just k. */
  rerank: boolean;
}

export function searchSqlite(db: Database, kb: KnowledgeBase, query: SearchQuery, deps: SearchDeps): SearchHit[] {
  const q = normalizeQuery(query);
  const vector = q.arms === 'text' ? null : toVector(kb, query.vector, 'the query vector');
  const pool = q.arms === 'hybrid' || deps.rerank ? q.k * POOL_FACTOR : q.k;
  const filter = q.filter.length ? filterSql(q.filter) : null;
  const vec = vector ? vectorArm(db, kb, vector, pool, filter, deps.codes) : [];
  const txt = q.text !== null && q.arms !== 'vector' ? textArm(db, kb, q.text, pool, filter, () => deps.codes().count) : [];
  const vecRank = new Map(vec.map((h, i) => [h.id, i]));
  const txtRank = new Map(txt.map((h, i) => [h.id, i]));
  let ordered: { id: number; score: number }[];
  if (q.arms === 'hybrid') ordered = reciprocalRankFusion([vec.map((h) => h.id), txt.map((h) => h.id)]);
  else if (q.arms === 'vector') ordered = vec.map((h) => ({ id: h.id, score: 1 - h.value }));
  else ordered = txt.map((h) => ({ id: h.id, score: -h.value }));
  ordered = ordered.slice(0, pool);
  const rows = hydrate(db, ordered.map((o) => o.id));
  const hits: SearchHit[] = [];
  for (const o of ordered) {
    const r = rows.get(o.id);
    if (!r) continue; // deleted between the arms and here (another connection)
    const hit: SearchHit = {
      chunkId: o.id, documentId: r.document_id, source: r.source, chunkIndex: r.chunk_index, text: r.text,
      metadata: JSON.parse(r.metadata) as Metadata, score: o.score,
    };
    const vi = vecRank.get(o.id);
    if (vi !== undefined) {
      hit.vectorRank = vi + 1;
      hit.vectorDistance = vec[vi].value;
    }
    const ti = txtRank.get(o.id);
    if (ti !== undefined) {
      hit.textRank = ti + 1;
      hit.bm25 = txt[ti].value;
    }
    hits.push(hit);
  }
  return hits;
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
  const want = Math.max(MIN_RESCORE, pool * RESCORE_FACTOR);
  let mask: Uint8Array | null = null;
  const codes = codesOf();
  if (filter) {
    const ids = db
      .prepare(`SELECT c.id FROM knowledge_chunks c WHERE c.kb_id = ? AND ${filter.sql}`)
      .pluck()
      .all(kb.id, ...filter.params) as number[];
    if (ids.length <= want) return rescore(db, vector, ids, pool); // few enough: all ranked exactly
    mask = codes.positionsOf(ids);
  }
  const candidates = codes.count <= want && !mask ? Array.from(codes.ids) : codes.nearest(signCode(vector), want, mask);
  return rescore(db, vector, candidates, pool);
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

interface ChunkRow { id: number; document_id: string; chunk_index: number; text: string; metadata: string; source: string }

function hydrate(db: Database, ids: number[]): Map<number, ChunkRow> {
  if (ids.length === 0) return new Map();
  const rows = db
    .prepare(
      `SELECT c.id, c.document_id, c.chunk_index, c.text, c.metadata, d.source FROM knowledge_chunks c
       JOIN knowledge_documents d ON d.kb_id = c.kb_id AND d.id = c.document_id
       WHERE c.id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(ids)) as ChunkRow[];
  return new Map(rows.map((r) => [r.id, r]));
}
