/** Deterministic numbers and vectors for the benchmarks' synthetic data (the same seed, the same data). */

/** A linear congruential generator in [0, 1). */
export function rng(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

/** Scales `v` to unit length in place and returns it. */
export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  s = Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] /= s;
  return v;
}
