/**
 * A deterministic embedder for tests (not part of the build): hashed character trigrams of each
 * folded word plus the whole word, signed, L2-normalized. Words that share a stem share most of
 * their trigrams, so "allergies" lands near "allergic" while "dog" does not: enough meaning for
 * ranking tests, with no model.
 */
import type { Embedder } from '../gateway/embedder.js';

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const STOP = new Set(['a', 'an', 'the', 'is', 'are', 'to', 'of', 'in', 'and', 'or', 'does', 'do', 'what', 'which', 'user', 'have', 'has', 'for', 'with', 'about']);

export function hashEmbed(text: string, dims = 256): Float32Array {
  const v = new Float32Array(dims);
  const words = text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const add = (feature: string, w: number) => {
    const h = fnv1a(feature);
    v[h % dims] += (h & 0x80000000 ? -1 : 1) * w;
  };
  for (const word of words) {
    if (STOP.has(word)) continue;
    add(`w:${word}`, 1);
    const padded = `#${word}#`;
    for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, 1);
  }
  let n = 0;
  for (const x of v) n += x * x;
  if (n > 0) for (let i = 0; i < dims; i++) v[i] /= Math.sqrt(n);
  return v;
}

/** An Embedder over hashEmbed that counts its calls and texts. */
export function hashEmbedder(dims = 256): Embedder & { calls: number; texts: number } {
  const fn = (async (texts: string[]) => {
    fn.calls++;
    fn.texts += texts.length;
    return texts.map((t) => hashEmbed(t, dims));
  }) as Embedder & { calls: number; texts: number };
  fn.calls = 0;
  fn.texts = 0;
  return fn;
}
