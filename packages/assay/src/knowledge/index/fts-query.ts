/**
 * Query text → FTS5 MATCH expression. Words are split and folded the way the base's tokenizer
 * (unicode61, remove_diacritics 2) folds them, each is quoted (so FTS5 syntax in the text — AND,
 * NEAR, *, :, quotes — is taken literally), and they are joined by OR so that BM25 ranks chunks
 * holding more (and rarer) query words first.
 */
export const MAX_QUERY_TERMS = 32;
/** A term in more than this share of a base's chunks (and in more than COMMON_MIN_DOCS) is "common". */
export const COMMON_FRACTION = 0.1;
export const COMMON_MIN_DOCS = 2_000;

/**
 * The words of a text as the text arm sees them: decomposed, combining marks dropped, lower case,
 * runs of letters and digits. FTS5's unicode61 tokenizer does this on SQLite; on PostgreSQL the
 * stored tsvector is built from exactly these words (postgres-sql.ts).
 */
export function foldedWords(text: string): string[] {
  // ASCII needs no decomposition and has no other letters or digits: the same words, faster.
  if (ASCII.test(text)) return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const folded = text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
  return folded.match(/[\p{L}\p{N}]+/gu) ?? [];
}

const ASCII = /^[\x00-\x7f]*$/;

export function queryTerms(text: string): string[] {
  return [...new Set(foldedWords(text))].slice(0, MAX_QUERY_TERMS);
}

export function ftsMatchExpression(terms: readonly string[]): string | null {
  if (terms.length === 0) return null;
  return terms.map((w) => `"${w}"`).join(' OR ');
}

/**
 * Drops common terms (like stop words: "the", "how") when rarer terms remain. Ranking every chunk
 * that holds a term found in most chunks is what makes an OR query slow (BM25 is computed for each
 * match), while such a term's IDF weight is near zero (FTS5 clamps it to ~0 above 50%). When every
 * term is common, all are kept.
 */
export function pruneCommonTerms(terms: readonly string[], docFreq: ReadonlyMap<string, number>, totalDocs: number): string[] {
  const limit = Math.max(COMMON_MIN_DOCS, COMMON_FRACTION * totalDocs);
  const rare = terms.filter((t) => (docFreq.get(t) ?? 0) <= limit);
  return rare.length > 0 ? rare : [...terms];
}
