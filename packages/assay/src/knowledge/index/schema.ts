/**
 * The knowledge index's SQLite schema, in one place: migration 005_knowledge runs these statements
 * on the store, and `ensureSchema` runs them on a bare database (benchmarks, tests). Shared tables hold bases, documents, chunks, vectors and the embedding cache; each base also
 * gets its own FTS5 table, so BM25 statistics (document frequencies, average length) are the
 * base's own and not mixed with other bases'.
 */
import type { Database } from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS knowledge_bases (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  model TEXT NOT NULL,
  dims INTEGER NOT NULL,
  description TEXT,
  created_at INTEGER NOT NULL,
  -- bumped on every write to the base's chunks: in-memory vector codes rebuild when it moved
  generation INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS knowledge_documents (
  kb_id TEXT NOT NULL REFERENCES knowledge_bases(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  source TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  version INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (kb_id, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS knowledge_documents_source ON knowledge_documents (kb_id, source);
CREATE TABLE IF NOT EXISTS knowledge_chunks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kb_id TEXT NOT NULL,
  document_id TEXT NOT NULL,
  chunk_index INTEGER NOT NULL,
  text TEXT NOT NULL,
  -- the document's metadata overlaid with the chunk's own: what filters read
  metadata TEXT NOT NULL DEFAULT '{}',
  content_hash TEXT NOT NULL,
  FOREIGN KEY (kb_id, document_id) REFERENCES knowledge_documents (kb_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS knowledge_chunks_document ON knowledge_chunks (kb_id, document_id, chunk_index);
CREATE TABLE IF NOT EXISTS knowledge_vectors (
  chunk_id INTEGER PRIMARY KEY REFERENCES knowledge_chunks(id) ON DELETE CASCADE,
  kb_id TEXT NOT NULL,
  -- float32 little-endian, dims × 4 bytes: exact cosine distance (sqlite-vec vec_distance_cosine)
  embedding BLOB NOT NULL,
  -- sign bits as little-endian 32-bit words: the first, approximate stage (binary.ts)
  coarse BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS knowledge_vectors_kb ON knowledge_vectors (kb_id, chunk_id);
CREATE TABLE IF NOT EXISTS knowledge_embedding_cache (
  model TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  dims INTEGER NOT NULL,
  vector BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (model, content_hash)
) WITHOUT ROWID;
`;

/** The shared tables' DDL, one statement each (all `IF NOT EXISTS`). */
export const SQLITE_SCHEMA_STATEMENTS: readonly string[] = SCHEMA.split(/;\s*\n/)
  .map((s) => s.trim())
  .filter((s) => s !== '');

/** Creates the shared tables (idempotent). Needs sqlite-vec loaded for searches, not for this. */
export function ensureSchema(db: Database): void {
  db.exec(SCHEMA);
}

const KB_ID = /^kb_[0-9a-f]{16}$/;

/** The per-base FTS5 table's name; the id is checked so it can be spliced into SQL. */
export function ftsTable(kbId: string): string {
  if (!KB_ID.test(kbId)) throw new Error(`invalid knowledge base id for a table name: ${JSON.stringify(kbId)}`);
  return `knowledge_fts_${kbId.slice(3)}`;
}

/** The per-base fts5vocab table: document frequency per term (query-term pruning). */
export function ftsVocabTable(kbId: string): string {
  return `${ftsTable(kbId)}_vocab`;
}

/**
 * Contentless FTS5 (the text lives in knowledge_chunks) that still allows DELETE by rowid; rowid =
 * chunk id. unicode61 with diacritics folded and no stemming: exact keywords (names, codes,
 * identifiers) are what this arm is for, and a stemmer is tied to one language; the vector arm
 * covers morphology and meaning.
 */
export function createKbTables(db: Database, kbId: string): void {
  const fts = ftsTable(kbId);
  db.exec(
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${fts} USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
     CREATE VIRTUAL TABLE IF NOT EXISTS ${ftsVocabTable(kbId)} USING fts5vocab(${fts}, 'row');`,
  );
}

export function dropKbTables(db: Database, kbId: string): void {
  db.exec(`DROP TABLE IF EXISTS ${ftsVocabTable(kbId)}; DROP TABLE IF EXISTS ${ftsTable(kbId)};`);
}
