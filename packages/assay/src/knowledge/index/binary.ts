/**
 * Sign-bit (binary) codes for the vector arm's first stage: one bit per dimension (set when the
 * component is > 0), compared by Hamming distance, which approximates the angle between vectors.
 * The candidates it returns are rescored with exact cosine distance, so the quantization only
 * affects which chunks reach the rescoring, never their scores. Memory: dims/8 bytes + 8 bytes per
 * chunk (100k chunks × 384 dims ≈ 5.6 MB).
 */

export const wordsFor = (dims: number) => Math.ceil(dims / 32);

/** The sign-bit code of a vector as little-endian 32-bit words (the stored blob layout). */
export function signCode(v: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(wordsFor(v.length));
  for (let i = 0; i < v.length; i++) if (v[i] > 0) out[i >>> 5] |= 1 << (i & 31);
  return out;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** The codes of one knowledge base, ordered by chunk id. */
export class BinaryCodes {
  readonly ids: Float64Array;
  readonly codes: Uint32Array;
  readonly count: number;
  readonly words: number;

  constructor(ids: Float64Array, codes: Uint32Array, words: number) {
    if (codes.length !== ids.length * words) throw new Error(`BinaryCodes: ${codes.length} words for ${ids.length} ids × ${words}`);
    this.ids = ids;
    this.codes = codes;
    this.count = ids.length;
    this.words = words;
  }

  /** Builds from rows (chunk id, code blob) that arrive in ascending chunk id order. */
  static fromRows(rows: Iterable<{ chunk_id: number; coarse: Uint8Array }>, count: number, dims: number): BinaryCodes {
    const words = wordsFor(dims);
    const ids = new Float64Array(count);
    const codes = new Uint32Array(count * words);
    let n = 0;
    for (const r of rows) {
      if (n === count) break; // rows written since the count was taken: the generation check rebuilds later
      ids[n] = r.chunk_id;
      // Byte copy: a blob's offset in its buffer need not be 4-aligned.
      const bytes = new Uint8Array(codes.buffer, codes.byteOffset + n * words * 4, words * 4);
      bytes.set(r.coarse.subarray(0, words * 4));
      n++;
    }
    return new BinaryCodes(ids.subarray(0, n), codes.subarray(0, n * words), words);
  }

  /** Positions (into `ids`) of these chunk ids; unknown ids are skipped. */
  positionsOf(chunkIds: Iterable<number>): Uint8Array {
    const mask = new Uint8Array(this.count);
    for (const id of chunkIds) {
      let lo = 0;
      let hi = this.count - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const v = this.ids[mid];
        if (v === id) {
          mask[mid] = 1;
          break;
        }
        if (v < id) lo = mid + 1;
        else hi = mid - 1;
      }
    }
    return mask;
  }

  /**
   * Chunk ids of the `limit` codes nearest to `query` by Hamming distance (ties broken by lower
   * chunk id), restricted to `mask` positions when given. O(n) time: distances are small integers,
   * so a histogram finds the cut-off distance without sorting.
   */
  nearest(query: Uint32Array, limit: number, mask: Uint8Array | null = null): number[] {
    const { count, words, codes } = this;
    const maxD = words * 32;
    const dist = new Uint16Array(count);
    const hist = new Uint32Array(maxD + 2);
    const skip = maxD + 1;
    for (let i = 0, base = 0; i < count; i++, base += words) {
      if (mask !== null && mask[i] === 0) {
        dist[i] = skip;
        continue;
      }
      let d = 0;
      for (let w = 0; w < words; w++) d += popcount(codes[base + w] ^ query[w]);
      dist[i] = d;
      hist[d]++;
    }
    let cut = 0;
    let below = 0;
    while (cut <= maxD && below + hist[cut] < limit) below += hist[cut++];
    // Every code closer than `cut` is taken, and codes at distance `cut` until `limit` is reached.
    let atCut = limit - below;
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const d = dist[i];
      if (d < cut) out.push(this.ids[i]);
      else if (d === cut && cut <= maxD && atCut > 0) {
        out.push(this.ids[i]);
        atCut--;
      }
    }
    return out;
  }
}
