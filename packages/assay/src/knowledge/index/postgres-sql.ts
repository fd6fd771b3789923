/**
 * Values the PostgreSQL knowledge index hands to SQL, built in JS so that nothing a user typed
 * reaches a parser with syntax of its own:
 *  - a chunk's tsvector literal, from the same folded words the query side uses (fts-query.ts):
 *    lower case, diacritics removed, runs of letters and digits, no stemming and no stop words (like
 *    the 'simple' configuration, plus the diacritics folding that needs the unaccent extension on
 *    the server), independent of the server's locale and text search configuration;
 *  - the query's tsquery literal: quoted terms joined by `|` (any term matches);
 *  - metadata filters as jsonb containment with bound parameters.
 * Strings lose U+0000 (PostgreSQL text cannot hold it) the way the rest of the store does (withoutNul).
 */
import { withoutNul } from '../../store/json.js';
import { foldedWords } from './fts-query.js';
import type { MetadataValue } from './types.js';

/** PostgreSQL's limits for a tsvector: lexeme bytes, position value, positions per lexeme, lexeme storage. */
export const TSV_MAX_LEXEME_BYTES = 2047;
export const TSV_MAX_POSITION = 16383;
export const TSV_MAX_POSITIONS = 256;
export const TSV_MAX_BYTES = (1 << 20) - 1;

/** A lexeme quoted for tsvector/tsquery input: quotes doubled, backslashes escaped. */
const quote = (w: string) => `'${w.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

export interface TsvectorValue {
  /** The tsvector's text form: `'word':1,4 'other':2`. */
  literal: string;
  /** The distinct lexemes kept, in first-occurrence order. */
  lexemes: string[];
}

/**
 * A chunk text's tsvector: each folded word with its 1-based word positions. Within PostgreSQL's
 * limits, as to_tsvector applies them: words over 2,047 bytes are skipped, positions above 16,383
 * count as 16,383, at most 256 positions per word; new words stop once their storage reaches 1 MB
 * (a chunk of several hundred thousand distinct words; such a chunk is only partly searchable by text).
 */
export function tsvectorOf(text: string): TsvectorValue {
  const positions = new Map<string, number[]>();
  let bytes = 0;
  const words = foldedWords(text);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    let list = positions.get(w);
    if (list === undefined) {
      const size = Buffer.byteLength(w);
      if (size > TSV_MAX_LEXEME_BYTES || bytes + size > TSV_MAX_BYTES) continue;
      bytes += size;
      list = [];
      positions.set(w, list);
    }
    const pos = Math.min(i + 1, TSV_MAX_POSITION);
    if (list.length < TSV_MAX_POSITIONS && list[list.length - 1] !== pos) list.push(pos);
  }
  const parts: string[] = [];
  for (const [w, list] of positions) parts.push(`${quote(w)}:${list.join(',')}`);
  return { literal: parts.join(' '), lexemes: [...positions.keys()] };
}

/** `'a' | 'b'`: any term matches; null when there is none. Terms come from queryTerms (folded). */
export function tsqueryOf(terms: readonly string[]): string | null {
  const kept = terms.filter((t) => t !== '' && Buffer.byteLength(t) <= TSV_MAX_LEXEME_BYTES);
  return kept.length ? kept.map(quote).join(' | ') : null;
}

export interface PgFragment {
  sql: string;
  params: unknown[];
}

/**
 * The filter as SQL over `c.metadata` (jsonb), parameters numbered from `$first`. Each key is a
 * containment test `c.metadata @> '{"key": value}'` (one of several: `@> ANY(...)`). For scalar
 * values containment is equality by JSON type and value, as on SQLite: "1" does not match 1, true
 * only true, null an explicit null (not a missing key), and an array or object value matches no
 * scalar. It can use the GIN index on metadata (jsonb_path_ops).
 */
export function metadataFilterSql(filter: [string, MetadataValue[]][], first: number): PgFragment {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [key, values] of filter) {
    const docs = values.map((v) => JSON.stringify({ [key]: withoutNul(v) }));
    params.push(docs.length === 1 ? docs[0] : docs);
    const n = first + params.length - 1;
    parts.push(docs.length === 1 ? `c.metadata @> $${n}::jsonb` : `c.metadata @> ANY($${n}::jsonb[])`);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'true', params };
}
