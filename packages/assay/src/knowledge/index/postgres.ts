/**
 * The knowledge index on PostgreSQL (node-postgres pool; tables from migration 005_knowledge): one
 * set of tables keyed by kb_id, vectors as float32 bytea, full text as a tsvector column with a GIN
 * index. No extension is needed (pgvector in particular). Writes are one transaction each and take
 * the base's row lock first, so writers of one base queue while other bases proceed; every write
 * bumps the base's `generation`, which tells each process (each PgKnowledgeIndex) that its
 * in-memory sign-bit codes of that base are stale. Searches are in postgres-search.ts.
 * Strings lose U+0000 (replaced by U+FFFD, see store/json.ts withoutNul): PostgreSQL text cannot
 * hold it. See docs/knowledge-search.md.
 */
import type { Pool, PoolClient } from 'pg';
import { badRequest } from '../../errors.js';
import { withoutNul } from '../../store/json.js';
import { signCode, type BinaryCodes } from './binary.js';
import {
  blob, blobToVector, checkListLimit, finishSearch, kbNotFound, newKbId, prepareDocument, prepareEmbeddings, type PreparedDocument,
} from './common.js';
import { loadCodes, searchPostgres } from './postgres-search.js';
import { tsvectorOf } from './postgres-sql.js';
import type {
  ChunkInput, DocumentInput, DocumentRecord, KnowledgeBase, KnowledgeIndex, Metadata, Rerank, SearchHit, SearchQuery, UpsertResult,
} from './types.js';
import { checkKbInput } from './validate.js';

/** Chunks per INSERT statement (bounds the statement size: 500 × 4,096 dims ≈ 8 MB of vectors). */
const INSERT_BATCH = 500;
const CACHE_LOOKUP_BATCH = 500;
/** Chunks per statement when loading a base's sign-bit codes. */
const CODES_BATCH = 50_000;

interface KbRow { id: string; name: string; model: string; dims: number; description: string | null; created_at: number | string; generation: number | string; chunk_count: number | string }
interface DocRow { kb_id: string; id: string; source: string; content_hash: string; metadata: Metadata; version: number; chunk_count: number; updated_at: number | string }

const toKb = (r: KbRow): KnowledgeBase => ({ id: r.id, name: r.name, model: r.model, dims: r.dims, description: r.description ?? null, createdAt: Number(r.created_at) });
const toDoc = (r: DocRow): DocumentRecord => ({
  kbId: r.kb_id, id: r.id, source: r.source, contentHash: r.content_hash, metadata: r.metadata,
  version: r.version, chunkCount: r.chunk_count, updatedAt: Number(r.updated_at),
});
const DOC_COLUMNS = 'kb_id, id, source, content_hash, metadata, version, chunk_count, updated_at';

export interface PgKnowledgeIndexOptions {
  /** Applied to every search that passes no rerank of its own. */
  rerank?: Rerank;
  now?: () => number;
  /** Chunks per statement when loading sign-bit codes (default 50,000; tests make it small). */
  codesBatch?: number;
}

export class PgKnowledgeIndex implements KnowledgeIndex {
  readonly pool: Pool;
  private readonly rerank: Rerank | undefined;
  private readonly now: () => number;
  private readonly codesBatch: number;
  /** In-memory sign-bit codes per base (a load in flight is shared), labelled with the generation they hold. */
  private readonly codes = new Map<string, { generation: number; codes: Promise<BinaryCodes> }>();

  /** The pool must reach a schema migrated by the store (migration 005_knowledge). */
  constructor(pool: Pool, opts: PgKnowledgeIndexOptions = {}) {
    this.pool = pool;
    this.rerank = opts.rerank;
    this.now = opts.now ?? Date.now;
    this.codesBatch = opts.codesBatch ?? CODES_BATCH;
  }

  async createKb(input: { name: string; model: string; dims: number; description?: string | null }): Promise<KnowledgeBase> {
    checkKbInput(input);
    const row = { id: newKbId(), name: input.name, model: withoutNul(input.model), dims: input.dims, description: input.description == null ? null : withoutNul(input.description), created_at: this.now() };
    const { rowCount } = await this.pool.query(
      `INSERT INTO knowledge_bases (id, name, model, dims, description, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING`,
      [row.id, row.name, row.model, row.dims, row.description, row.created_at],
    );
    if (!rowCount) throw badRequest(`a knowledge base named "${input.name}" exists already: pick another name or delete it first`, 'name', 'already_exists');
    return { id: row.id, name: row.name, model: row.model, dims: row.dims, description: row.description, createdAt: row.created_at };
  }

