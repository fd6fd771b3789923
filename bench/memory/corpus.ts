/**
 * Synthetic memories for the memory benchmark, deterministic for a seed: short "facts" (6–16
 * words: English function words, Zipf-distributed common words and the words of one of 200 topics)
 * with unit vectors around the topic's centre, so that text and vectors agree as they do for real
 * memories. Queries are questions about a topic: a vector near its centre and text with two topic
 * words, one common word and function words.
 */
import { normalize, rng } from '../lib/random.js';

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'su', 'ta', 'ri', 'po', 'de', 'gu', 'va', 'zo', 'be', 'fi', 'ho', 'ju', 'xe', 'qu', 'wa', 'yo'];
const FUNCTION_WORDS = ['the', 'a', 'to', 'of', 'and', 'in', 'is', 'with', 'has', 'for', 'on', 'likes', 'their', 'every'];
const NOISE = 0.9;

export interface MemoryCorpus {
  dims: number;
  topics: number;
  centers: Float32Array[];
  topicWords: string[][];
  /** text → vector, for the stub embedder. */
  vectors: Map<string, Float32Array>;
  rand: () => number;
  gauss: () => number;
  vocab: string[];
}

export function makeCorpus(dims: number, topics: number, seed = 7): MemoryCorpus {
  const rand = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const vocab: string[] = [];
  for (let i = 0; vocab.length < 8000; i++) vocab.push(`${SYLLABLES[i % 20]}${SYLLABLES[Math.floor(i / 20) % 20]}${i >= 400 ? SYLLABLES[Math.floor(i / 400) % 20] : ''}`);
  const centers = Array.from({ length: topics }, () => Float32Array.from({ length: dims }, gauss));
  const topicWords = centers.map((_, c) => Array.from({ length: 15 }, (_, j) => vocab[400 + ((c * 37 + j * 11) % (vocab.length - 400))]));
  return { dims, topics, centers, topicWords, vectors: new Map(), rand, gauss, vocab };
}

function vectorNear(c: MemoryCorpus, topic: number, noise: number): Float32Array {
  const v = new Float32Array(c.dims);
  for (let j = 0; j < c.dims; j++) v[j] = c.centers[topic][j] + noise * c.gauss();
  return normalize(v);
}

const zipf = (c: MemoryCorpus) => c.vocab[Math.min(c.vocab.length - 1, Math.floor(Math.exp(c.rand() * Math.log(c.vocab.length))) - 1)];

/** `n` distinct memory texts (their vectors registered in the corpus) and each one's topic. */
export function makeMemories(c: MemoryCorpus, n: number): { texts: string[]; topic: Uint16Array } {
  const texts: string[] = [];
  const topic = new Uint16Array(n);
  while (texts.length < n) {
    const t = Math.floor(c.rand() * c.topics);
    const len = 6 + Math.floor(c.rand() * 11);
    const words: string[] = [];
    for (let w = 0; w < len; w++) {
      const r = c.rand();
      words.push(r < 0.35 ? FUNCTION_WORDS[Math.floor(c.rand() * FUNCTION_WORDS.length)] : r < 0.65 ? zipf(c) : c.topicWords[t][Math.floor(c.rand() * 15)]);
    }
    const text = `${words.join(' ')}.`;
    if (c.vectors.has(text)) continue;
    c.vectors.set(text, vectorNear(c, t, NOISE));
    topic[texts.length] = t;
    texts.push(text);
  }
  return { texts, topic };
}

/** A question about a topic, with its vector registered. */
export function makeQuery(c: MemoryCorpus, t: number, i: number): { text: string; topic: number } {
  const tw = c.topicWords[t];
  const text = `what does the user know about ${tw[i % 15]} and ${tw[(i * 7 + 3) % 15]} in ${zipf(c)} (${i})?`;
  c.vectors.set(text, vectorNear(c, t, NOISE * 0.5));
  return { text, topic: t };
}
