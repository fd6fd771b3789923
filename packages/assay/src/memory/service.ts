/**
 * Long-term memory per end user: facts stored with their embeddings and recalled by hybrid search
 * (exact cosine over the user's vectors, cached in process, fused by RRF with full-text ranks from
 * the store). See docs/memory.md.
 *
 * Recall's work besides embedding the query: one read of the user's row (count, model, generation),
 * one full-text query restricted to the user, and an in-memory scan of the user's vectors; the
 * vectors are loaded from the store only when the user's generation moved (a write by another
 * instance) or the LRU dropped them. Writes from this instance patch the cached entry in place.
 */
import { randomBytes } from 'node:crypto';
import { AssayError, badRequest } from '../errors.js';
import type { MemoryConfig } from '../config/schema.js';
import type { Embedder } from '../gateway/embedder.js';
import type { ChatHandler } from '../gateway/spec.js';
import type { ChatMessage } from '../gateway/types.js';
import { queryTerms } from '../knowledge/index/fts-query.js';
import { reciprocalRankFusion } from '../knowledge/index/rrf.js';
import type { Db } from '../store/db.js';
import type { ObservationSink } from '../tracing/span.js';
import { UserVectors, VectorCache, type CacheStats } from './cache.js';
import { extractFacts, type ExtractCallOptions } from './extract.js';
import { MemoryRepo, type NewMemory, type UserState, type WriteOutcome } from './repo.js';
import { checkOwner, splitOwner } from './owner.js';
import { checkMetadata, checkText, documentTerms, searchWords, textHash, userToken } from './text.js';
import {
  MEMORY_SOURCES, modelMismatch,
  type CallOptions, type Memory, type MemoryUser, type Page, type RecallHit, type RecallOptions, type Remembered, type RememberOptions,
} from './types.js';

/** Default bound of the in-process vector cache over all users. */
export const DEFAULT_CACHE_BYTES = 128 * 1024 * 1024;
/** Each arm ranks this many candidates per wanted result before fusion. */
export const POOL_FACTOR = 4;
export const MAX_K = 50;
const REEMBED_BATCH = 64;
/** A query word in more than this share of the user's memories (and more than COMMON_MIN) is common. */
export const COMMON_FRACTION = 0.05;
export const COMMON_MIN = 50;
const LIST_MAX = 500;

export interface MemoryServiceOptions {
  db: Db;
  config: MemoryConfig;
  /** createEmbedder(…, config.embedding_model): texts → vectors through the gateway, traced. */
  embed: Embedder;
  /** Where the extraction's own trace goes when the caller gives no parent span. */
  sink?: ObservationSink;
  /** Bound of the in-process vector cache (all users); default 128 MiB. */
  cacheBytes?: number;
  now?: () => number;
}

export interface ExtractOptions extends ExtractCallOptions {}

export interface ExtractResult {
  /** Facts the model returned (after trimming and dedupe). */
  facts: string[];
  /** What was stored, one per fact (created: false for facts already known). */
  stored: Remembered[];
  error?: string;
}

const nullSink: ObservationSink = { record: () => undefined };
const newMemoryId = () => `mem_${randomBytes(12).toString('hex')}`;

function checkVectors(vectors: Float32Array[], n: number, model: string): number {
  const bad = (message: string) => new AssayError({ status: 502, type: 'upstream_error', code: 'bad_embeddings', message: `embedding model ${model} returned ${message}` });
  if (vectors.length !== n) throw bad(`${vectors.length} vectors for ${n} texts`);
  const dims = vectors[0]?.length ?? 0;
  for (const v of vectors) {
    if (v.length === 0 || v.length !== dims) throw bad(`vectors of ${v.length} and ${dims} dimensions`);
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw bad('a vector with a non-finite value');
  }
  return dims;
}

export class MemoryService {
  readonly config: MemoryConfig;
  private readonly repo: MemoryRepo;
  private readonly embed: Embedder;
  private readonly sink: ObservationSink;
  private readonly cache: VectorCache;
  private readonly now: () => number;
  private readonly loading = new Map<string, Promise<UserVectors>>();

