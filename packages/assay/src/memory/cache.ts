/**
 * The in-process side of recall: per user, the unit-length vectors of every memory (packed in one
 * Float32Array), their texts and ids, and per-term document frequencies, valid for one store
 * `generation` of that user. The vector arm is an exact cosine scan over them (10k × 384 floats is
 * a few milliseconds); the frequencies let the text arm drop the user's common words.
 *
 * The cache is an LRU over users bounded by total bytes. A write from this process patches the
 * entry in place when the entry was current before the write; any other change (another instance,
 * a missed write) shows up as a different generation and the entry is loaded again.
 */

export interface CachedRow {
  seq: number;
  id: string;
  text: string;
  createdAt: number;
  /** Raw vector (dims long); normalized on the way in. */
  vector: Float32Array;
  /** The text's distinct folded words. */
  terms: readonly string[];
}

export interface VectorHit {
  seq: number;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
}

/** Rough JS cost of one cached row besides its vector and text (ids, maps, arrays). */
const ROW_OVERHEAD = 120;
const TERM_OVERHEAD = 64;

export class UserVectors {
  readonly model: string;
  readonly dims: number;
  generation: number;
  count = 0;
  private seqs: Float64Array;
  private created: Float64Array;
  private vectors: Float32Array;
  private ids: string[] = [];
  private texts: string[] = [];
  private terms: (readonly string[])[] = [];
  private readonly pos = new Map<number, number>();
  readonly df = new Map<string, number>();
  private textChars = 0;

  constructor(model: string, dims: number, generation: number, capacity = 16) {
    this.model = model;
    this.dims = dims;
    this.generation = generation;
    this.seqs = new Float64Array(capacity);
    this.created = new Float64Array(capacity);
    this.vectors = new Float32Array(capacity * dims);
  }

  /** Approximate bytes held (what the LRU bound counts). */
  get bytes(): number {
    return this.vectors.byteLength + this.seqs.byteLength * 2 + this.textChars * 2 + this.count * ROW_OVERHEAD + this.df.size * TERM_OVERHEAD;
  }

  has(seq: number): boolean {
    return this.pos.has(seq);
  }

  row(seq: number): { id: string; text: string; createdAt: number } | undefined {
    const i = this.pos.get(seq);
    return i === undefined ? undefined : { id: this.ids[i], text: this.texts[i], createdAt: this.created[i] };
  }

