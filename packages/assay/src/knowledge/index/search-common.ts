/**
 * The search pipeline both implementations share (sqlite-search.ts, postgres-search.ts): the pool
 * size per arm, which chunks the vector arm ranks exactly (all of them when few, else the nearest by
 * sign-bit codes), reciprocal rank fusion of the arms, and the hits built from the fused order.
 * Each implementation supplies only the storage-specific parts: the filter's matching ids, exact
 * cosine over stored vectors, the text arm and the chunk rows. See docs/knowledge-search.md.
 */
import { signCode, type BinaryCodes } from './binary.js';
import { reciprocalRankFusion } from './rrf.js';
import type { KnowledgeBase, Metadata, SearchHit, SearchQuery } from './types.js';
import { normalizeQuery, toVector, type NormalizedQuery } from './validate.js';

/** Fewest chunks the first (approximate) vector stage hands to exact rescoring. */
export const MIN_RESCORE = 400;
/** Rescored chunks per pooled result. */
export const RESCORE_FACTOR = 10;
/** Pool per arm = POOL_FACTOR · k when arms are fused or results reranked. */
export const POOL_FACTOR = 4;

/** One arm's result: chunk id and the arm's raw value (distance, bm25 or ts_rank_cd). */
export interface ArmHit {
  id: number;
  value: number;
}

export interface SearchPlan {
  q: NormalizedQuery;
  /** The checked query vector, or null when the vector arm does not run. */
  vector: Float32Array | null;
  /** Whether the text arm runs. */
  text: boolean;
  /** Results each arm contributes. */
  pool: number;
}

/** Checks the query against the base and sizes the arms' pools (4·k when fused or reranked). */
export function planSearch(kb: KnowledgeBase, query: SearchQuery, rerank: boolean): SearchPlan {
  const q = normalizeQuery(query);
  const vector = q.arms === 'text' ? null : toVector(kb, query.vector, 'the query vector');
  const pool = q.arms === 'hybrid' || rerank ? q.k * POOL_FACTOR : q.k;
  return { q, vector, text: q.text !== null && q.arms !== 'vector', pool };
}

/** How many chunks the exact stage ranks for a pool. */
export const rescoreCount = (pool: number): number => Math.max(MIN_RESCORE, pool * RESCORE_FACTOR);

/** Whether the sign-bit codes are needed: not when a filter leaves few enough chunks to rank them all. */
export const needsCodes = (pool: number, filterIds: readonly number[] | null): boolean =>
  filterIds === null || filterIds.length > rescoreCount(pool);

/**
 * The chunk ids the exact stage ranks: all filter matches when they are few enough, else the
 * `rescoreCount(pool)` nearest by Hamming distance of the sign codes (among the filter's matches
 * when there is a filter), or every chunk of a small base.
 */
export function vectorCandidates(codes: BinaryCodes | null, vector: Float32Array, pool: number, filterIds: readonly number[] | null): number[] {
  const want = rescoreCount(pool);
  if (filterIds !== null && filterIds.length <= want) return [...filterIds];
  if (codes === null) throw new Error('vectorCandidates: the sign-bit codes are needed here');
  if (filterIds === null) return codes.count <= want ? Array.from(codes.ids) : codes.nearest(signCode(vector), want);
  return codes.nearest(signCode(vector), want, codes.positionsOf(filterIds));
}

/**
 * Exact cosine distances (1 − cos, in float64 over the float32 components) of candidates, nearest
 * first, ties by chunk id, at most `limit`. Zero vectors never reach here (toVector rejects them).
 */
export function rankByCosine(query: Float32Array, candidates: Iterable<{ id: number; vector: Float32Array }>, limit: number): ArmHit[] {
  let qq = 0;
  for (let i = 0; i < query.length; i++) qq += query[i] * query[i];
  const out: ArmHit[] = [];
  for (const { id, vector: v } of candidates) {
    if (v.length !== query.length) continue; // cannot happen: every vector of a base has its dims
    let dot = 0;
    let vv = 0;
    for (let i = 0; i < v.length; i++) {
      dot += v[i] * query[i];
      vv += v[i] * v[i];
    }
    out.push({ id, value: 1 - dot / Math.sqrt(qq * vv) });
  }
  out.sort((a, b) => a.value - b.value || a.id - b.id);
  return out.length > limit ? out.slice(0, limit) : out;
}

/** A chunk as a hit shows it (metadata already parsed). */
export interface ChunkRow {
  id: number;
  documentId: string;
  chunkIndex: number;
  text: string;
  metadata: Metadata;
  source: string;
}

export interface TextValue {
  /** The hit's score from the text arm's raw value (higher is better). */
  score(value: number): number;
  /** Whether the raw value is an FTS5 bm25() value (then it is returned as `bm25`). */
  isBm25: boolean;
}

/** Fuses the arms (or takes the one that ran) and keeps the first `pool` ids with their scores. */
export function fuseArms(plan: SearchPlan, vec: ArmHit[], txt: ArmHit[], text: TextValue): { id: number; score: number }[] {
  let ordered: { id: number; score: number }[];
  if (plan.q.arms === 'hybrid') ordered = reciprocalRankFusion([vec.map((h) => h.id), txt.map((h) => h.id)]);
  else if (plan.q.arms === 'vector') ordered = vec.map((h) => ({ id: h.id, score: 1 - h.value }));
  else ordered = txt.map((h) => ({ id: h.id, score: text.score(h.value) }));
  return ordered.slice(0, plan.pool);
}

/** The hits in fused order, with each arm's rank and raw value; ids without a row (deleted meanwhile) are skipped. */
export function buildHits(ordered: { id: number; score: number }[], vec: ArmHit[], txt: ArmHit[], rows: Map<number, ChunkRow>, text: TextValue): SearchHit[] {
  const vecRank = new Map(vec.map((h, i) => [h.id, i]));
  const txtRank = new Map(txt.map((h, i) => [h.id, i]));
  const hits: SearchHit[] = [];
  for (const o of ordered) {
    const r = rows.get(o.id);
    if (!r) continue; // deleted between the arms and here (another connection)
    const hit: SearchHit = {
      chunkId: o.id, documentId: r.documentId, source: r.source, chunkIndex: r.chunkIndex, text: r.text, metadata: r.metadata, score: o.score,
    };
    const vi = vecRank.get(o.id);
    if (vi !== undefined) {
      hit.vectorRank = vi + 1;
      hit.vectorDistance = vec[vi].value;
    }
    const ti = txtRank.get(o.id);
    if (ti !== undefined) {
      hit.textRank = ti + 1;
      if (text.isBm25) hit.bm25 = txt[ti].value;
    }
    hits.push(hit);
  }
  return hits;
}
