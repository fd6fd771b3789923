/**
 * Ingest into a knowledge base: each document is parsed, chunked, embedded through the embedding
 * cache and written to the index (its chunks replaced atomically when it existed). Documents whose
 * hash did not change are skipped before parsing. Small documents share embedding requests: prepared
 * documents are embedded together once they hold a batch of chunks (knowledge.embed_batch_size).
 * A document that cannot be read fails alone; the others still go in. See docs/knowledge.md.
 */
import { createHash } from 'node:crypto';
import { AssayError, badRequest, clientClosed, toAssayError, UpstreamError } from '../errors.js';
import { chunkDocument, type Chunk } from './chunk/index.js';
import { embedWithCache } from './index/index.js';
import type { ChunkInput, KnowledgeBase, KnowledgeIndex, Metadata } from './index/types.js';
import { detectFormat, parseDocument, SUPPORTED_FORMATS, type DocumentFormat } from './parse/index.js';

export interface IngestDocument {
  /** Unique inside the base; default: the source. Re-ingesting an id replaces that document. */
  id?: string;
  /** Where it came from (path, URL): returned with every hit, and the file name for format detection. */
  source: string;
  content: Buffer | Uint8Array | string;
  /** Default: from the source's extension, else the content type, else PDF magic bytes. */
  format?: DocumentFormat;
  /** A MIME type (e.g. from an upload), used when the extension says nothing. */
  contentType?: string;
  /** Attached to the document and every chunk (filterable in search). */
  metadata?: Metadata;
}

export type IngestStatus = 'added' | 'updated' | 'unchanged' | 'failed';

export interface IngestResult {
  id: string;
  source: string;
  status: IngestStatus;
  /** Chunks the document has in the index now (for failed: 0). */
  chunks: number;
  /** Distinct chunk texts of this document sent to the embedding model. */
  embedded: number;
  /** Chunks whose vector came from the cache (or an earlier document of the same ingest). */
  cached: number;
  /** Chunks of the previous version that were removed (updated documents). */
  replaced: number;
  /** The document's version after this ingest (1 on first ingest). */
  version?: number;
  error?: { status: number; code: string; message: string };
}

export interface IngestProgress {
  done: number;
  total: number;
  result: IngestResult;
}

export interface IngestOptions {
  /** Stops between documents and between embedding requests (the error is the signal's reason). */
  signal?: AbortSignal;
  /** Called once per document, when its result is final. */
  onProgress?: (p: IngestProgress) => void;
}

export interface IngestSettings {
  chunkTokens: number;
  overlapTokens: number;
  embedBatchSize: number;
  maxDocumentBytes: number;
}

/** Texts → vectors with the base's model (the signal and trace name are bound by the caller). */
export type IngestEmbed = (texts: string[]) => Promise<Float32Array[]>;

export const MAX_DOCUMENTS_PER_REQUEST = 1000;
const MAX_METADATA_CHARS = 64 * 1024;
/** Bumped when the hash input changes, so every document is re-read once. */
const HASH_VERSION = 'assay-kb-document:v1';

interface Prepared {
  /** Position in the request. */
  at: number;
  id: string;
  source: string;
  hash: string;
  existed: boolean;
  chunks: Chunk[];
  docMeta: Metadata;
  userMeta: Metadata;
  format: DocumentFormat;
}

/** Whole-request checks (400/413 before anything is written): shapes, sizes, duplicate ids. */
export function checkDocuments(docs: IngestDocument[], maxBytes: number): void {
  if (!Array.isArray(docs) || docs.length === 0) throw badRequest('send at least one document', 'documents');
  if (docs.length > MAX_DOCUMENTS_PER_REQUEST) {
    throw badRequest(`${docs.length} documents in one request; at most ${MAX_DOCUMENTS_PER_REQUEST}: send them in batches`, 'documents');
  }
  const ids = new Map<string, number>();
  docs.forEach((d, i) => {
    const at = `documents[${i}]`;
    if (typeof d?.source !== 'string' || d.source.trim() === '' || d.source.length > 2048) {
      throw badRequest(`${at}.source must be a non-empty string of at most 2048 characters (a path or URL)`, `${at}.source`);
    }
    if (d.id !== undefined && (typeof d.id !== 'string' || d.id === '' || d.id.length > 512)) {
      throw badRequest(`${at}.id must be a non-empty string of at most 512 characters`, `${at}.id`);
    }
    if (typeof d.content !== 'string' && !(d.content instanceof Uint8Array)) throw badRequest(`${at}.content must be text or bytes`, `${at}.content`);
    const size = typeof d.content === 'string' ? Buffer.byteLength(d.content) : d.content.byteLength;
    if (size > maxBytes) throw documentTooLarge(d.source, size, maxBytes);
    if (d.format !== undefined && !SUPPORTED_FORMATS.includes(d.format)) {
      throw badRequest(`${at}.format ${JSON.stringify(d.format)} is not supported: use one of ${SUPPORTED_FORMATS.join(', ')}`, `${at}.format`, 'unsupported_format');
    }
    if (d.metadata !== undefined && (d.metadata === null || typeof d.metadata !== 'object' || Array.isArray(d.metadata))) {
      throw badRequest(`${at}.metadata must be a JSON object`, `${at}.metadata`);
    }
    if (d.metadata && JSON.stringify(d.metadata).length > MAX_METADATA_CHARS) {
      throw badRequest(`${at}.metadata is larger than ${MAX_METADATA_CHARS} characters of JSON`, `${at}.metadata`);
    }
    const id = d.id ?? d.source;
    const first = ids.get(id);
    if (first !== undefined) throw badRequest(`documents[${first}] and ${at} have the same id ${JSON.stringify(id)}: ids must be unique in a request`, `${at}.id`, 'duplicate_document');
    ids.set(id, i);
  });
}

