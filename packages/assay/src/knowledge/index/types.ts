/**
 * The knowledge-base index: what callers (ingest, the retrieve tool, memory, the HTTP API) see.
 * One interface, implemented on SQLite today (sqlite.ts); a PostgreSQL implementation
 * (tsvector + vectors) will implement the same methods. See docs/knowledge-search.md.
 */

/** A knowledge base: chunks embedded by one model, with one vector dimension. */
export interface KnowledgeBase {
  id: string;
  name: string;
  /** The embedding model id every vector of this base comes from (checked on write and query). */
  model: string;
  dims: number;
  /** What the base holds, for people and for the retrieve tool's description. */
  description: string | null;
  createdAt: number;
}

export type MetadataValue = string | number | boolean | null;
export type Metadata = Record<string, unknown>;

/** A source document: identified by `id` inside its knowledge base. */
export interface DocumentInput {
  id: string;
  /** Where it came from (path, URL, …): returned with every hit, for citations. */
  source: string;
  /** Hash of the document's content: lets an ingest skip unchanged files (see getDocument). */
  contentHash: string;
  metadata?: Metadata;
}

/** One chunk as the chunker produces it, plus its embedding. */
export interface ChunkInput {
  documentId: string;
  chunkIndex: number;
  /** The text returned to the model. */
  text: string;
  /** The text that was embedded (may carry headings/context); not stored. */
  embedText: string;
  metadata?: Metadata;
  /** Hash of `embedText`: the embedding cache key (with the model id). */
  contentHash: string;
  vector: ArrayLike<number>;
}

export interface DocumentRecord {
  kbId: string;
  id: string;
  source: string;
  contentHash: string;
  metadata: Metadata;
  /** 1 on first ingest, +1 on each re-ingest. */
  version: number;
  chunkCount: number;
  updatedAt: number;
}

/**
 * Metadata equality filters, all of which must hold: `{lang: 'en'}` (equal) or
 * `{lang: ['en', 'de']}` (one of). Keys address a chunk's metadata, which is the document's
 * metadata overlaid with the chunk's own.
 */
export type MetadataFilter = Record<string, MetadataValue | MetadataValue[]>;

export type SearchArms = 'vector' | 'text' | 'hybrid';

export interface SearchQuery {
  /** The query embedding (needed by the vector and hybrid arms), from the base's model. */
  vector?: ArrayLike<number>;
  /** The query text (needed by the text and hybrid arms). */
  text?: string;
  /** Results wanted; default 10, at most 200. */
  k?: number;
  filter?: MetadataFilter;
  /** Default: hybrid when both vector and text are given, else the arm that has its input. */
  arms?: SearchArms;
}

export interface SearchHit {
  chunkId: number;
  documentId: string;
  source: string;
  chunkIndex: number;
  text: string;
  metadata: Metadata;
  /** Hybrid: the RRF score; vector: cosine similarity (1 − distance); text: −bm25 (higher is better). */
  score: number;
  /** 1-based rank in the vector arm's candidate list, when it was there. */
  vectorRank?: number;
  /** Cosine distance (0 = same direction, 2 = opposite). */
  vectorDistance?: number;
  textRank?: number;
  /** FTS5 bm25() value: negative, lower is a better match. */
  bm25?: number;
}

/** Reorders (or trims) the fused results, e.g. with a cross-encoder; runs after fusion. */
export type Rerank = (query: SearchQuery, results: SearchHit[]) => SearchHit[] | Promise<SearchHit[]>;

export interface UpsertResult {
  documentId: string;
  version: number;
  chunks: number;
  /** Chunks removed from the previous version. */
  replaced: number;
}

export interface KnowledgeIndex {
  createKb(input: { name: string; model: string; dims: number; description?: string | null }): Promise<KnowledgeBase>;
  getKb(idOrName: string): Promise<KnowledgeBase | null>;
  listKbs(): Promise<KnowledgeBase[]>;
  /** Removes the base with all its documents, chunks and index tables. */
  deleteKb(kbId: string): Promise<boolean>;
  /** Inserts the document, or replaces its chunks atomically when it exists (re-ingest). */
  upsertDocument(kbId: string, doc: DocumentInput, chunks: ChunkInput[]): Promise<UpsertResult>;
  getDocument(kbId: string, documentId: string): Promise<DocumentRecord | null>;
  listDocuments(kbId: string, opts?: { limit?: number; after?: string }): Promise<DocumentRecord[]>;
  deleteDocument(kbId: string, documentId: string): Promise<boolean>;
  /** Cached vectors for these content hashes (missing hashes are absent from the map). */
  cachedEmbeddings(model: string, hashes: string[]): Promise<Map<string, Float32Array>>;
  storeEmbeddings(model: string, entries: { contentHash: string; vector: ArrayLike<number> }[]): Promise<void>;
  search(kbId: string, query: SearchQuery, opts?: { rerank?: Rerank }): Promise<SearchHit[]>;
}
