/**
 * Knowledge bases as a product: create (the embedding model's dimension probed once), ingest
 * (ingest.ts), search (the query embedded with the base's model through the gateway, traced, under a
 * caller's span when given), and the listing and deletion of bases and documents. The HTTP API
 * (/api/kb), the CLI (`assay kb`) and the retrieve tool all go through this class. docs/knowledge.md.
 */
import { AssayError, badRequest, notFound, UpstreamError } from '../errors.js';
import type { KnowledgeConfig } from '../config/schema.js';
import type { Embedder } from '../gateway/embedder.js';
import type { Span } from '../tracing/span.js';
import { resolveChunkOptions } from './chunk/index.js';
import { MAX_K } from './index/index.js';
import type { DocumentRecord, KnowledgeBase, KnowledgeIndex, MetadataFilter, SearchArms, SearchHit } from './index/types.js';
import { checkKbInput } from './index/validate.js';
import {
  checkDims, ingestDocuments, type IngestDocument, type IngestOptions, type IngestResult, type IngestSettings,
} from './ingest.js';

export type { IngestDocument, IngestOptions, IngestProgress, IngestResult, IngestStatus } from './ingest.js';

export interface KnowledgeServiceOptions {
  /** The index, or its opening (a failed opening makes every call a 503 that gives the reason). */
  index: KnowledgeIndex | Promise<KnowledgeIndex>;
  /** An embedder for a model id (through the gateway pipeline: routes, budgets, traces). */
  embedderFor: (model: string) => Embedder;
  config: KnowledgeConfig;
}

export interface CreateKbInput {
  name: string;
  /** Default: knowledge.default_embedding_model. */
  embedding_model?: string;
  description?: string;
}

export interface KbStats {
  documents: number;
  chunks: number;
}

export interface IngestSummary {
  added: number;
  updated: number;
  unchanged: number;
  failed: number;
  chunks: number;
  embedded: number;
  cached: number;
  replaced: number;
}

export interface IngestReport {
  kb: KnowledgeBase;
  /** One per input document, in input order. */
  documents: IngestResult[];
  summary: IngestSummary;
}

export interface KbSearchRequest {
  query: string;
  /** Default 10, at most 200. */
  k?: number;
  filter?: MetadataFilter;
  /** Default hybrid. `text` needs no embedding call. */
  arms?: SearchArms;
}

export interface KbSearchOptions {
  /** The query embedding is traced under this span (e.g. a retrieve tool step); else as its own trace. */
  parent?: Span;
  signal?: AbortSignal;
}

export interface KbSearchResult {
  kb: KnowledgeBase;
  query: string;
  arms: SearchArms;
  hits: SearchHit[];
}

export interface DocumentPage {
  data: DocumentRecord[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const MAX_QUERY_CHARS = 8192;
/** Most documents per page (the index serves at most 1000 rows, and a page fetches one extra). */
export const MAX_PAGE = 500;
export const MAX_DESCRIPTION_CHARS = 2000;
const PROBE_TEXT = 'Assay knowledge base: embedding dimension probe.';
const ARMS: readonly SearchArms[] = ['hybrid', 'vector', 'text'];

const kbNotFound = (kb: string) =>
  notFound(`knowledge base ${JSON.stringify(kb)} does not exist: create it first (POST /api/kb or \`assay kb create\`), or check the name`, 'kb_not_found');

const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!id || encodeCursor(id) !== cursor) throw badRequest('cursor is not one this API returned: pass next_cursor from the previous page', 'cursor');
  return id;
}

/**
 * An embedding failure as the caller should see it, naming the model: 400 when the request was at
 * fault (unknown model, input refused by the upstream), 429 when rate-limited or over budget, else 502.
 */
function embeddingFailed(model: string, what: string, err: unknown): AssayError {
  const e = err as { status?: number; message?: string };
  const s = e.status ?? 500;
  if (s === 499) return err as AssayError;
  const status = s === 429 ? 429 : s >= 400 && s < 500 && ![401, 403, 407, 408].includes(s) ? 400 : 502;
  const message = `embedding model ${JSON.stringify(model)} failed ${what}: ${e.message ?? String(err)}`;
  if (status !== 502) return new AssayError({ status, code: 'embedding_model_failed', message, cause: err });
  // An upstream's failure, not Assay's: rendered without a server-error log.
  const up = err instanceof UpstreamError ? err : null;
  return new UpstreamError({ status, type: 'upstream_error', code: 'embedding_model_failed', message, cause: err, failure: up?.failure ?? 'http', target: up?.target ?? model });
}

