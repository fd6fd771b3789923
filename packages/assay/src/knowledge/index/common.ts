/**
 * What both knowledge-index implementations (sqlite.ts, postgres.ts) share on the write side and
 * around a search: input checks for documents, chunks and cached embeddings, the float32 blob
 * layout of vectors, new base ids, and applying the rerank hook. Dialect-independent by design.
 */
import { randomBytes } from 'node:crypto';
import { badRequest, notFound } from '../../errors.js';
import type {
  ChunkInput, DocumentInput, KnowledgeBase, Metadata, Rerank, SearchHit, SearchQuery,
} from './types.js';
import { toVector } from './validate.js';

export const MAX_CHUNKS_PER_DOCUMENT = 50_000;

/** A new knowledge base id: `kb_` + 16 hex digits (schema.ts splices it into FTS5 table names). */
export const newKbId = (): string => `kb_${randomBytes(8).toString('hex')}`;

/** The bytes of a typed array (no copy): how vectors and sign codes are stored. */
export const blob = (v: Float32Array | Uint32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** A float32 blob read back as an aligned copy. */
export function blobToVector(b: Uint8Array): Float32Array {
  const out = new Float32Array(b.byteLength >>> 2);
  new Uint8Array(out.buffer).set(b.subarray(0, out.byteLength));
  return out;
}

export function checkMetadata(m: unknown, what: string): Metadata {
  if (m == null) return {};
  if (typeof m !== 'object' || Array.isArray(m)) throw badRequest(`${what} must be a JSON object`, 'metadata');
  return m as Metadata;
}

export function checkString(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v === '' || v.length > max) throw badRequest(`${what} must be a non-empty string of at most ${max} characters`, what);
  return v;
}

export const kbNotFound = (idOrName: unknown) =>
  notFound(`knowledge base ${JSON.stringify(idOrName)} does not exist: create it first or check the id`, 'kb_not_found');

export interface PreparedChunk {
  index: number;
  text: string;
  /** Content hash of the embedded text (the embedding cache key). */
  hash: string;
  vector: Float32Array;
  /** The document's metadata overlaid with the chunk's own. */
  metadata: Metadata;
}

export interface PreparedDocument {
  docId: string;
  source: string;
  contentHash: string;
  metadata: Metadata;
  chunks: PreparedChunk[];
}

/** Checks a document and its chunks against the base before anything is written. */
export function prepareDocument(kb: KnowledgeBase, doc: DocumentInput, chunks: ChunkInput[]): PreparedDocument {
  const docId = checkString(doc?.id, 'document id', 512);
  const source = checkString(doc.source, 'document source', 2048);
  const contentHash = checkString(doc.contentHash, 'document contentHash', 256);
  const docMeta = checkMetadata(doc.metadata, `document ${docId} metadata`);
  if (!Array.isArray(chunks)) throw badRequest('chunks must be an array', 'chunks');
  if (chunks.length > MAX_CHUNKS_PER_DOCUMENT) {
    throw badRequest(`document ${docId} has ${chunks.length} chunks; at most ${MAX_CHUNKS_PER_DOCUMENT} per document: split the file`, 'chunks');
  }
  const seen = new Set<number>();
  const prepared = chunks.map((c, i): PreparedChunk => {
    const what = `chunk ${i} of document ${docId}`;
    if (c?.documentId !== docId) throw badRequest(`${what} names document ${JSON.stringify(c?.documentId)}; every chunk must belong to ${docId}`, 'documentId');
    if (!Number.isInteger(c.chunkIndex) || c.chunkIndex < 0 || seen.has(c.chunkIndex)) {
      throw badRequest(`${what}: chunkIndex must be a distinct integer ≥ 0, got ${String(c.chunkIndex)}`, 'chunkIndex');
    }
    seen.add(c.chunkIndex);
    if (typeof c.text !== 'string') throw badRequest(`${what}: text must be a string`, 'text');
    const hash = checkString(c.contentHash, `${what} contentHash`, 256);
    const vector = toVector(kb, c.vector, `the embedding of ${what}`);
    const metadata = { ...docMeta, ...checkMetadata(c.metadata, `${what} metadata`) };
    return { index: c.chunkIndex, text: c.text, hash, vector, metadata };
  });
  return { docId, source, contentHash, metadata: docMeta, chunks: prepared };
}

/** Checks `storeEmbeddings` input; returns the vectors as float32. */
export function prepareEmbeddings(model: string, entries: { contentHash: string; vector: ArrayLike<number> }[]): Float32Array[] {
  checkString(model, 'model', 200);
  if (!Array.isArray(entries)) throw badRequest('entries must be an array of {contentHash, vector}', 'entries');
  return entries.map((e, i) => {
    checkString(e?.contentHash, `entries[${i}].contentHash`, 256);
    const v = Float32Array.from(e.vector ?? []);
    if (v.length === 0 || v.some((x) => !Number.isFinite(x))) throw badRequest(`entries[${i}].vector must be a non-empty array of finite numbers`, 'vector');
    return v;
  });
}

export function checkListLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest('limit must be an integer from 1 to 1000', 'limit');
}

/** Runs the rerank hook (when there is one) over the fused pool and keeps the first k. */
export async function finishSearch(query: SearchQuery, hits: SearchHit[], rerank: Rerank | undefined): Promise<SearchHit[]> {
  const k = query.k ?? 10;
  if (!rerank) return hits.slice(0, k);
  const out = await rerank(query, hits);
  if (!Array.isArray(out)) throw new TypeError('the rerank hook must return an array of search hits');
  return out.slice(0, k);
}
