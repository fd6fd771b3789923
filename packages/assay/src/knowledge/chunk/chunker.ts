import { createHash } from 'node:crypto';
import { badRequest } from '../../errors.js';
import type { Metadata, ParsedDocument, Section } from '../parse/types.js';
import { byLine, bySentence, splitRange, type Piece } from './split.js';
import { detokenize, tokenCount, tokenize } from './tokenizer.js';

export interface ChunkOptions {
  /** Most tokens in a chunk's `text` (overlap included). Default 400, 32–8192. */
  chunkTokens?: number;
  /** Tokens repeated from the end of the previous chunk. Default 60, at most half of chunkTokens. */
  overlapTokens?: number;
}

export const DEFAULT_CHUNK_TOKENS = 400;
export const DEFAULT_OVERLAP_TOKENS = 60;

export interface Chunk {
  index: number;
  /** The chunk's text: a slice of the normalized document text, overlap included. */
  text: string;
  /** What to embed: the heading path ("A > B"), a blank line, then `text`. */
  embedText: string;
  /** sha256 (hex) of embedText: the embedding cache key. */
  hash: string;
  /** Tokens in `text` (cl100k_base). */
  tokenCount: number;
  /** How many tokens at the start of `text` repeat the end of the previous chunk (0 for none). */
  overlapTokens: number;
  headingPath: string[];
  /**
   * Character offsets in the normalized document text (see documentText): `text` is
   * [start, end); the part new to this chunk (after the overlap) starts at contentStart.
   */
  position: { start: number; contentStart: number; end: number };
  /** Document metadata, then the section's own (PDF page, JSON Lines record fields). */
  metadata: Metadata;
}

/** Sections are joined with this to form the normalized text that positions refer to. */
export const SECTION_SEPARATOR = '\n\n';

/** The normalized text of a document and the offset of each section in it. */
export function documentText(doc: ParsedDocument): { text: string; offsets: number[] } {
  const offsets: number[] = [];
  let pos = 0;
  for (const s of doc.sections) {
    offsets.push(pos);
    pos += s.text.length + SECTION_SEPARATOR.length;
  }
  return { text: doc.sections.map((s) => s.text).join(SECTION_SEPARATOR), offsets };
}

interface Unit extends Piece {
  section: number;
  /** First unit of a heading section below the top level: a good place to start a chunk. */
  softBreak: boolean;
  heading: boolean;
}

export function resolveChunkOptions(options: ChunkOptions = {}): Required<ChunkOptions> {
  const chunkTokens = options.chunkTokens ?? DEFAULT_CHUNK_TOKENS;
  const overlapTokens = options.overlapTokens ?? DEFAULT_OVERLAP_TOKENS;
  if (!Number.isInteger(chunkTokens) || chunkTokens < 32 || chunkTokens > 8192) {
    throw badRequest(`chunkTokens must be an integer from 32 to 8192, got ${String(chunkTokens)}`, 'chunkTokens');
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens > Math.floor(chunkTokens / 2)) {
    throw badRequest(
      `overlapTokens must be an integer from 0 to half of chunkTokens (${Math.floor(chunkTokens / 2)}), got ${String(overlapTokens)}`,
      'overlapTokens',
    );
  }
  return { chunkTokens, overlapTokens };
}

/**
 * Splits a parsed document into token-bounded chunks. Deterministic: the same document and options
 * always give the same chunks and hashes.
 *
 * - Sections are cut into units that fit: a code block stays whole up to chunkTokens (else it is cut
 *   at lines); other sections are cut at sentences (lists and tables at lines first), then at tokens.
 * - Units are packed greedily. A chunk never spans a top-level heading (the shallowest heading depth
 *   that occurs at least twice, so a lone title heading does not count), a JSON Lines record, or a
 *   change of section metadata (a PDF page). A deeper heading starts a new chunk once the current
 *   one is half full, and a chunk never ends on a heading.
 * - Each chunk after the first of such a segment starts with the previous chunk's last
 *   overlapTokens tokens (fewer when a whole code block needs the room).
 */