export class KnowledgeService {
  private readonly ready: Promise<KnowledgeIndex>;
  private readonly embedders = new Map<string, Embedder>();
  readonly settings: IngestSettings;

  constructor(private readonly opts: KnowledgeServiceOptions) {
    const cfg = opts.config;
    try {
      resolveChunkOptions({ chunkTokens: cfg.chunk_tokens, overlapTokens: cfg.chunk_overlap });
    } catch (err) {
      throw new Error(`knowledge.chunk_tokens / knowledge.chunk_overlap in the config: ${(err as Error).message}`);
    }
    this.settings = {
      chunkTokens: cfg.chunk_tokens,
      overlapTokens: cfg.chunk_overlap,
      embedBatchSize: cfg.embed_batch_size,
      maxDocumentBytes: cfg.max_document_bytes,
    };
    this.ready = Promise.resolve(opts.index).catch((err: unknown) => {
      throw new AssayError({
        status: 503,
        type: 'unavailable_error',
        code: 'knowledge_unavailable',
        message: `knowledge bases are not available on this server: ${(err as Error)?.message ?? String(err)}`,
      });
    });
    this.ready.catch(() => undefined); // reported on use, not as an unhandled rejection
  }

  private index(): Promise<KnowledgeIndex> {
    return this.ready;
  }

  private embedder(model: string): Embedder {
    let e = this.embedders.get(model);
    if (!e) this.embedders.set(model, (e = this.opts.embedderFor(model)));
    return e;
  }

  /** Creates a base: its model's dimension is probed with one embedding call; nothing is created when that fails. */
  async create(input: CreateKbInput, opts: { signal?: AbortSignal } = {}): Promise<KnowledgeBase> {
    const index = await this.index();
    const model = input.embedding_model ?? this.opts.config.default_embedding_model;
    if (model === undefined || model === '') {
      throw badRequest(
        'no embedding model: pass embedding_model (e.g. "openai/text-embedding-3-small" or a route name), or set knowledge.default_embedding_model in the config',
        'embedding_model',
        'embedding_model_required',
      );
    }
    checkKbInput({ name: input.name, model, dims: 1 });
    if (input.description !== undefined && (typeof input.description !== 'string' || input.description.length > MAX_DESCRIPTION_CHARS)) {
      throw badRequest(`description must be a string of at most ${MAX_DESCRIPTION_CHARS} characters`, 'description');
    }
    if (await index.getKb(input.name)) throw alreadyExists(input.name);
    let probe: Float32Array[];
    try {
      probe = await this.embedder(model)([PROBE_TEXT], { name: 'kb.probe', signal: opts.signal });
    } catch (err) {
      throw embeddingFailed(model, 'the dimension probe, so the knowledge base was not created', err);
    }
    const dims = probe[0]?.length ?? 0;
    if (dims < 1) {
      throw new AssayError({ status: 502, type: 'upstream_error', code: 'embedding_model_failed', message: `embedding model ${JSON.stringify(model)} returned an empty vector for the dimension probe` });
    }
    const record = { name: input.name, model, dims, description: input.description ?? null };
    try {
      return await index.createKb(record);
    } catch (err) {
      if ((err as AssayError).code === 'already_exists') throw alreadyExists(input.name);
      throw err;
    }
  }

  async list(): Promise<KnowledgeBase[]> {
    return (await this.index()).listKbs();
  }

  /** A base by id or name; 404 when there is none. */
  async get(kb: string): Promise<KnowledgeBase> {
    const found = await (await this.index()).getKb(kb);
    if (!found) throw kbNotFound(kb);
    return found;
  }

  /** Documents and chunks in a base (walks the document list: O(documents)). */
  async stats(kb: string): Promise<KbStats> {
    const index = await this.index();
    const base = await this.get(kb);
    const out: KbStats = { documents: 0, chunks: 0 };
    for (let after: string | undefined; ; ) {
      const page = await index.listDocuments(base.id, { limit: 1000, after });
      for (const d of page) {
        out.documents++;
        out.chunks += d.chunkCount;
      }
      if (page.length < 1000) return out;
      after = page[page.length - 1].id;
    }
  }

  /** Deletes a base with all its documents; returns what was deleted (404 when unknown). */
  async delete(kb: string): Promise<KnowledgeBase> {
    const index = await this.index();
    const base = await this.get(kb);
    if (!(await index.deleteKb(base.id))) throw kbNotFound(kb);
    return base;
  }

