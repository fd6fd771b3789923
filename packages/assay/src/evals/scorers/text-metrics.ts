/**
 * Reference-based text metrics as pure functions: Levenshtein distance, a word tokenizer, ROUGE-N,
 * ROUGE-L and sentence BLEU-4.
 * - Tokens: lowercased runs of letters, digits and marks; punctuation is dropped; each Han, Hiragana
 *   and Katakana character is a token of its own (those scripts are written without spaces).
 *   This is rouge-score's default tokenization (without stemming), extended past ASCII.
 * - ROUGE-N (Lin 2004): clipped n-gram overlap ÷ reference n-grams (recall); precision and F1 too.
 * - ROUGE-L: longest common subsequence of tokens; F = (1+β²)·P·R / (R + β²·P), β = 1 by default.
 * - BLEU: Papineni et al. 2002 with sacrebleu's sentence_bleu defaults: clipped counts against the
 *   per-n-gram maximum over references, brevity penalty against the closest reference length
 *   (ties: the shorter), "exp" smoothing (Chen & Cherry 2014, method 3: the k-th order with no
 *   match gets precision 1 / (2^k · total)), and effective order (orders the candidate is too short
 *   for are left out). Tokenization differs from sacrebleu's 13a (lowercased, punctuation dropped).
 */

/** Edit distances are computed over at most this many DP cells (after trimming common ends). */
export const MAX_DP_CELLS = 50_000_000;

export class MetricInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricInputError';
  }
}

/** Levenshtein distance over Unicode code points (insert, delete, substitute: cost 1 each). */
export function levenshtein(a: string, b: string): number {
  let x = Array.from(a);
  let y = Array.from(b);
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
    endX--;
    endY--;
  }
  x = x.slice(start, endX);
  y = y.slice(start, endY);
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  if (x.length * y.length > MAX_DP_CELLS) throw new MetricInputError(`texts too long for levenshtein (${x.length} × ${y.length} differing characters)`);
  if (x.length < y.length) [x, y] = [y, x];
  let prev = new Uint32Array(y.length + 1).map((_, j) => j);
  let cur = new Uint32Array(y.length + 1);
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const sub = prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[y.length];
}

const CJK = '\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}';
const TOKEN = new RegExp(`[${CJK}]|(?:(?![${CJK}])[\\p{L}\\p{N}\\p{M}])+`, 'gu');

export function tokenize(s: string): string[] {
  return s.toLowerCase().match(TOKEN) ?? [];
}

export function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = tokens.slice(i, i + n).join('\u0000');
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

function total(m: Map<string, number>): number {
  let t = 0;
  for (const c of m.values()) t += c;
  return t;
}

export interface PRF {
  precision: number;
  recall: number;
  f1: number;
}

const f1 = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** ROUGE-N of `candidate` against one `reference`. Throws when the reference has no n-grams. */
export function rougeN(candidate: string, reference: string, n = 1): PRF {
  const ref = ngramCounts(tokenize(reference), n);
  const refTotal = total(ref);
  if (refTotal === 0) throw new MetricInputError(`the reference has no ${n}-grams`);
  const cand = ngramCounts(tokenize(candidate), n);
  const candTotal = total(cand);
  let overlap = 0;
  for (const [g, c] of cand) overlap += Math.min(c, ref.get(g) ?? 0);
  const precision = candTotal === 0 ? 0 : overlap / candTotal;
  const recall = overlap / refTotal;
  return { precision, recall, f1: f1(precision, recall) };
}

export function lcsLength(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  if (a.length * b.length > MAX_DP_CELLS) throw new MetricInputError(`texts too long for ROUGE-L (${a.length} × ${b.length} tokens)`);
  if (a.length < b.length) [a, b] = [b, a];
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** ROUGE-L (sentence level) of `candidate` against one `reference`; `f1` is the F-measure with `beta`. */
export function rougeL(candidate: string, reference: string, beta = 1): PRF {
  const ref = tokenize(reference);
  if (ref.length === 0) throw new MetricInputError('the reference has no words');
  const cand = tokenize(candidate);
  const lcs = lcsLength(cand, ref);
  const precision = cand.length === 0 ? 0 : lcs / cand.length;
  const recall = lcs / ref.length;
  const b2 = beta * beta;
  const f = precision === 0 || recall === 0 ? 0 : ((1 + b2) * precision * recall) / (recall + b2 * precision);
  return { precision, recall, f1: f };
}

export interface BleuDetail {
  score: number;
  precisions: number[];
  brevityPenalty: number;
  candidateLength: number;
  referenceLength: number;
}

/** Sentence BLEU-4 of `candidate` against one or more references (see the file comment). */
export function sentenceBleu(candidate: string, references: string[], maxOrder = 4): BleuDetail {
  if (references.length === 0) throw new MetricInputError('BLEU needs at least one reference');
  const cand = tokenize(candidate);
  const refs = references.map(tokenize);
  if (refs.every((r) => r.length === 0)) throw new MetricInputError('the references have no words');
  const c = cand.length;
  const refLen = refs.map((r) => r.length).reduce((best, len) => {
    const d = Math.abs(len - c);
    const bd = Math.abs(best - c);
    return d < bd || (d === bd && len < best) ? len : best;
  });
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number, bp: number): BleuDetail => ({ score, precisions, brevityPenalty: bp, candidateLength: c, referenceLength: refLen });
  const bp = c === 0 ? 0 : c < refLen ? Math.exp(1 - refLen / c) : 1;
  const correct: number[] = [];
  const totals: number[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const cc = ngramCounts(cand, n);
    const maxRef = new Map<string, number>();
    for (const r of refs) for (const [g, k] of ngramCounts(r, n)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, k));
    let hit = 0;
    for (const [g, k] of cc) hit += Math.min(k, maxRef.get(g) ?? 0);
    correct.push(hit);
    totals.push(Math.max(0, c - n + 1));
  }
  if (correct.every((k) => k === 0)) return result(0, bp);
  let smooth = 1;
  let order = 0;
  for (let n = 1; n <= maxOrder; n++) {
    if (totals[n - 1] === 0) break;
    order = n;
    if (correct[n - 1] === 0) {
      smooth *= 2;
      precisions[n - 1] = 1 / (smooth * totals[n - 1]);
    } else precisions[n - 1] = correct[n - 1] / totals[n - 1];
  }
  const logMean = precisions.slice(0, order).reduce((s, p) => s + Math.log(p), 0) / order;
  return result(bp * Math.exp(logMean), bp);
}
