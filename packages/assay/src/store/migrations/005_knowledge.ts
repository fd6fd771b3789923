/**
 * Knowledge bases (packages/assay/src/knowledge/index, docs/knowledge-search.md).
 *
 * SQLite: the statements of knowledge/index/schema.ts (all `IF NOT EXISTS`, so a database whose
 * tables SqliteKnowledgeIndex created before this migration existed is left as it is). The per-base
 * FTS5 tables are created with each base.
 *
 * PostgreSQL: one set of shared tables keyed by kb_id. Vectors are float32 `bytea` (pgvector is
 * not required): the index ranks candidates by exact cosine in the application after in-memory
 * sign-bit codes picked them. Full text is a `tsvector` column with a GIN index; `knowledge_terms`
 * counts, per base, the chunks holding each word (the query-term pruning that FTS5's vocab table
 * gives on SQLite). Identifiers compare bytewise (COLLATE "C") so list order and cursors match
 * SQLite's.
 */
import { sql, type Kysely } from 'kysely';
import { SQLITE_SCHEMA_STATEMENTS } from '../../knowledge/index/schema.js';
import type { MigrationContext } from './index.js';

const POSTGRES = [
  `CREATE TABLE knowledge_bases (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    model text NOT NULL,
    dims integer NOT NULL,
    description text,
    created_at bigint NOT NULL,
    -- bumped by every write to the base's chunks: in-memory vector codes rebuild when it moved
    generation bigint NOT NULL DEFAULT 0,
    -- chunks in the base (the text arm's "common term" threshold)
    chunk_count bigint NOT NULL DEFAULT 0
  )`,
  `CREATE TABLE knowledge_documents (
    kb_id text COLLATE "C" NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    id text COLLATE "C" NOT NULL,
    source text NOT NULL,
    content_hash text NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}',
    version integer NOT NULL,
    chunk_count integer NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (kb_id, id)
  )`,
  `CREATE INDEX knowledge_documents_source ON knowledge_documents (kb_id, source)`,
  `CREATE TABLE knowledge_chunks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kb_id text COLLATE "C" NOT NULL,
    document_id text COLLATE "C" NOT NULL,
    chunk_index integer NOT NULL,
    text text NOT NULL,
    -- the document's metadata overlaid with the chunk's own: what filters read
    metadata jsonb NOT NULL DEFAULT '{}',
    content_hash text NOT NULL,
    -- folded words with positions, built by the application (postgres-sql.ts tsvectorOf)
    tsv tsvector NOT NULL,
    FOREIGN KEY (kb_id, document_id) REFERENCES knowledge_documents (kb_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX knowledge_chunks_document ON knowledge_chunks (kb_id, document_id, chunk_index)`,
  `CREATE INDEX knowledge_chunks_tsv ON knowledge_chunks USING gin (tsv)`,
  // Filters: the GIN index finds the chunks of a selective filter; a broad one (a third of the
  // base) is cheaper as an index-only scan of the base's metadata than as heap visits.
  `CREATE INDEX knowledge_chunks_metadata ON knowledge_chunks USING gin (metadata jsonb_path_ops)`,
  `CREATE INDEX knowledge_chunks_kb_metadata ON knowledge_chunks (kb_id, id) INCLUDE (metadata)`,
  `CREATE TABLE knowledge_vectors (
    chunk_id bigint PRIMARY KEY REFERENCES knowledge_chunks (id) ON DELETE CASCADE,
    kb_id text COLLATE "C" NOT NULL,
    -- float32 little-endian, dims × 4 bytes: exact cosine distance of the candidates
    embedding bytea NOT NULL,
    -- sign bits as little-endian 32-bit words: the first, approximate stage (binary.ts)
    coarse bytea NOT NULL
  )`,
  // Large vectors go out of line without a compression attempt (float data does not compress).
  `ALTER TABLE knowledge_vectors ALTER COLUMN embedding SET STORAGE EXTERNAL`,
  // Loading a base's codes reads this index only (once the visibility map is set).
  `CREATE INDEX knowledge_vectors_kb ON knowledge_vectors (kb_id, chunk_id) INCLUDE (coarse)`,
  `CREATE TABLE knowledge_terms (
    kb_id text COLLATE "C" NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    term text COLLATE "C" NOT NULL,
    -- chunks of the base whose tsvector holds the term
    docs integer NOT NULL,
    PRIMARY KEY (kb_id, term)
  )`,
  `CREATE TABLE knowledge_embedding_cache (
    model text COLLATE "C" NOT NULL,
    content_hash text COLLATE "C" NOT NULL,
    dims integer NOT NULL,
    vector bytea NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (model, content_hash)
  )`,
  `ALTER TABLE knowledge_embedding_cache ALTER COLUMN vector SET STORAGE EXTERNAL`,
];

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  for (const statement of dialect === 'postgres' ? POSTGRES : SQLITE_SCHEMA_STATEMENTS) await sql.raw(statement).execute(db);
}
