/**
 * Input checks and text handling for memories: user ids and fact texts (with precise errors), the
 * normalized form that makes "the same fact" (dedupe), the per-user token that restricts a full-text
 * match to one user's rows, and the PostgreSQL tsvector / tsquery literals. Words are folded by the
 * knowledge index's `foldedWords` (fts-query.ts: NFD, marks removed, lower case, runs of letters and
 * digits), which is also what SQLite's unicode61 tokenizer with remove_diacritics 2 does.
 */
import { createHash } from 'node:crypto';
import { badRequest } from '../errors.js';
import { foldedWords, ftsMatchExpression } from '../knowledge/index/fts-query.js';
import { tsqueryOf, tsvectorOf } from '../knowledge/index/postgres-sql.js';

export const MAX_USER_ID_CHARS = 256;
export const MAX_TEXT_CHARS = 4_000;
export const MAX_METADATA_BYTES = 16 * 1024;
/** PostgreSQL rejects longer lexemes (2 KB); such "words" carry no search value anyway. */
const MAX_TERM_CHARS = 200;

export function checkUserId(v: unknown): string {
  if (typeof v !== 'string') throw badRequest(`the user id must be a string (the OpenAI \`user\` field or x-assay-user), got ${v === null ? 'null' : typeof v}`, 'user', 'invalid_user');
  if (v.length === 0) throw badRequest('the user id is empty: memory is per end user (the OpenAI `user` field or the x-assay-user header)', 'user', 'invalid_user');
  if (v.length > MAX_USER_ID_CHARS) throw badRequest(`the user id has ${v.length} characters; at most ${MAX_USER_ID_CHARS}`, 'user', 'invalid_user');
  return v;
}

/** A fact's text, trimmed: 1–4,000 characters. */
export function checkText(v: unknown, what = 'text'): string {
  if (typeof v !== 'string') throw badRequest(`${what} must be a string, got ${v === null ? 'null' : typeof v}`, what, 'invalid_text');
  const t = v.trim();
  if (t.length === 0) throw badRequest(`${what} is empty: a memory is a fact of 1–${MAX_TEXT_CHARS} characters`, what, 'invalid_text');
  if (t.length > MAX_TEXT_CHARS) throw badRequest(`${what} has ${t.length} characters; a memory holds at most ${MAX_TEXT_CHARS}: store a shorter fact`, what, 'invalid_text');
  return t;
}

export function checkMetadata(v: unknown): Record<string, unknown> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('metadata must be a JSON object', 'metadata', 'invalid_metadata');
  const bytes = Buffer.byteLength(JSON.stringify(v));
  if (bytes > MAX_METADATA_BYTES) throw badRequest(`metadata is ${bytes} bytes of JSON; at most ${MAX_METADATA_BYTES}`, 'metadata', 'invalid_metadata');
  return v as Record<string, unknown>;
}

/** The form two texts share when they state the same fact: NFKC, lower case, single spaces, no final period. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim().replace(/[.!。]+$/u, '').trim();
}

export const textHash = (text: string): string => createHash('sha256').update(normalizeText(text)).digest('hex');

/**
 * The full-text token standing for a user: "u" + 96 bits of the id's SHA-256 (a single
 * letters-and-digits word, whatever the id holds). A hash collision would only widen the text
 * match; hits are always checked against the user's own rows.
 */
export const userToken = (userId: string): string => `u${createHash('sha256').update(userId).digest('hex').slice(0, 24)}`;

/** Every word of a text, folded, in order (duplicates kept). */
export function documentWords(text: string): string[] {
  // ASCII needs no decomposition: the same words, several times faster (cache loads fold 10k texts).
  const words = ASCII.test(text) ? (text.toLowerCase().match(/[a-z0-9]+/g) ?? []) : foldedWords(text);
  return words.filter((w) => w.length <= MAX_TERM_CHARS);
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * English function words, left out of the full-text arm's query. A memory is one short sentence and
 * a user has few of them, so "the" or "what" in a question would otherwise pull unrelated facts into
 * the text arm, and rank fusion rewards any fact found by both arms; meaning is the vector arm's job.
 */
export const STOP_WORDS = new Set(
  ('a about above after again against all am an and any are as at be because been before being below between both but by can ' +
    'could did do does doing down during each few for from further had has have having he her here hers herself him himself his how ' +
    'i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out ' +
    'over own same she should so some such than that the their theirs them themselves then there these they this those through to ' +
    'too under until up very was we were what when where which while who whom why will with would you your yours yourself ' +
    "yourselves s t don doesn didn isn aren wasn weren shall might must user users").split(' '),
);

/** The query's words for the full-text arm: folded (as fts-query.ts does), without function words. */
export function searchWords(terms: readonly string[]): string[] {
  return terms.filter((t) => t.length <= MAX_TERM_CHARS && !STOP_WORDS.has(t));
}

/** The distinct folded words of a text (per-user document frequencies). */
export const documentTerms = (text: string): string[] => [...new Set(documentWords(text))];

/**
 * A PostgreSQL tsvector literal: the knowledge index's (knowledge/index/postgres-sql.ts: the same
 * folded words, PostgreSQL's limits applied) plus the user token. Cast with `::tsvector`, it is
 * taken as is (no parser, no dictionary), so both sides of a match fold alike.
 */
export function tsvectorLiteral(text: string, token: string): string {
  const { literal } = tsvectorOf(text);
  return literal ? `${literal} '${token}'` : `'${token}'`;
}

/** `'a' | 'b'` (ranking) and `'<user token>' & ('a' | 'b')` (matching) as tsquery literals. */
export function tsqueryLiterals(terms: readonly string[], token: string): { match: string; rank: string } {
  const rank = tsqueryOf(terms) ?? '';
  return { rank, match: `'${token}' & (${rank})` };
}

/** An FTS5 MATCH expression restricted to the user's token column: `u : "tok" AND text : ("a" OR "b")`. */
export function ftsUserMatch(terms: readonly string[], token: string): string {
  return `u : "${token}" AND text : (${ftsMatchExpression(terms)})`;
}