export function documentTooLarge(source: string, size: number, maxBytes: number): AssayError {
  return new AssayError({
    status: 413,
    code: 'document_too_large',
    message: `${source} is ${size} bytes, more than the ${maxBytes}-byte limit per document (knowledge.max_document_bytes in the config): split it into smaller files`,
  });
}

/** The 502 for vectors whose dimension is not the base's: the model behind the id changed. */
export function dimensionMismatch(kb: KnowledgeBase, got: number): AssayError {
  return new UpstreamError({
    status: 502,
    failure: 'http',
    target: kb.model,
    type: 'upstream_error',
    code: 'embedding_dimension_mismatch',
    message:
      `embedding model ${kb.model} returned ${got}-dimensional vectors, but knowledge base "${kb.name}" was created with ${kb.dims} dimensions from ${kb.model}: ` +
      'the model behind that id changed; create a new knowledge base for it (or point the id back at the original model)',
  });
}

export function checkDims(kb: KnowledgeBase, vectors: ArrayLike<number>[]): void {
  for (const v of vectors) if (v.length !== kb.dims) throw dimensionMismatch(kb, v.length);
}

/** JSON with sorted keys, so equal metadata always hashes the same. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/**
 * The document hash: its bytes plus everything else that shapes its chunks (source, format,
 * metadata, chunk settings), so any of them changing re-ingests it; unchanged chunk texts still come
 * from the embedding cache.
 */
export function documentHash(bytes: Uint8Array, source: string, format: DocumentFormat, metadata: Metadata, s: IngestSettings): string {
  const head = canonical({ source, format, metadata, chunkTokens: s.chunkTokens, overlapTokens: s.overlapTokens });
  return createHash('sha256').update(`${HASH_VERSION}\n${head}\n`).update(bytes).digest('hex');
}

function failure(err: unknown): NonNullable<IngestResult['error']> {
  const e = toAssayError(err);
  return { status: e.status, code: e.code ?? e.type, message: e.message };
}

/** A request-level error (the model is unreachable, …) rather than one document's fault. */
function isolatable(err: unknown): boolean {
  const s = (err as { status?: number }).status ?? 500;
  return s >= 400 && s < 500 && ![401, 403, 408, 429, 499].includes(s);
}

