/** The knowledge-base index: storage and hybrid search over already-chunked, embedded documents. */
export type * from './types.js';
export { SqliteKnowledgeIndex, type SqliteKnowledgeIndexOptions, MAX_CHUNKS_PER_DOCUMENT } from './sqlite.js';
export { PgKnowledgeIndex, type PgKnowledgeIndexOptions } from './postgres.js';
export { embedWithCache, type EmbedFn, type EmbedItem, type EmbedResult } from './embed-cache.js';
export { ensureSchema } from './schema.js';
export { openKnowledgeIndex } from './open.js';
export { reciprocalRankFusion, RRF_K } from './rrf.js';
export { MAX_K } from './validate.js';
