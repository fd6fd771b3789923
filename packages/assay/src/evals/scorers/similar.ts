/**
 * Embedding similarity (promptfoo's `similar`, `similar:cosine`, `similar:dot`,
 * `similar:euclidean`). The output and the expected text(s) are embedded in one call (the
 * assertion's `provider` names the embedding model when deps.embedFor is available, else deps.embed).
 * - cosine, dot: score = the similarity; pass when it is ≥ threshold (default 0.75).
 * - euclidean: the threshold is the largest allowed distance; score = 1 / (1 + distance).
 * A list of expected texts passes when the output is similar to any of them (score: the best).
 * An embedding failure is an error result.
 */
import type { Embedder } from '../../gateway/embedder.js';
import { failure, kind, prepareValue, scored, thresholdIn, ValueError } from './common.js';
import { SpecError, type ScorerFactory } from './types.js';

type Metric = 'cosine' | 'dot' | 'euclidean';

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return NaN;
  return dot / Math.sqrt(na * nb);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function euclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

function texts(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new ValueError('value must be a text or a non-empty list of texts');
  return list.map((x) => {
    if (typeof x !== 'string' || x === '') throw new ValueError(`expected texts must be non-empty strings, got ${kind(x)}`);
    return x;
  });
}

export function similarFactory(metric: Metric): ScorerFactory {
  return (spec, deps, base) => {
    let embed: Embedder | undefined;
    if (spec.provider !== undefined) {
      if (!deps.embedFor) throw new SpecError(`${base}: provider (an embedding model) is not supported here; the evaluation's embedding model is used`, 'provider');
      embed = deps.embedFor(spec.provider);
    } else embed = deps.embed;
    if (!embed) throw new SpecError(`${base} needs an embedding model, and this evaluation has none`, 'type');
    const range: [number, number] = metric === 'cosine' ? [-1, 1] : metric === 'euclidean' ? [0, Infinity] : [-Infinity, Infinity];
    const threshold = thresholdIn(spec, base, 0.75, ...range) as number;
    const value = prepareValue(spec, base, texts);
    const embedder = embed;
    return async (ctx, env) => {
      const expected = value(env.vars);
      let vectors: Float32Array[];
      try {
        vectors = await embedder([ctx.output, ...expected], { signal: env.signal, parent: env.parent, name: 'eval.similar' });
      } catch (err) {
        return failure(`embedding failed: ${(err as Error).message ?? String(err)}`);
      }
      if (vectors.length !== expected.length + 1) return failure(`embedding returned ${vectors.length} vectors for ${expected.length + 1} texts`);
      const [out, ...refs] = vectors;
      if (refs.some((r) => r.length !== out.length)) return failure('embedding vectors differ in length');
      const values = refs.map((r) => (metric === 'cosine' ? cosine(out, r) : metric === 'dot' ? dot(out, r) : euclidean(out, r)));
      if (values.some((x) => !Number.isFinite(x))) return failure('similarity is undefined (an embedding is all zeros)');
      if (metric === 'euclidean') {
        const d = Math.min(...values);
        const pass = d <= threshold;
        return scored(1 / (1 + d), pass, `euclidean distance ${d.toFixed(4)} ${pass ? '≤' : '>'} ${threshold}`, { distances: values });
      }
      const best = Math.max(...values);
      const pass = best >= threshold;
      const score = Math.min(1, Math.max(0, best));
      return scored(score, pass, `${metric} similarity ${best.toFixed(4)} ${pass ? '≥' : '<'} ${threshold}`, { similarities: values });
    };
  };
}

export const similarScorers: Record<string, ScorerFactory> = {
  similar: similarFactory('cosine'),
  'similar:cosine': similarFactory('cosine'),
  'similar:dot': similarFactory('dot'),
  'similar:euclidean': similarFactory('euclidean'),
};