export function chunkDocument(doc: ParsedDocument, options: ChunkOptions = {}): Chunk[] {
  const { chunkTokens, overlapTokens } = resolveChunkOptions(options);
  const { text, offsets } = documentText(doc);
  const sections = doc.sections;
  const topDepth = topHeadingDepth(sections);
  const bodyMax = chunkTokens - overlapTokens;

  // Segments: runs of sections that may share chunks.
  const segments: Unit[][] = [];
  sections.forEach((s, i) => {
    const prev = sections[i - 1];
    const hard =
      i === 0 ||
      s.kind === 'record' ||
      (s.kind === 'heading' && s.headingPath.length <= topDepth) ||
      JSON.stringify(s.metadata ?? {}) !== JSON.stringify(prev.metadata ?? {});
    if (hard) segments.push([]);
    const start = offsets[i];
    const end = start + s.text.length;
    const wholeCode = s.kind === 'code' ? tokenCount(s.text) : Infinity;
    const pieces =
      wholeCode <= chunkTokens
        ? [{ start, end, tokens: wholeCode }]
        : splitRange(text, start, end, bodyMax, s.kind === 'code' ? [byLine] : s.kind === 'list' || s.kind === 'table' ? [byLine, bySentence] : [bySentence, byLine]);
    pieces.forEach((p, n) =>
      segments[segments.length - 1].push({
        ...p,
        section: i,
        heading: s.kind === 'heading',
        softBreak: n === 0 && s.kind === 'heading' && s.headingPath.length > topDepth,
      }),
    );
  });

  const chunks: Chunk[] = [];
  for (const units of segments) {
    let prev: { text: string; end: number } | null = null;
    let i = 0;
    while (i < units.length) {
      const budget = prev && overlapTokens > 0 ? bodyMax : chunkTokens;
      let j = i + 1;
      let sum = units[i].tokens;
      while (j < units.length) {
        const u = units[j];
        if (u.softBreak && sum >= budget / 2) break;
        if (sum + 1 + u.tokens > budget) break;
        sum += 1 + u.tokens;
        j++;
      }
      while (j - i > 1 && j < units.length && units[j - 1].heading) j--; // no chunk ends on a heading
      let bodyTokens = tokenCount(text.slice(units[i].start, units[j - 1].end));
      while (bodyTokens > budget && j - i > 1) {
        j--;
        bodyTokens = tokenCount(text.slice(units[i].start, units[j - 1].end));
      }
      const contentStart = units[i].start;
      const end = units[j - 1].end;

      let start = contentStart;
      let overlap = 0;
      let chunkText = text.slice(start, end);
      let count = bodyTokens;
      if (prev && overlapTokens > 0) {
        let want = Math.min(overlapTokens, chunkTokens - bodyTokens);
        while (want > 0) {
          const o = overlapFrom(prev.text, prev.end, want);
          chunkText = text.slice(o.start, end);
          count = tokenCount(chunkText);
          start = o.start;
          overlap = o.tokens;
          if (count <= chunkTokens || o.tokens === 0) break;
          want = Math.min(want - 1, o.tokens - (count - chunkTokens)); // tokens merged across the junction
        }
        if (overlap === 0 || count > chunkTokens) (start = contentStart), (overlap = 0), (chunkText = text.slice(start, end)), (count = bodyTokens);
      }

      const first = sections[units[i].section];
      const headingPath = [...first.headingPath];
      const embedText = headingPath.length ? `${headingPath.join(' > ')}\n\n${chunkText}` : chunkText;
      chunks.push({
        index: chunks.length,
        text: chunkText,
        embedText,
        hash: createHash('sha256').update(embedText).digest('hex'),
        tokenCount: count,
        overlapTokens: overlap,
        headingPath,
        position: { start, contentStart, end },
        metadata: { ...doc.metadata, ...first.metadata },
      });
      prev = { text: chunkText, end };
      i = j;
    }
  }
  return chunks;
}

/** The last `want` tokens of the previous chunk, moved later by a token while they would start inside a character. */
function overlapFrom(prevText: string, prevEnd: number, want: number): { start: number; tokens: number } {
  const toks = tokenize(prevText);
  for (let k = Math.min(want, toks.length); k > 0; k--) {
    const s = detokenize(toks.slice(-k));
    if (s && !s.startsWith('\uFFFD') && prevText.endsWith(s)) return { start: prevEnd - s.length, tokens: k };
  }
  return { start: prevEnd, tokens: 0 };
}

function topHeadingDepth(sections: Section[]): number {
  const counts = new Map<number, number>();
  for (const s of sections) if (s.kind === 'heading') counts.set(s.headingPath.length, (counts.get(s.headingPath.length) ?? 0) + 1);
  const depths = [...counts.keys()].sort((a, b) => a - b);
  return depths.find((d) => counts.get(d)! >= 2) ?? depths[0] ?? 0;
}