  add(r: CachedRow): void {
    if (r.vector.length !== this.dims) throw new Error(`memory cache: a ${r.vector.length}-dimension vector in a ${this.dims}-dimension user cache`);
    if (this.pos.has(r.seq)) return;
    if (this.count === this.seqs.length) this.grow();
    const i = this.count++;
    this.seqs[i] = r.seq;
    this.created[i] = r.createdAt;
    this.ids[i] = r.id;
    this.texts[i] = r.text;
    this.terms[i] = r.terms;
    this.textChars += r.text.length + r.id.length;
    this.pos.set(r.seq, i);
    const v = this.vectors.subarray(i * this.dims, (i + 1) * this.dims);
    v.set(r.vector);
    let norm = 0;
    for (let d = 0; d < v.length; d++) norm += v[d] * v[d];
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < v.length; d++) v[d] *= inv;
    for (const t of r.terms) this.df.set(t, (this.df.get(t) ?? 0) + 1);
  }

  /** Removes every row whose seq is not in `live` (rows deleted elsewhere). */
  retain(live: ReadonlySet<number>): void {
    const gone: number[] = [];
    for (let i = 0; i < this.count; i++) if (!live.has(this.seqs[i])) gone.push(this.seqs[i]);
    for (const seq of gone) this.remove(seq);
  }

  /** Removes a row by moving the last one into its place. */
  remove(seq: number): void {
    const i = this.pos.get(seq);
    if (i === undefined) return;
    for (const t of this.terms[i]) {
      const n = (this.df.get(t) ?? 1) - 1;
      if (n <= 0) this.df.delete(t);
      else this.df.set(t, n);
    }
    this.textChars -= this.texts[i].length + this.ids[i].length;
    this.pos.delete(seq);
    const last = --this.count;
    if (i !== last) {
      this.seqs[i] = this.seqs[last];
      this.created[i] = this.created[last];
      this.ids[i] = this.ids[last];
      this.texts[i] = this.texts[last];
      this.terms[i] = this.terms[last];
      this.vectors.copyWithin(i * this.dims, last * this.dims, (last + 1) * this.dims);
      this.pos.set(this.seqs[i], i);
    }
    this.ids.length = this.texts.length = this.terms.length = last;
  }

  /**
   * The `limit` rows most similar to `query` (exact cosine), best first; ties by lower seq (the
   * older memory), so results are deterministic.
   */
  nearest(query: ArrayLike<number>, limit: number): VectorHit[] {
    if (query.length !== this.dims) throw new Error(`memory cache: a ${query.length}-dimension query for ${this.dims}-dimension vectors`);
    const dims = this.dims;
    const q = new Float32Array(dims);
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += query[d] * query[d];
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dims; d++) q[d] = query[d] * inv;
    const n = Math.min(limit, this.count);
    if (n <= 0) return [];
    // Top n kept sorted best-first in small arrays; a row enters only when it beats the worst kept.
    const topSim = new Float64Array(n).fill(-Infinity);
    const topSeq = new Float64Array(n).fill(Infinity);
    const v = this.vectors;
    const dims4 = dims - (dims % 4);
    for (let i = 0, base = 0; i < this.count; i++, base += dims) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let d = 0;
      for (; d < dims4; d += 4) {
        s0 += v[base + d] * q[d];
        s1 += v[base + d + 1] * q[d + 1];
        s2 += v[base + d + 2] * q[d + 2];
        s3 += v[base + d + 3] * q[d + 3];
      }
      for (; d < dims; d++) s0 += v[base + d] * q[d];
      const sim = s0 + s1 + s2 + s3;
      const seq = this.seqs[i];
      const worst = n - 1;
      if (sim < topSim[worst] || (sim === topSim[worst] && seq > topSeq[worst])) continue;
      let j = worst;
      while (j > 0 && (sim > topSim[j - 1] || (sim === topSim[j - 1] && seq < topSeq[j - 1]))) {
        topSim[j] = topSim[j - 1];
        topSeq[j] = topSeq[j - 1];
        j--;
      }
      topSim[j] = sim;
      topSeq[j] = seq;
    }
    const out: VectorHit[] = [];
    for (let j = 0; j < n; j++) out.push({ seq: topSeq[j], similarity: Math.max(-1, Math.min(1, topSim[j])) });
    return out;
  }

  private grow(): void {
    const cap = Math.max(16, this.seqs.length * 2);
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    const created = new Float64Array(cap);
    created.set(this.created);
    const vectors = new Float32Array(cap * this.dims);
    vectors.set(this.vectors);
    this.seqs = seqs;
    this.created = created;
    this.vectors = vectors;
  }
}

export interface CacheStats {
  users: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  /** Entries read whole from the store. */
  loads: number;
  /** Entries caught up with another instance's writes (only the newer rows read). */
  syncs: number;
  evictions: number;
}

/** LRU over users, bounded by the entries' total bytes. */
export class VectorCache {
  private readonly entries = new Map<string, UserVectors>();
  private total = 0;
  private stats = { hits: 0, loads: 0, syncs: 0, evictions: 0 };

  constructor(readonly maxBytes: number) {}

  /**
   * The user's entry when it is at `generation` or later (per user, generations only grow; a later
   * one was patched by a write of this process), and marks it recently used.
   */
  get(userId: string, generation: number): UserVectors | undefined {
    const e = this.entries.get(userId);
    if (!e || e.generation < generation) return undefined;
    this.entries.delete(userId);
    this.entries.set(userId, e);
    this.stats.hits++;
    return e;
  }

  /** The entry whatever its generation (to patch or catch up), without touching the LRU order. */
  peek(userId: string): UserVectors | undefined {
    return this.entries.get(userId);
  }

  /** Stores a freshly loaded entry. */
  set(userId: string, entry: UserVectors): void {
    this.stats.loads++;
    this.delete(userId);
    if (entry.bytes > this.maxBytes) return; // larger than the whole cache: used once, not kept
    this.entries.set(userId, entry);
    this.total += entry.bytes;
    this.shrink();
  }

  /** Re-counts an entry's bytes after it was patched (a local write) or caught up (`sync`) in place. */
  resized(userId: string, before: number, sync = false): void {
    const e = this.entries.get(userId);
    if (!e) return;
    if (sync) this.stats.syncs++;
    this.total += e.bytes - before;
    if (e.bytes > this.maxBytes) this.delete(userId);
    else this.shrink();
  }

  delete(userId: string): void {
    const e = this.entries.get(userId);
    if (!e) return;
    this.entries.delete(userId);
    this.total -= e.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  info(): CacheStats {
    return { users: this.entries.size, bytes: this.total, maxBytes: this.maxBytes, ...this.stats };
  }

  private shrink(): void {
    for (const [user, e] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(user);
      this.total -= e.bytes;
      this.stats.evictions++;
    }
  }
}
