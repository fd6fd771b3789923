/**
 * The knowledge index on SQLite (better-sqlite3 + sqlite-vec): documents, chunks, vectors, per-base
 * FTS5 tables and the embedding cache. Writes are one transaction each; searches are in
 * sqlite-search.ts. See docs/knowledge-search.md.
 */
import type { Database } from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { badRequest } from '../../errors.js';
import { BinaryCodes, signCode } from './binary.js';
import {
  blob, blobToVector, checkListLimit, finishSearch, kbNotFound, newKbId, prepareDocument, prepareEmbeddings,
} from './common.js';
import { createKbTables, dropKbTables, ensureSchema, ftsTable } from './schema.js';
import { searchSqlite } from './sqlite-search.js';
import type {
  ChunkInput, DocumentInput, DocumentRecord, KnowledgeBase, KnowledgeIndex, Metadata, Rerank, SearchHit, SearchQuery, UpsertResult,
} from './types.js';
import { checkKbInput } from './validate.js';

export { MAX_CHUNKS_PER_DOCUMENT, blobToVector } from './common.js';
const CACHE_LOOKUP_BATCH = 500;

interface KbRow { id: string; name: string; model: string; dims: number; description: string | null; created_at: number; generation: number }
interface DocRow { kb_id: string; id: string; source: string; content_hash: string; metadata: string; version: number; chunk_count: number; updated_at: number }

const toKb = (r: KbRow): KnowledgeBase => ({ id: r.id, name: r.name, model: r.model, dims: r.dims, description: r.description ?? null, createdAt: r.created_at });
const toDoc = (r: DocRow): DocumentRecord => ({
  kbId: r.kb_id, id: r.id, source: r.source, contentHash: r.content_hash, metadata: JSON.parse(r.metadata) as Metadata,
  version: r.version, chunkCount: r.chunk_count, updatedAt: r.updated_at,
});

export interface SqliteKnowledgeIndexOptions {
  /** Applied to every search that passes no rerank of its own. */
  rerank?: Rerank;
  now?: () => number;
}

export class SqliteKnowledgeIndex implements KnowledgeIndex {
  readonly db: Database;
  private readonly rerank: Rerank | undefined;
  private readonly now: () => number;
  /** In-memory sign-bit codes per base, valid for the base's generation they were built at. */
  private readonly codes = new Map<string, { generation: number; codes: BinaryCodes }>();

  constructor(db: Database, opts: SqliteKnowledgeIndexOptions = {}) {
    this.db = db;
    this.rerank = opts.rerank;
    this.now = opts.now ?? Date.now;
    sqliteVec.load(db);
    ensureSchema(db);
  }