  constructor(opts: MemoryServiceOptions) {
    this.config = opts.config;
    this.repo = new MemoryRepo(opts.db);
    this.embed = opts.embed;
    this.sink = opts.sink ?? nullSink;
    this.cache = new VectorCache(opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.now = opts.now ?? Date.now;
  }

  get model(): string {
    return this.config.embedding_model;
  }

  /** Stores a fact (or refreshes the identical one already stored). */
  async remember(userId: string, text: string, opts: RememberOptions): Promise<Remembered> {
    return (await this.rememberMany(userId, [text], opts))[0];
  }

  /** Stores several facts with one embedding call; one result per text, in order. */
  async rememberMany(userId: string, texts: readonly string[], opts: RememberOptions, retried = false): Promise<Remembered[]> {
    const user = checkOwner(userId);
    if (!MEMORY_SOURCES.includes(opts?.source)) throw badRequest(`source must be one of ${MEMORY_SOURCES.join(', ')}`, 'source');
    const metadata = checkMetadata(opts.metadata);
    if (!Array.isArray(texts) || texts.length === 0) throw badRequest('no text to remember', 'text', 'invalid_text');
    const clean = texts.map((t, i) => checkText(t, texts.length > 1 ? `text ${i + 1}` : 'text'));
    const hashes = clean.map(textHash);
    const state = await this.repo.state(user);
    if (state && state.model !== this.model) throw modelMismatch(user, state, { model: this.model });
    const known = await this.repo.findByHashes(user, [...new Set(hashes)]);
    const fresh = new Map<string, string>();
    clean.forEach((t, i) => {
      if (!known.has(hashes[i]) && !fresh.has(hashes[i])) fresh.set(hashes[i], t);
    });
    let dims = state?.dims ?? 0;
    const items: NewMemory[] = [];
    if (fresh.size > 0) {
      const vectors = await this.embed([...fresh.values()], { parent: opts.parent, signal: opts.signal, userId: splitOwner(user).user, name: 'memory.remember' });
      dims = checkVectors(vectors, fresh.size, this.model);
      if (state && state.dims !== dims) throw modelMismatch(user, state, { model: this.model, dims });
      [...fresh].forEach(([hash, text], i) =>
        items.push({ id: newMemoryId(), text, hash, vector: vectors[i], source: opts.source, metadata, traceId: opts.traceId ?? opts.parent?.traceId ?? null }),
      );
    }
    const now = this.now();
    const out = await this.repo.write(user, { items, touch: [...known.keys()], model: this.model, dims, maxPerUser: this.config.max_per_user, now, token: userToken(user) });
    this.patch(user, out, items, now);
    const ids = new Map(items.filter((m) => out.inserted.has(m.hash)).map((m) => [m.hash, m.id]));
    // A known fact deleted between the look-up and the write: stored again (once).
    const missing = [...new Set(clean.filter((_, i) => !ids.has(hashes[i]) && !out.existing.has(hashes[i])))];
    const retry = new Map<string, Remembered>();
    if (missing.length > 0 && !retried) {
      const again = await this.rememberMany(user, missing, opts, true);
      missing.forEach((t, i) => retry.set(textHash(t), again[i]));
    }
    const seen = new Set<string>();
    return hashes.map((h) => {
      const r = retry.get(h);
      const created = (ids.has(h) || r?.created === true) && !seen.has(h);
      seen.add(h);
      return { id: ids.get(h) ?? out.existing.get(h) ?? r?.id ?? '', created };
    });
  }

  /** The user's memories most relevant to `query`, best first (hybrid: vector + full text, RRF). */
  async recall(userId: string, query: string, opts: RecallOptions = {}): Promise<RecallHit[]> {
    const user = checkOwner(userId);
    const q = checkText(query, 'query');
    const k = opts.k ?? this.config.recall_k;
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw badRequest(`k must be an integer from 1 to ${MAX_K}, got ${String(k)}`, 'k');
    const state = await this.repo.state(user);
    if (!state || state.count === 0) {
      this.cache.delete(user); // wiped, maybe by another instance: forget the vectors here too
      return [];
    }
    if (state.model !== this.model) throw modelMismatch(user, state, { model: this.model });
    const pool = k * POOL_FACTOR;
    const token = userToken(user);
    const embedded = this.embed([q], { parent: opts.parent, signal: opts.signal, userId: splitOwner(user).user, name: 'memory.recall' });
    const entryP = this.entry(user, state);
    const textP = entryP.then((e) => this.repo.textSearch(user, token, this.searchTerms(q, e), pool));
    textP.catch(() => undefined); // awaited below; observed here in case an earlier step throws first
    const [vectors, entry] = await Promise.all([embedded, entryP]);
    const dims = checkVectors(vectors, 1, this.model);
    if (dims !== entry.dims) throw modelMismatch(user, state, { model: this.model, dims });
    // On PostgreSQL, let the text query reach the server before the (synchronous) scan: they overlap.
    if (this.repo.remote) await new Promise<void>((resolve) => setImmediate(resolve));
    const vec = entry.nearest(vectors[0], pool);
    const textSeqs = await textP;
    const txt = textSeqs.filter((s) => entry.has(s)); // written after the entry's snapshot: skipped
    const fused = reciprocalRankFusion([vec.map((h) => h.seq), txt]);
    const hits: RecallHit[] = [];
    for (const f of fused) {
      const row = entry.row(f.id);
      if (!row) continue;
      const hit: RecallHit = { id: row.id, text: row.text, score: f.score, createdAt: row.createdAt };
      const [vr, tr] = f.ranks;
      if (vr !== undefined) {
        hit.vectorRank = vr;
        hit.similarity = vec[vr - 1].similarity;
      }
      if (tr !== undefined) hit.textRank = tr;
      hits.push(hit);
      if (hits.length === k) break;
    }
    opts.parent?.meta({ memory_recall: { memories: entry.count, vector_pool: vec.length, text_pool: txt.length, returned: hits.length } });
    return hits;
  }

  async list(userId: string, page: { limit?: number; cursor?: string | null } = {}): Promise<Page<Memory>> {
    const limit = page.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX) throw badRequest(`limit must be an integer from 1 to ${LIST_MAX}`, 'limit');
    return this.repo.list(checkOwner(userId), limit, page.cursor);
  }