  /** Parses, chunks, embeds (through the cache) and stores documents; one result per document. */
  async ingest(kb: string, docs: IngestDocument[], opts: IngestOptions = {}): Promise<IngestReport> {
    const index = await this.index();
    const base = await this.get(kb);
    const embedder = this.embedder(base.model);
    const embed = async (texts: string[]) => {
      try {
        return await embedder(texts, { name: 'kb.ingest', signal: opts.signal });
      } catch (err) {
        throw embeddingFailed(base.model, `while ingesting into "${base.name}"`, err);
      }
    };
    const documents = await ingestDocuments({ index, kb: base, embed, settings: this.settings }, docs, opts);
    const summary: IngestSummary = { added: 0, updated: 0, unchanged: 0, failed: 0, chunks: 0, embedded: 0, cached: 0, replaced: 0 };
    for (const r of documents) {
      summary[r.status]++;
      summary.chunks += r.chunks;
      summary.embedded += r.embedded;
      summary.cached += r.cached;
      summary.replaced += r.replaced;
    }
    return { kb: base, documents, summary };
  }

  /**
   * Hybrid (default), vector or text search. `request` may be just the query text. The query is
   * embedded with the base's model (not for arms = text) under `opts.parent` when given.
   */
  async search(kb: string, request: string | KbSearchRequest, opts: KbSearchOptions = {}): Promise<KbSearchResult> {
    const index = await this.index();
    const req: KbSearchRequest = typeof request === 'string' ? { query: request } : request;
    if (typeof req?.query !== 'string' || req.query.trim() === '') throw badRequest('query must be a non-empty string: the text to search for', 'query', 'empty_query');
    if (req.query.length > MAX_QUERY_CHARS) throw badRequest(`query is ${req.query.length} characters; at most ${MAX_QUERY_CHARS}`, 'query');
    const k = req.k ?? 10;
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw badRequest(`k must be an integer from 1 to ${MAX_K}, got ${String(req.k)}`, 'k');
    const arms = req.arms ?? 'hybrid';
    if (!ARMS.includes(arms)) throw badRequest(`arms must be one of ${ARMS.join(', ')}, got ${JSON.stringify(arms)}`, 'arms');
    if (req.filter !== undefined && (req.filter === null || typeof req.filter !== 'object' || Array.isArray(req.filter))) {
      throw badRequest('filter must be an object of metadata key → value or list of values, e.g. {"lang": ["en", "de"]}', 'filter');
    }
    const base = await this.get(kb);
    let vector: Float32Array | undefined;
    if (arms !== 'text') {
      let out: Float32Array[];
      try {
        out = await this.embedder(base.model)([req.query], { name: 'kb.search', parent: opts.parent, signal: opts.signal });
      } catch (err) {
        throw embeddingFailed(base.model, `while embedding the query for "${base.name}"`, err);
      }
      checkDims(base, out);
      vector = out[0];
    }
    const hits = await index.search(base.id, { vector, text: req.query, k, filter: req.filter, arms });
    return { kb: base, query: req.query, arms, hits };
  }

  /** A page of a base's documents, ordered by id. */
  async listDocuments(kb: string, opts: { limit?: number; cursor?: string } = {}): Promise<DocumentPage> {
    const index = await this.index();
    const base = await this.get(kb);
    const limit = opts.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw badRequest(`limit must be an integer from 1 to ${MAX_PAGE}, got ${String(opts.limit)}`, 'limit');
    const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
    const rows = await index.listDocuments(base.id, { limit: limit + 1, after });
    const data = rows.slice(0, limit);
    return { data, nextCursor: rows.length > limit ? encodeCursor(data[data.length - 1].id) : null };
  }

  async getDocument(kb: string, documentId: string): Promise<DocumentRecord> {
    const index = await this.index();
    const base = await this.get(kb);
    const doc = await index.getDocument(base.id, documentId);
    if (!doc) throw documentNotFound(base, documentId);
    return doc;
  }

  /** Removes a document and its chunks from every index (404 when it is not there). */
  async deleteDocument(kb: string, documentId: string): Promise<void> {
    const index = await this.index();
    const base = await this.get(kb);
    if (!(await index.deleteDocument(base.id, documentId))) throw documentNotFound(base, documentId);
  }
}

function alreadyExists(name: string): AssayError {
  return new AssayError({
    status: 409,
    code: 'already_exists',
    message: `a knowledge base named "${name}" exists already: pick another name, or delete it first`,
    param: 'name',
  });
}

function documentNotFound(kb: KnowledgeBase, id: string): AssayError {
  return notFound(`knowledge base "${kb.name}" has no document ${JSON.stringify(id)} (ids are the source path unless given; list them with GET /api/kb/${kb.name}/documents)`, 'document_not_found');
}