  async getKb(idOrName: string): Promise<KnowledgeBase | null> {
    const r = await this.kbRow(idOrName);
    return r ? toKb(r) : null;
  }

  async listKbs(): Promise<KnowledgeBase[]> {
    return (await this.pool.query<KbRow>('SELECT * FROM knowledge_bases ORDER BY name')).rows.map(toKb);
  }

  async deleteKb(kbId: string): Promise<boolean> {
    const kb = await this.kbRow(kbId);
    if (!kb) return false;
    // Documents, chunks, vectors and term counts go by ON DELETE CASCADE.
    const { rowCount } = await this.pool.query('DELETE FROM knowledge_bases WHERE id = $1', [kb.id]);
    this.codes.delete(kb.id);
    return (rowCount ?? 0) > 0;
  }

  async upsertDocument(kbId: string, doc: DocumentInput, chunks: ChunkInput[]): Promise<UpsertResult> {
    const kb = toKb(await this.requireKb(kbId));
    const p = storable(prepareDocument(kb, doc, chunks));
    const now = this.now();
    return this.transaction(async (c) => {
      await this.lockKb(c, kb.id, kbId);
      const existing = await c.query<{ version: number }>('SELECT version FROM knowledge_documents WHERE kb_id = $1 AND id = $2', [kb.id, p.docId]);
      const replaced = existing.rows.length ? await removeChunks(c, kb.id, p.docId) : 0;
      const version = existing.rows.length ? existing.rows[0].version + 1 : 1;
      await c.query(
        `INSERT INTO knowledge_documents (${DOC_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (kb_id, id) DO UPDATE SET source = excluded.source, content_hash = excluded.content_hash,
           metadata = excluded.metadata, version = excluded.version, chunk_count = excluded.chunk_count, updated_at = excluded.updated_at`,
        [kb.id, p.docId, p.source, p.contentHash, JSON.stringify(p.metadata), version, p.chunks.length, now],
      );
      await insertChunks(c, kb, p, now);
      await bumpGeneration(c, kb.id, p.chunks.length - replaced);
      return { documentId: p.docId, version, chunks: p.chunks.length, replaced };
    });
  }

  async getDocument(kbId: string, documentId: string): Promise<DocumentRecord | null> {
    const kb = await this.requireKb(kbId);
    const { rows } = await this.pool.query<DocRow>(`SELECT ${DOC_COLUMNS} FROM knowledge_documents WHERE kb_id = $1 AND id = $2`, [kb.id, withoutNul(documentId)]);
    return rows.length ? toDoc(rows[0]) : null;
  }

  async listDocuments(kbId: string, opts: { limit?: number; after?: string } = {}): Promise<DocumentRecord[]> {
    const kb = await this.requireKb(kbId);
    const limit = opts.limit ?? 100;
    checkListLimit(limit);
    const { rows } = await this.pool.query<DocRow>(
      `SELECT ${DOC_COLUMNS} FROM knowledge_documents WHERE kb_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [kb.id, withoutNul(opts.after ?? ''), limit],
    );
    return rows.map(toDoc);
  }

  async deleteDocument(kbId: string, documentId: string): Promise<boolean> {
    const kb = await this.requireKb(kbId);
    const docId = withoutNul(documentId);
    return this.transaction(async (c) => {
      await this.lockKb(c, kb.id, kbId);
      const removed = await removeChunks(c, kb.id, docId);
      const { rowCount } = await c.query('DELETE FROM knowledge_documents WHERE kb_id = $1 AND id = $2', [kb.id, docId]);
      if (!rowCount) return false;
      await bumpGeneration(c, kb.id, -removed);
      return true;
    });
  }

  async cachedEmbeddings(model: string, hashes: string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    // Stored hashes lost U+0000; answer under the caller's own spelling.
    const asked = new Map<string, string[]>();
    for (const h of hashes) {
      const key = withoutNul(h);
      asked.set(key, [...(asked.get(key) ?? []), h]);
    }
    const keys = [...asked.keys()];
    for (let i = 0; i < keys.length; i += CACHE_LOOKUP_BATCH) {
      const { rows } = await this.pool.query<{ content_hash: string; vector: Buffer }>(
        'SELECT content_hash, vector FROM knowledge_embedding_cache WHERE model = $1 AND content_hash = ANY($2::text[])',
        [withoutNul(model), keys.slice(i, i + CACHE_LOOKUP_BATCH)],
      );
      for (const r of rows) for (const h of asked.get(r.content_hash) ?? []) out.set(h, blobToVector(r.vector));
    }
    return out;
  }

  async storeEmbeddings(model: string, entries: { contentHash: string; vector: ArrayLike<number> }[]): Promise<void> {
    const vectors = prepareEmbeddings(model, entries);
    const byHash = new Map<string, Float32Array>(); // one row per hash: the last entry wins, as sequential writes would
    entries.forEach((e, i) => byHash.set(withoutNul(e.contentHash), vectors[i]));
    const all = [...byHash].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)); // lock order: concurrent writers cannot deadlock
    const now = this.now();
    for (let i = 0; i < all.length; i += INSERT_BATCH) {
      const batch = all.slice(i, i + INSERT_BATCH);
      await this.pool.query(
        `INSERT INTO knowledge_embedding_cache (model, content_hash, dims, vector, created_at)
         SELECT $1, h, octet_length(v) / 4, v, $2 FROM unnest($3::text[], $4::bytea[]) AS u (h, v)
         ON CONFLICT (model, content_hash) DO UPDATE SET dims = excluded.dims, vector = excluded.vector, created_at = excluded.created_at`,
        [withoutNul(model), now, batch.map(([h]) => h), batch.map(([, v]) => blob(v))],
      );
    }
  }

  /** Removes cached vectors of `model` that no chunk of any base refers to any more. */
  async pruneEmbeddingCache(model: string): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM knowledge_embedding_cache e WHERE e.model = $1 AND NOT EXISTS (
         SELECT 1 FROM knowledge_chunks c JOIN knowledge_bases b ON b.id = c.kb_id
         WHERE b.model = e.model AND c.content_hash = e.content_hash)`,
      [withoutNul(model)],
    );
    return rowCount ?? 0;
  }