  async get(userId: string, id: string): Promise<Memory | null> {
    return this.repo.get(checkOwner(userId), id);
  }

  /** Deletes one memory; false when the user has none with this id. */
  async delete(userId: string, id: string): Promise<boolean> {
    const user = checkOwner(userId);
    const out = await this.repo.delete(user, id);
    if (!out) return false;
    const entry = this.cache.peek(user);
    if (entry && entry.generation === out.before) {
      const bytes = entry.bytes;
      entry.remove(out.seq);
      entry.generation = out.after;
      this.cache.resized(user, bytes);
    } else this.cache.delete(user);
    return true;
  }

  /** Removes every memory of the user; returns how many there were. */
  async wipe(userId: string): Promise<number> {
    const user = checkOwner(userId);
    const n = await this.repo.wipe(user);
    this.cache.delete(user);
    return n;
  }

  /** Users with memories, with their counts, by user id. */
  async users(page: { limit?: number; cursor?: string | null; namespace?: string } = {}): Promise<Page<MemoryUser>> {
    const limit = page.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX) throw badRequest(`limit must be an integer from 1 to ${LIST_MAX}`, 'limit');
    return this.repo.users(limit, page.cursor, page.namespace);
  }

  /**
   * Re-embeds the user's memories with the configured model (after `memory.embedding_model`
   * changed). Batches of 64; safe to run again after an interruption. Remember and recall answer
   * 409 for this user until it is done.
   */
  async reembed(userId: string, opts: CallOptions = {}): Promise<{ reembedded: number }> {
    const user = checkOwner(userId);
    let dims = -1; // unknown until the first batch is embedded: that batch is taken whatever its dims
    let n = 0;
    try {
      for (;;) {
        opts.signal?.throwIfAborted();
        const rows = await this.repo.stale(user, this.model, dims, REEMBED_BATCH);
        if (rows.length === 0) break;
        const vectors = await this.embed(rows.map((r) => r.text), { parent: opts.parent, signal: opts.signal, userId: splitOwner(user).user, name: 'memory.reembed' });
        const d = checkVectors(vectors, rows.length, this.model);
        if (dims !== -1 && d !== dims) throw new AssayError({ status: 502, type: 'upstream_error', code: 'bad_embeddings', message: `embedding model ${this.model} changed dimensions during the re-embed (${dims} → ${d}): run it again` });
        dims = d;
        await this.repo.replaceVectors(user, rows.map((r, i) => ({ seq: r.seq, vector: vectors[i] })), this.model, dims, false);
        n += rows.length;
      }
      if (dims !== -1) await this.repo.replaceVectors(user, [], this.model, dims, true);
    } finally {
      this.cache.delete(user);
    }
    return { reembedded: n };
  }

  /**
   * Extracts durable facts about the user from a conversation with `memory.extract_model` (through
   * `chat`, the gateway pipeline) and stores them (source 'extracted'). Never throws: a failed call,
   * output that is not `{facts: string[]}` or a failed store come back as `error` (the extraction
   * span records it too) and nothing is stored.
   */
  async extract(userId: string, messages: readonly ChatMessage[], chat: ChatHandler, opts: ExtractOptions = {}): Promise<ExtractResult> {
    const model = this.config.extract_model;
    if (!model) return { facts: [], stored: [], error: 'memory.extract_model is not set: add it to the memory: section to extract facts' };
    let user: string;
    try {
      user = checkOwner(userId);
    } catch (err) {
      return { facts: [], stored: [], error: (err as Error).message };
    }
    const ex = await extractFacts({ chat, model, sink: this.sink }, user, messages ?? [], opts);
    try {
      if (ex.error !== undefined || ex.facts.length === 0) return { facts: ex.facts, stored: [], ...(ex.error !== undefined ? { error: ex.error } : {}) };
      const stored = await this.rememberMany(user, ex.facts, { source: 'extracted', parent: ex.span, signal: opts.signal, traceId: ex.span.traceId });
      ex.span.meta({ stored: stored.filter((s) => s.created).length, known: stored.filter((s) => !s.created).length });
      return { facts: ex.facts, stored };
    } catch (err) {
      const e = err as { message?: string; status?: number };
      const error = `storing the extracted facts failed: ${e.message ?? String(err)}`;
      ex.span.fail({ message: error, status: e.status });
      return { facts: ex.facts, stored: [], error };
    } finally {
      ex.span.end();
    }
  }

  /**
   * Loads (or catches up) the user's vectors in the background, e.g. when a call with memory tools
   * starts: the first recall for a user whose vectors are not cached reads them all from the store
   * (~150–350 ms at 10k memories), which this moves off the recall. Never rejects.
   */
  async warm(userId: string): Promise<void> {
    try {
      const user = checkOwner(userId);
      const state = await this.repo.state(user);
      if (state && state.count > 0 && state.model === this.model) await this.entry(user, state);
    } catch {
      /* best effort: recall reports problems */
    }
  }

  cacheStats(): CacheStats {
    return this.cache.info();
  }

  /** Drops every cached vector (tests, benchmarks). */
  clearCache(): void {
    this.cache.clear();
  }

  /**
   * The query's words minus function words and minus the user's common words (in more than 5% of
   * the user's memories, and more than 50) when rarer ones remain: a common word says little about
   * which fact is meant, and ranking every fact that holds it is what makes a text query slow.
   */
  private searchTerms(query: string, entry: UserVectors): string[] {
    const terms = searchWords(queryTerms(query));
    const limit = Math.max(COMMON_MIN, COMMON_FRACTION * entry.count);
    const rare = terms.filter((t) => (entry.df.get(t) ?? 0) <= limit);
    return rare.length > 0 ? rare : terms;
  }

  /**
   * The user's cached vectors at the state's generation or later: a cache hit, else a refresh (one
   * per user at a time).
   */
  private async entry(user: string, state: UserState): Promise<UserVectors> {
    const hit = this.cache.get(user, state.generation);
    if (hit) return hit;
    const inflight = this.loading.get(user);
    if (inflight) {
      const e = await inflight;
      if (e.generation >= state.generation) return e;
    }
    const p = this.refresh(user, state).finally(() => {
      if (this.loading.get(user) === p) this.loading.delete(user);
    });
    this.loading.set(user, p);
    return p;
  }

  /**
   * Catches a cached entry up with writes made elsewhere (rows newer than its generation, and the
   * live seqs for deletions), or loads the user's vectors whole when there is no usable entry.
   */
  private async refresh(user: string, state: UserState): Promise<UserVectors> {
    const old = this.cache.peek(user);
    if (old && old.model === state.model && old.dims === state.dims && old.generation < state.generation) {
      const from = old.generation;
      const [live, rows] = await Promise.all([this.repo.seqs(user), this.repo.vectors(user, state.model, state.dims, from, state.generation)]);
      // Unless a write of this process patched the entry meanwhile (then the delta no longer fits it).
      if (this.cache.peek(user) === old && old.generation === from) {
        const bytes = old.bytes;
        old.retain(new Set(live));
        for (const r of rows) {
          old.remove(r.seq); // a re-embedded row comes back with its new vector
          old.add({ ...r, terms: documentTerms(r.text) });
        }
        old.generation = state.generation;
        this.cache.resized(user, bytes, true);
        return old;
      }
    }
    const rows = await this.repo.vectors(user, state.model, state.dims, 0, state.generation);
    const entry = new UserVectors(state.model, state.dims, state.generation, rows.length);
    for (const r of rows) {
      entry.add({ ...r, terms: documentTerms(r.text) });
    }
    this.cache.set(user, entry);
    return entry;
  }

  /** Applies this instance's write to the cached entry when it was current, else drops it. */
  private patch(user: string, out: WriteOutcome, items: NewMemory[], now: number): void {
    const entry = this.cache.peek(user);
    if (!entry) return;
    if (entry.generation !== out.before || entry.dims !== (items[0]?.vector.length ?? entry.dims)) {
      this.cache.delete(user);
      return;
    }
    if (out.after === out.before) return;
    const bytes = entry.bytes;
    for (const m of items) {
      const seq = out.inserted.get(m.hash);
      if (seq !== undefined) entry.add({ seq, id: m.id, text: m.text, createdAt: now, vector: m.vector, terms: documentTerms(m.text) });
    }
    for (const seq of out.evicted) entry.remove(seq);
    entry.generation = out.after;
    this.cache.resized(user, bytes);
  }
}