export async function ingestDocuments(
  deps: { index: KnowledgeIndex; kb: KnowledgeBase; embed: IngestEmbed; settings: IngestSettings },
  docs: IngestDocument[],
  opts: IngestOptions = {},
): Promise<IngestResult[]> {
  const { index, kb, embed, settings } = deps;
  checkDocuments(docs, settings.maxDocumentBytes);
  const results: IngestResult[] = new Array(docs.length);
  let done = 0;
  const finish = (i: number, r: IngestResult) => {
    results[i] = r;
    done++;
    opts.onProgress?.({ done, total: docs.length, result: r });
  };
  const stopIfAborted = () => {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : clientClosed('the ingest was cancelled');
  };
  const failed = (i: number, id: string, source: string, err: unknown) =>
    finish(i, { id, source, status: 'failed', chunks: 0, embedded: 0, cached: 0, replaced: 0, error: failure(err) });

  /** Embeds the pending documents' chunks together, then writes each document. */
  const flush = async (batch: Prepared[]): Promise<void> => {
    if (batch.length === 0) return;
    const items = batch.flatMap((p) => p.chunks.map((c) => ({ contentHash: c.hash, embedText: c.embedText })));
    let vectors: Float32Array[];
    let known: Set<string>;
    try {
      known = new Set((await index.cachedEmbeddings(kb.model, [...new Set(items.map((i) => i.contentHash))])).keys());
      const guarded: IngestEmbed = async (texts) => {
        stopIfAborted();
        const out = await embed(texts);
        checkDims(kb, out);
        return out;
      };
      ({ vectors } = await embedWithCache(index, kb.model, items, guarded, { batchSize: settings.embedBatchSize }));
      checkDims(kb, vectors); // cached vectors too (the cache is keyed by model id)
    } catch (err) {
      stopIfAborted();
      // One document's text may be what the model refused: retry each alone to find it.
      if (batch.length > 1 && isolatable(err)) {
        for (const p of batch) await flush([p]);
        return;
      }
      for (const p of batch) failed(p.at, p.id, p.source, err);
      return;
    }
    let offset = 0;
    for (const p of batch) {
      const own = vectors.slice(offset, offset + p.chunks.length);
      offset += p.chunks.length;
      let embedded = 0;
      for (const c of p.chunks) {
        if (!known.has(c.hash)) {
          embedded++;
          known.add(c.hash);
        }
      }
      const chunks: ChunkInput[] = p.chunks.map((c, j) => ({
        documentId: p.id,
        chunkIndex: c.index,
        text: c.text,
        embedText: c.embedText,
        contentHash: c.hash,
        vector: own[j],
        metadata: chunkMetadata(c, p),
      }));
      try {
        stopIfAborted();
        const r = await index.upsertDocument(kb.id, { id: p.id, source: p.source, contentHash: p.hash, metadata: p.docMeta }, chunks);
        finish(p.at, {
          id: p.id, source: p.source, status: p.existed ? 'updated' : 'added', chunks: r.chunks,
          embedded, cached: p.chunks.length - embedded, replaced: r.replaced, version: r.version,
        });
      } catch (err) {
        stopIfAborted();
        failed(p.at, p.id, p.source, err);
      }
    }
  };

  let pending: Prepared[] = [];
  let pendingChunks = 0;
  for (const [i, d] of docs.entries()) {
    stopIfAborted();
    const id = d.id ?? d.source;
    const bytes = typeof d.content === 'string' ? Buffer.from(d.content, 'utf8') : d.content;
    try {
      if (bytes.byteLength === 0) throw badRequest(`${d.source} is empty: there is nothing to index`, 'content', 'empty_document');
      const format = d.format ?? detectFormat(d.source, d.contentType, bytes);
      const userMeta = d.metadata ?? {};
      const hash = documentHash(bytes, d.source, format, userMeta, settings);
      const existing = await index.getDocument(kb.id, id);
      if (existing && existing.contentHash === hash) {
        finish(i, { id, source: d.source, status: 'unchanged', chunks: existing.chunkCount, embedded: 0, cached: 0, replaced: 0, version: existing.version });
        continue;
      }
      const parsed = await parseDocument(
        { bytes, name: d.source, contentType: d.contentType },
        { format, limits: { maxBytes: settings.maxDocumentBytes } },
      );
      const chunks = chunkDocument(parsed, { chunkTokens: settings.chunkTokens, overlapTokens: settings.overlapTokens });
      if (chunks.length === 0) throw badRequest(`${d.source} has no text to index (it parsed to nothing)`, 'content', 'empty_document');
      const docMeta: Metadata = { ...(parsed.title ? { title: parsed.title } : {}), ...parsed.metadata, ...userMeta, format };
      pending.push({ at: i, id, source: d.source, hash, existed: existing !== null, chunks, docMeta, userMeta, format });
      pendingChunks += chunks.length;
    } catch (err) {
      stopIfAborted();
      failed(i, id, d.source, err);
      continue;
    }
    if (pendingChunks >= settings.embedBatchSize) {
      await flush(pending);
      pending = [];
      pendingChunks = 0;
    }
  }
  await flush(pending);
  return results;
}

/**
 * A chunk's metadata: what the parser found (document metadata, PDF page, JSON Lines record fields),
 * then the caller's metadata, then the reserved keys source, format, chunk_index and heading_path.
 */
function chunkMetadata(c: Chunk, p: Prepared): Metadata {
  return {
    ...c.metadata,
    ...p.userMeta,
    source: p.source,
    format: p.format,
    chunk_index: c.index,
    ...(c.headingPath.length ? { heading_path: c.headingPath } : {}),
  };
}