  async search(kbId: string, query: SearchQuery, opts: { rerank?: Rerank } = {}): Promise<SearchHit[]> {
    const row = await this.requireKb(kbId);
    const kb = toKb(row);
    const rerank = opts.rerank ?? this.rerank;
    const deps = { codes: () => this.codesFor(kb, Number(row.generation)), chunkCount: Number(row.chunk_count), rerank: rerank !== undefined };
    const hits = await searchPostgres(this.pool, kb, query, deps);
    return finishSearch(query, hits, rerank);
  }

  private async kbRow(idOrName: string): Promise<KbRow | undefined> {
    if (typeof idOrName !== 'string') return undefined;
    const key = withoutNul(idOrName);
    const { rows } = await this.pool.query<KbRow>('SELECT * FROM knowledge_bases WHERE id = $1 OR name = $1', [key]);
    return rows[0];
  }

  private async requireKb(idOrName: string): Promise<KbRow> {
    const r = await this.kbRow(idOrName);
    if (!r) {
      if (typeof idOrName === 'string') this.codes.delete(idOrName); // a base deleted by another process
      throw kbNotFound(idOrName);
    }
    return r;
  }

  /** Takes the base's row lock for the transaction: writers of one base queue here. */
  private async lockKb(c: PoolClient, id: string, asked: string): Promise<void> {
    const { rows } = await c.query('SELECT 1 FROM knowledge_bases WHERE id = $1 FOR UPDATE', [id]);
    if (!rows.length) throw kbNotFound(asked); // deleted since it was looked up
  }

  /**
   * The base's codes at `generation` or later. A search that read the base at generation G uses
   * codes labelled G or newer; otherwise it loads them (one load per base at a time is shared).
   */
  private codesFor(kb: KnowledgeBase, generation: number): Promise<BinaryCodes> {
    const cached = this.codes.get(kb.id);
    if (cached && cached.generation >= generation) return cached.codes;
    const entry = { generation, codes: null as unknown as Promise<BinaryCodes> };
    entry.codes = loadCodes(this.pool, kb.id, kb.dims, this.codesBatch).then(
      (loaded) => {
        entry.generation = loaded.generation; // what the snapshot held (≥ generation)
        return loaded.codes;
      },
      (err: unknown) => {
        if (this.codes.get(kb.id) === entry) this.codes.delete(kb.id);
        throw err;
      },
    );
    this.codes.set(kb.id, entry);
    return entry.codes;
  }

  private async transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw err;
    } finally {
      c.release(broken);
    }
  }
}

/** The document with U+0000 replaced in every string, metadata keys included. */
function storable(p: PreparedDocument): PreparedDocument {
  return {
    docId: withoutNul(p.docId), source: withoutNul(p.source), contentHash: withoutNul(p.contentHash), metadata: withoutNul(p.metadata),
    chunks: p.chunks.map((ch) => ({ ...ch, text: withoutNul(ch.text), hash: withoutNul(ch.hash), metadata: withoutNul(ch.metadata) })),
  };
}

/**
 * Inserts a document's chunks with their vectors (batches of INSERT_BATCH), adds their vectors to
 * the embedding cache and their words to the base's term counts. Runs under the base's lock.
 */
