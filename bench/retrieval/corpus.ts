/**
 * A synthetic corpus for the retrieval benchmark, deterministic for a seed: vectors around cluster
 * centres (random Gaussian centres, Gaussian noise, unit length) and text whose words follow a
 * Zipf-like distribution over a made-up vocabulary, with each cluster favouring its own topic words,
 * so that text and vectors agree as they do for real documents.
 */
import { normalize, rng } from '../lib/random.js';

export interface Corpus {
  dims: number;
  clusters: number;
  /** Unit vectors, row-major: chunk i at [i·dims, (i+1)·dims). */
  vectors: Float32Array;
  texts: string[];
  cluster: Uint16Array;
  centers: Float32Array[];
  topics: string[][];
  vocab: string[];
  rand: () => number;
  gauss: () => number;
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'su', 'ta', 'ri', 'po', 'de', 'gu', 'va', 'zo', 'be', 'fi', 'ho', 'ju', 'xe', 'qu', 'wa', 'yo'];
export const NOISE = 0.8;

export function makeCorpus(n: number, dims: number, clusters: number, seed = 42): Corpus {
  const rand = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const vocab: string[] = [];
  for (let i = 0; vocab.length < 8000; i++) {
    const w = `${SYLLABLES[i % 20]}${SYLLABLES[Math.floor(i / 20) % 20]}${i >= 400 ? SYLLABLES[Math.floor(i / 400) % 20] : ''}`;
    vocab.push(w);
  }
  const zipf = () => vocab[Math.min(vocab.length - 1, Math.floor(Math.exp(rand() * Math.log(vocab.length))) - 1)];
  const centers = Array.from({ length: clusters }, () => Float32Array.from({ length: dims }, gauss));
  const topics = centers.map((_, c) => Array.from({ length: 12 }, (_, j) => vocab[400 + ((c * 37 + j * 11) % (vocab.length - 400))]));
  const vectors = new Float32Array(n * dims);
  const texts: string[] = new Array(n);
  const cluster = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * clusters);
    cluster[i] = c;
    const v = vectors.subarray(i * dims, (i + 1) * dims);
    for (let j = 0; j < dims; j++) v[j] = centers[c][j] + NOISE * gauss();
    normalize(v);
    const len = 40 + Math.floor(rand() * 80);
    const words: string[] = [];
    for (let w = 0; w < len; w++) words.push(rand() < 0.1 ? topics[c][Math.floor(rand() * 12)] : zipf());
    texts[i] = words.join(' ');
  }
  return { dims, clusters, vectors, texts, cluster, centers, topics, vocab, rand, gauss };
}

/** A query near cluster `c`: its vector and three words (two topic words, one common word). */
export function makeQuery(corpus: Corpus, c: number): { vector: Float32Array; text: string } {
  const { dims, centers, topics, rand, gauss, vocab } = corpus;
  const vector = new Float32Array(dims);
  for (let j = 0; j < dims; j++) vector[j] = centers[c][j] + NOISE * gauss();
  normalize(vector);
  const t = topics[c];
  const text = `${t[Math.floor(rand() * 12)]} ${t[Math.floor(rand() * 12)]} ${vocab[Math.floor(rand() * 50)]}`;
  return { vector, text };
}

/** Exact top-k by cosine over unit vectors (dot product), in JS: the recall reference. */
export function exactTopK(corpus: Corpus, q: Float32Array, k: number): number[] {
  const { vectors, dims } = corpus;
  const n = vectors.length / dims;
  const best: { i: number; s: number }[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    const base = i * dims;
    for (let j = 0; j < dims; j++) s += vectors[base + j] * q[j];
    if (best.length < k || s > best[best.length - 1].s) {
      best.push({ i, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b.i);
}
