/**
 * Hybrid search on PostgreSQL, without extensions. Each arm ranks a pool (k, or 4·k when fused or
 * reranked), the arms run concurrently on two pool connections:
 *  - vector: the base's sign-bit codes (loaded into memory, see PgKnowledgeIndex) pick the nearest
 *    `max(400, 10·pool)` chunks by Hamming distance; their float32 vectors are read by chunk id and
 *    ranked by exact cosine distance in JS. With a filter only matching chunks are considered, all
 *    of them exactly when few enough (search-common.ts, the same as on SQLite).
 *  - text: the query's folded words, OR-ed, against the GIN-indexed tsvector column, ranked by
 *    ts_rank_cd (cover density, normalized by 1 + log(length)). Not BM25: no term rarity weight.
 *    RRF fuses ranks, not values, so the hybrid result is comparable. Common words are dropped when
 *    rarer ones remain, from the per-base counts in knowledge_terms (as fts5vocab on SQLite).
 *  - hybrid: reciprocal rank fusion (k = 60) of both pools.
 */
import type { Pool } from 'pg';
import { BinaryCodes, wordsFor } from './binary.js';
import { blobToVector } from './common.js';
import { pruneCommonTerms, queryTerms } from './fts-query.js';
import { metadataFilterSql, tsqueryOf, type PgFragment } from './postgres-sql.js';
import {
  buildHits, fuseArms, needsCodes, planSearch, rankByCosine, vectorCandidates, type ArmHit, type ChunkRow, type TextValue,
} from './search-common.js';
import type { KnowledgeBase, Metadata, SearchHit, SearchQuery } from './types.js';

/** ts_rank_cd normalization 1: the rank divided by 1 + log(words in the chunk). */
export const TS_RANK_NORMALIZATION = 1;
const TS_RANK: TextValue = { score: (v) => v, isBm25: false };

export interface PgSearchDeps {
  /** The base's sign-bit codes, current for its generation. */
  codes: () => Promise<BinaryCodes>;
  /** Chunks in the base (for the common-term threshold). */
  chunkCount: number;
  /** A reranker follows: hand it the whole fused pool, not just k. */
  rerank: boolean;
}

export async function searchPostgres(pool: Pool, kb: KnowledgeBase, query: SearchQuery, deps: PgSearchDeps): Promise<SearchHit[]> {
  const plan = planSearch(kb, query, deps.rerank);
  const filter = plan.q.filter.length ? plan.q.filter : null;
  const [vec, txt] = await Promise.all([
    plan.vector ? vectorArm(pool, kb, plan.vector, plan.pool, filter, deps.codes) : [],
    plan.text ? textArm(pool, kb, plan.q.text as string, plan.pool, filter, deps.chunkCount) : [],
  ]);
  const ordered = fuseArms(plan, vec, txt, TS_RANK);
  return buildHits(ordered, vec, txt, await hydrate(pool, ordered.map((o) => o.id)), TS_RANK);
}

type Filter = Parameters<typeof metadataFilterSql>[0];

/** Chunk ids from a bytea of big-endian int8 values (int8send), as `string_agg` returns them. */
export function idsFromBytes(b: Uint8Array | null): Float64Array {
  if (!b) return new Float64Array(0);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float64Array(b.byteLength >>> 3);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 8) * 2 ** 32 + view.getUint32(i * 8 + 4);
  return out;
}

/** Exact cosine distances for these chunk ids (read from knowledge_vectors), nearest first, at most `limit`. */
export async function rescore(pool: Pool, vector: Float32Array, ids: readonly number[], limit: number): Promise<ArmHit[]> {
  if (ids.length === 0) return [];
  const { rows } = await pool.query<{ chunk_id: number | string; embedding: Buffer }>(
    'SELECT v.chunk_id, v.embedding FROM unnest($1::int8[]) AS u (id) JOIN knowledge_vectors v ON v.chunk_id = u.id',
    [ids],
  );
  return rankByCosine(vector, rows.map((r) => ({ id: Number(r.chunk_id), vector: blobToVector(r.embedding) })), limit);
}

async function vectorArm(pool: Pool, kb: KnowledgeBase, vector: Float32Array, size: number, filter: Filter | null, codesOf: () => Promise<BinaryCodes>): Promise<ArmHit[]> {
  let ids: number[] | null = null;
  if (filter) {
    const f = metadataFilterSql(filter, 2);
    const { rows } = await pool.query<{ ids: Buffer | null }>(
      `SELECT string_agg(int8send(c.id), ''::bytea ORDER BY c.id) AS ids FROM knowledge_chunks c WHERE c.kb_id = $1 AND ${f.sql}`,
      [kb.id, ...f.params],
    );
    ids = Array.from(idsFromBytes(rows[0]?.ids ?? null));
  }
  const codes = needsCodes(size, ids) ? await codesOf() : null;
  return rescore(pool, vector, vectorCandidates(codes, vector, size, ids), size);
}