  async createKb(input: { name: string; model: string; dims: number; description?: string | null }): Promise<KnowledgeBase> {
    checkKbInput(input);
    const id = newKbId();
    const row: KbRow = { id, name: input.name, model: input.model, dims: input.dims, description: input.description ?? null, created_at: this.now(), generation: 0 };
    this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM knowledge_bases WHERE name = ?').get(input.name)) {
        throw badRequest(`a knowledge base named "${input.name}" exists already: pick another name or delete it first`, 'name', 'already_exists');
      }
      this.db.prepare('INSERT INTO knowledge_bases (id, name, model, dims, description, created_at, generation) VALUES (@id, @name, @model, @dims, @description, @created_at, @generation)').run(row);
      createKbTables(this.db, id);
    })();
    return toKb(row);
  }

  async getKb(idOrName: string): Promise<KnowledgeBase | null> {
    const r = this.kbRow(idOrName);
    return r ? toKb(r) : null;
  }

  async listKbs(): Promise<KnowledgeBase[]> {
    return (this.db.prepare('SELECT * FROM knowledge_bases ORDER BY name').all() as KbRow[]).map(toKb);
  }

  async deleteKb(kbId: string): Promise<boolean> {
    const kb = this.kbRow(kbId);
    if (!kb) return false;
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM knowledge_vectors WHERE kb_id = ?').run(kb.id);
      this.db.prepare('DELETE FROM knowledge_chunks WHERE kb_id = ?').run(kb.id);
      this.db.prepare('DELETE FROM knowledge_documents WHERE kb_id = ?').run(kb.id);
      this.db.prepare('DELETE FROM knowledge_bases WHERE id = ?').run(kb.id);
      dropKbTables(this.db, kb.id);
    })();
    this.codes.delete(kb.id);
    return true;
  }

  async upsertDocument(kbId: string, doc: DocumentInput, chunks: ChunkInput[]): Promise<UpsertResult> {
    const kbRow = this.requireKb(kbId);
    const kb = toKb(kbRow);
    const { docId, source, contentHash, metadata: docMeta, chunks: rows } = prepareDocument(kb, doc, chunks);
    const fts = ftsTable(kb.id);
    const now = this.now();
    return this.db.transaction((): UpsertResult => {
      const existing = this.db.prepare('SELECT * FROM knowledge_documents WHERE kb_id = ? AND id = ?').get(kb.id, docId) as DocRow | undefined;
      const replaced = existing ? this.removeChunks(kb.id, docId) : 0;
      const version = existing ? existing.version + 1 : 1;
      this.db
        .prepare(
          `INSERT INTO knowledge_documents (kb_id, id, source, content_hash, metadata, version, chunk_count, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (kb_id, id) DO UPDATE SET source = excluded.source, content_hash = excluded.content_hash,
             metadata = excluded.metadata, version = excluded.version, chunk_count = excluded.chunk_count, updated_at = excluded.updated_at`,
        )
        .run(kb.id, docId, source, contentHash, JSON.stringify(docMeta), version, rows.length, now);
      const insChunk = this.db.prepare('INSERT INTO knowledge_chunks (kb_id, document_id, chunk_index, text, metadata, content_hash) VALUES (?, ?, ?, ?, ?, ?)');
      const insVec = this.db.prepare('INSERT INTO knowledge_vectors (chunk_id, kb_id, embedding, coarse) VALUES (?, ?, ?, ?)');
      const insFts = this.db.prepare(`INSERT INTO ${fts} (rowid, text) VALUES (?, ?)`);
      const insCache = this.db.prepare('INSERT OR IGNORE INTO knowledge_embedding_cache (model, content_hash, dims, vector, created_at) VALUES (?, ?, ?, ?, ?)');
      for (const r of rows) {
        const id = insChunk.run(kb.id, docId, r.index, r.text, JSON.stringify(r.metadata), r.hash).lastInsertRowid;
        insVec.run(id, kb.id, blob(r.vector), blob(signCode(r.vector)));
        insFts.run(id, r.text);
        insCache.run(kb.model, r.hash, kb.dims, blob(r.vector), now);
      }
      this.bumpGeneration(kb.id);
      return { documentId: docId, version, chunks: rows.length, replaced };
    })();
  }

  async getDocument(kbId: string, documentId: string): Promise<DocumentRecord | null> {
    const kb = this.requireKb(kbId);
    const r = this.db.prepare('SELECT * FROM knowledge_documents WHERE kb_id = ? AND id = ?').get(kb.id, documentId) as DocRow | undefined;
    return r ? toDoc(r) : null;
  }

  async listDocuments(kbId: string, opts: { limit?: number; after?: string } = {}): Promise<DocumentRecord[]> {
    const kb = this.requireKb(kbId);
    const limit = opts.limit ?? 100;
    checkListLimit(limit);
    const rows = this.db
      .prepare('SELECT * FROM knowledge_documents WHERE kb_id = ? AND id > ? ORDER BY id LIMIT ?')
      .all(kb.id, opts.after ?? '', limit) as DocRow[];
    return rows.map(toDoc);
  }

  async deleteDocument(kbId: string, documentId: string): Promise<boolean> {
    const kb = this.requireKb(kbId);
    return this.db.transaction(() => {
      const had = this.db.prepare('SELECT 1 FROM knowledge_documents WHERE kb_id = ? AND id = ?').get(kb.id, documentId);
      if (!had) return false;
      this.removeChunks(kb.id, documentId);
      this.db.prepare('DELETE FROM knowledge_documents WHERE kb_id = ? AND id = ?').run(kb.id, documentId);
      this.bumpGeneration(kb.id);
      return true;
    })();
  }

  async cachedEmbeddings(model: string, hashes: string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    const q = this.db.prepare('SELECT content_hash, vector FROM knowledge_embedding_cache WHERE model = ? AND content_hash IN (SELECT value FROM json_each(?))');
    for (let i = 0; i < hashes.length; i += CACHE_LOOKUP_BATCH) {
      const rows = q.all(model, JSON.stringify(hashes.slice(i, i + CACHE_LOOKUP_BATCH))) as { content_hash: string; vector: Buffer }[];
      for (const r of rows) out.set(r.content_hash, blobToVector(r.vector));
    }
    return out;
  }

  async storeEmbeddings(model: string, entries: { contentHash: string; vector: ArrayLike<number> }[]): Promise<void> {
    const vectors = prepareEmbeddings(model, entries);
    const ins = this.db.prepare('INSERT OR REPLACE INTO knowledge_embedding_cache (model, content_hash, dims, vector, created_at) VALUES (?, ?, ?, ?, ?)');
    const now = this.now();
    this.db.transaction(() => entries.forEach((e, i) => ins.run(model, e.contentHash, vectors[i].length, blob(vectors[i]), now)))();
  }

  /** Removes cached vectors of `model` that no chunk of any base refers to any more. */
  async pruneEmbeddingCache(model: string): Promise<number> {
    return this.db
      .prepare(
        `DELETE FROM knowledge_embedding_cache WHERE model = ? AND NOT EXISTS (
           SELECT 1 FROM knowledge_chunks c JOIN knowledge_bases b ON b.id = c.kb_id
           WHERE b.model = knowledge_embedding_cache.model AND c.content_hash = knowledge_embedding_cache.content_hash)`,
      )
      .run(model).changes;
  }

  async search(kbId: string, query: SearchQuery, opts: { rerank?: Rerank } = {}): Promise<SearchHit[]> {
    const kb = this.requireKb(kbId);
    const rerank = opts.rerank ?? this.rerank;
    const hits = searchSqlite(this.db, toKb(kb), query, { codes: () => this.codesFor(kb.id, kb.dims), rerank: rerank !== undefined });
    return finishSearch(query, hits, rerank);
  }

  private kbRow(idOrName: string): KbRow | undefined {
    return this.db.prepare('SELECT * FROM knowledge_bases WHERE id = ? OR name = ?').get(idOrName, idOrName) as KbRow | undefined;
  }

  private requireKb(idOrName: string): KbRow {
    const r = typeof idOrName === 'string' ? this.kbRow(idOrName) : undefined;
    if (!r) throw kbNotFound(idOrName);
    return r;
  }

  /** Deletes a document's chunks from every table (vectors, FTS, chunks); returns how many. */
  private removeChunks(kbId: string, documentId: string): number {
    const ids = (this.db.prepare('SELECT id FROM knowledge_chunks WHERE kb_id = ? AND document_id = ?').pluck().all(kbId, documentId) as number[]);
    if (ids.length === 0) return 0;
    const list = JSON.stringify(ids);
    this.db.prepare('DELETE FROM knowledge_vectors WHERE chunk_id IN (SELECT value FROM json_each(?))').run(list);
    this.db.prepare(`DELETE FROM ${ftsTable(kbId)} WHERE rowid IN (SELECT value FROM json_each(?))`).run(list);
    this.db.prepare('DELETE FROM knowledge_chunks WHERE kb_id = ? AND document_id = ?').run(kbId, documentId);
    return ids.length;
  }

  private bumpGeneration(kbId: string): void {
    this.db.prepare('UPDATE knowledge_bases SET generation = generation + 1 WHERE id = ?').run(kbId);
  }

  /** The base's codes, rebuilt when its generation moved (a write here or in another process). */
  private codesFor(kbId: string, dims: number): BinaryCodes {
    return this.db.transaction(() => {
      const gen = this.db.prepare('SELECT generation FROM knowledge_bases WHERE id = ?').pluck().get(kbId) as number;
      const cached = this.codes.get(kbId);
      if (cached && cached.generation === gen) return cached.codes;
      const count = this.db.prepare('SELECT count(*) FROM knowledge_vectors WHERE kb_id = ?').pluck().get(kbId) as number;
      const rows = this.db.prepare('SELECT chunk_id, coarse FROM knowledge_vectors WHERE kb_id = ? ORDER BY chunk_id').iterate(kbId) as Iterable<{ chunk_id: number; coarse: Uint8Array }>;
      const codes = BinaryCodes.fromRows(rows, count, dims);
      this.codes.set(kbId, { generation: gen, codes });
      return codes;
    })();
  }
}