async function insertChunks(c: PoolClient, kb: KnowledgeBase, p: PreparedDocument, now: number): Promise<void> {
  const tsv = p.chunks.map((ch) => tsvectorOf(ch.text));
  for (let i = 0; i < p.chunks.length; i += INSERT_BATCH) {
    const batch = p.chunks.slice(i, i + INSERT_BATCH);
    // Chunks and their vectors in one statement.
    await c.query(
      `WITH input AS (
         SELECT * FROM unnest($3::int[], $4::text[], $5::jsonb[], $6::text[], $7::tsvector[], $8::bytea[], $9::bytea[])
           WITH ORDINALITY AS i (chunk_index, text, metadata, content_hash, tsv, embedding, coarse, ord)
       ), ins AS (
         INSERT INTO knowledge_chunks (kb_id, document_id, chunk_index, text, metadata, content_hash, tsv)
         SELECT $1, $2, chunk_index, text, metadata, content_hash, tsv FROM input ORDER BY ord
         RETURNING id, chunk_index
       )
       INSERT INTO knowledge_vectors (chunk_id, kb_id, embedding, coarse)
       SELECT ins.id, $1, input.embedding, input.coarse FROM ins JOIN input USING (chunk_index)`,
      [
        kb.id, p.docId, batch.map((r) => r.index), batch.map((r) => r.text), batch.map((r) => JSON.stringify(r.metadata)),
        batch.map((r) => r.hash), tsv.slice(i, i + INSERT_BATCH).map((t) => t.literal), batch.map((r) => blob(r.vector)),
        batch.map((r) => blob(signCode(r.vector))),
      ],
    );
  }
  if (p.chunks.length) {
    // The embedding cache from the stored vectors (not sent twice), in hash order: two ingests
    // of the same texts into different bases take the cache rows' locks in the same order.
    await c.query(
      `INSERT INTO knowledge_embedding_cache (model, content_hash, dims, vector, created_at)
       SELECT $3, c.content_hash, $4, v.embedding, $5 FROM knowledge_chunks c JOIN knowledge_vectors v ON v.chunk_id = c.id
       WHERE c.kb_id = $1 AND c.document_id = $2 ORDER BY c.content_hash ON CONFLICT DO NOTHING`,
      [kb.id, p.docId, kb.model, kb.dims, now],
    );
    const counts = new Map<string, number>();
    for (const t of tsv) for (const w of t.lexemes) counts.set(w, (counts.get(w) ?? 0) + 1);
    await c.query(
      `INSERT INTO knowledge_terms (kb_id, term, docs) SELECT $1, * FROM unnest($2::text[], $3::int[])
       ON CONFLICT (kb_id, term) DO UPDATE SET docs = knowledge_terms.docs + excluded.docs`,
      [kb.id, ...unzipSorted(counts)],
    );
  }
}

/**
 * Deletes a document's chunks (their vectors go by cascade) and takes their words out of the
 * base's term counts; returns how many chunks there were. Runs under the base's lock.
 */
async function removeChunks(c: PoolClient, kbId: string, documentId: string): Promise<number> {
  await c.query(
    `WITH gone AS (
       SELECT u.lexeme COLLATE "C" AS term, count(*)::int AS n FROM knowledge_chunks c CROSS JOIN LATERAL unnest(c.tsv) u
       WHERE c.kb_id = $1 AND c.document_id = $2 GROUP BY 1
     ), emptied AS (
       DELETE FROM knowledge_terms t USING gone WHERE t.kb_id = $1 AND t.term = gone.term AND t.docs <= gone.n
     )
     UPDATE knowledge_terms t SET docs = t.docs - gone.n FROM gone WHERE t.kb_id = $1 AND t.term = gone.term AND t.docs > gone.n`,
    [kbId, documentId],
  );
  const { rowCount } = await c.query('DELETE FROM knowledge_chunks WHERE kb_id = $1 AND document_id = $2', [kbId, documentId]);
  return rowCount ?? 0;
}

/** Keys and values in key order: neighbouring index entries are updated together. */
function unzipSorted(m: Map<string, number>): [string[], number[]] {
  const keys = [...m.keys()].sort();
  return [keys, keys.map((k) => m.get(k) as number)];
}

/** Marks the base's chunks as changed (other processes reload their codes) and adjusts its chunk count. */
async function bumpGeneration(c: PoolClient, kbId: string, chunkDelta: number): Promise<void> {
  await c.query('UPDATE knowledge_bases SET generation = generation + 1, chunk_count = chunk_count + $2 WHERE id = $1', [kbId, chunkDelta]);
}