async function textArm(pool: Pool, kb: KnowledgeBase, text: string, size: number, filter: Filter | null, chunkCount: number): Promise<ArmHit[]> {
  let terms = queryTerms(text);
  if (terms.length > 1) {
    const { rows } = await pool.query<{ term: string; docs: number }>(
      'SELECT term, docs FROM knowledge_terms WHERE kb_id = $1 AND term = ANY($2::text[])',
      [kb.id, terms],
    );
    terms = pruneCommonTerms(terms, new Map(rows.map((r) => [r.term, Number(r.docs)])), chunkCount);
  }
  const tsquery = tsqueryOf(terms);
  if (tsquery === null) return [];
  const f: PgFragment = filter ? metadataFilterSql(filter, 4) : { sql: 'true', params: [] };
  const { rows } = await pool.query<{ id: number | string; value: number }>(
    `SELECT c.id, ts_rank_cd(c.tsv, q, ${TS_RANK_NORMALIZATION}) AS value
     FROM knowledge_chunks c, CAST($2 AS tsquery) AS q
     WHERE c.kb_id = $1 AND c.tsv @@ q AND ${f.sql}
     ORDER BY value DESC, c.id LIMIT $3`,
    [kb.id, tsquery, size, ...f.params],
  );
  return rows.map((r) => ({ id: Number(r.id), value: Number(r.value) }));
}

interface Row { id: number | string; document_id: string; chunk_index: number; text: string; metadata: Metadata; source: string }

async function hydrate(pool: Pool, ids: number[]): Promise<Map<number, ChunkRow>> {
  if (ids.length === 0) return new Map();
  const { rows } = await pool.query<Row>(
    `SELECT c.id, c.document_id, c.chunk_index, c.text, c.metadata, d.source
     FROM unnest($1::int8[]) AS u (id) JOIN knowledge_chunks c ON c.id = u.id
     JOIN knowledge_documents d ON d.kb_id = c.kb_id AND d.id = c.document_id`,
    [ids],
  );
  return new Map(rows.map((r) => [Number(r.id), {
    id: Number(r.id), documentId: r.document_id, chunkIndex: r.chunk_index, text: r.text, metadata: r.metadata, source: r.source,
  }]));
}

/**
 * Reads a base's sign-bit codes in chunk id order, `batch` rows per statement, inside one
 * repeatable-read snapshot together with the base's generation, so the codes are exactly that
 * generation's. Each batch comes back as two bytea values (ids, codes), not one row per chunk.
 */
export async function loadCodes(pool: Pool, kbId: string, dims: number, batch: number): Promise<{ generation: number; codes: BinaryCodes }> {
  const words = wordsFor(dims);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const head = await client.query<{ generation: number | string; chunk_count: number | string }>(
      'SELECT generation, chunk_count FROM knowledge_bases WHERE id = $1', [kbId],
    );
    const generation = head.rows.length ? Number(head.rows[0].generation) : -1;
    const idParts: Float64Array[] = [];
    const codeParts: Buffer[] = [];
    let after = 0;
    for (;;) {
      const { rows } = await client.query<{ n: number; ids: Buffer | null; codes: Buffer | null }>(
        // Both aggregates read the same rows in the same order, so ids and codes line up; the
        // subquery's order makes it ascending (checked below), without a sort in the aggregate.
        `SELECT count(*)::int AS n, string_agg(int8send(chunk_id), ''::bytea) AS ids, string_agg(coarse, ''::bytea) AS codes
         FROM (SELECT chunk_id, coarse FROM knowledge_vectors WHERE kb_id = $1 AND chunk_id > $2 ORDER BY chunk_id LIMIT $3) s`,
        [kbId, after, batch],
      );
      const { n, ids, codes } = rows[0];
      if (n === 0) break;
      const part = idsFromBytes(ids);
      if (part.length !== n || codes?.byteLength !== n * words * 4) {
        throw new Error(`knowledge base ${kbId}: stored sign codes do not match its ${dims} dimensions`);
      }
      for (let i = 1; i < n; i++) if (!(part[i] > part[i - 1])) throw new Error(`knowledge base ${kbId}: sign codes did not arrive in chunk id order`);
      idParts.push(part);
      codeParts.push(codes);
      after = part[n - 1];
      if (n < batch) break;
    }
    await client.query('COMMIT');
    const total = idParts.reduce((s, p) => s + p.length, 0);
    const ids = new Float64Array(total);
    const codes = new Uint32Array(total * words);
    const bytes = new Uint8Array(codes.buffer);
    let at = 0;
    for (let i = 0; i < idParts.length; i++) {
      ids.set(idParts[i], at);
      bytes.set(codeParts[i], at * words * 4);
      at += idParts[i].length;
    }
    return { generation, codes: new BinaryCodes(ids, codes, words) };
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
