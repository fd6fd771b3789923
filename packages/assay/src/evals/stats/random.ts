/**
 * Seeded pseudo-random numbers for the resampling statistics (bootstrap). The same seed gives the
 * same sequence on every platform, so an experiment's intervals do not move between page loads.
 * Generator: mulberry32 (32-bit state, period 2^32), which is plenty for 10,000 resamples of a few
 * thousand items and needs nothing beyond integer arithmetic.
 */

/** The seed used when the caller gives none: results stay reproducible by default. */
export const DEFAULT_SEED = 0x5eed;

/** A 32-bit seed from a number (truncated) or a string (FNV-1a hash), e.g. an experiment id. */
export function seedOf(seed: number | string): number {
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`);
    return Math.trunc(seed) >>> 0;
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic generator of numbers in [0, 1) (mulberry32). */
export function rng(seed: number | string = DEFAULT_SEED): () => number {
  let s = seedOf(seed);
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
