import { detokenize, tokenCount, tokenize } from './tokenizer.js';

/** A range [start, end) of the normalized text with its token count. */
export interface Piece {
  start: number;
  end: number;
  tokens: number;
}

type Splitter = (text: string, start: number, end: number) => Array<[number, number]>;

/** Trimmed sub-ranges between separators matched by `re` (which must be global). */
function rangesBetween(re: RegExp): Splitter {
  return (text, start, end) => {
    const out: Array<[number, number]> = [];
    const slice = text.slice(start, end);
    let from = 0;
    const push = (a: number, b: number) => {
      while (a < b && /\s/.test(slice[a])) a++;
      while (b > a && /\s/.test(slice[b - 1])) b--;
      if (b > a) out.push([start + a, start + b]);
    };
    re.lastIndex = 0;
    for (let m = re.exec(slice); m; m = re.exec(slice)) {
      const cut = m.index + m[0].length;
      if (cut <= from) {
        re.lastIndex++;
        continue;
      }
      push(from, cut);
      from = cut;
    }
    push(from, slice.length);
    return out;
  };
}

/** After sentence-ending punctuation (and closing quotes/brackets) followed by whitespace; CJK stops need none. */
export const bySentence = rangesBetween(/(?<![.!?…])[.!?…]+["'”’)\]]*(?=\s)|[。！？]+/g);
export const byLine = rangesBetween(/\n/g);

/**
 * Cuts [start, end) into pieces of at most `max` tokens at token boundaries, never inside a
 * character. Works on a growing window so memory and time stay linear in the text length.
 */
export function byTokens(text: string, start: number, end: number, max: number): Piece[] {
  const out: Piece[] = [];
  let pos = start;
  let window = max * 4;
  while (pos < end) {
    const win = text.slice(pos, Math.min(end, pos + window));
    const toks = tokenize(win);
    if (toks.length <= max && pos + win.length >= end) {
      out.push({ start: pos, end, tokens: toks.length });
      break;
    }
    if (toks.length <= max + 16 && pos + win.length < end) {
      window *= 2; // too few tokens past the cut to be sure the text after it does not change it
      continue;
    }
    let s = detokenize(toks.slice(0, max));
    if (!win.startsWith(s)) s = commonPrefix(win, s);
    let len = s.length;
    if (len === 0) len = String.fromCodePoint(win.codePointAt(0)!).length; // never stall
    out.push({ start: pos, end: pos + len, tokens: tokenCount(win.slice(0, len)) });
    pos += len;
  }
  return out;
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  // Do not end between the halves of a surrogate pair.
  if (i > 0 && /[\uD800-\uDBFF]/.test(a[i - 1])) i--;
  return a.slice(0, i);
}

/**
 * Splits [start, end) into pieces of at most `max` tokens: by each splitter in turn (the pieces
 * that still do not fit go to the next one), then by tokens. Pieces are trimmed, in order, and
 * together cover every non-whitespace character of the range.
 */
export function splitRange(text: string, start: number, end: number, max: number, splitters: Splitter[]): Piece[] {
  const tokens = tokenCount(text.slice(start, end));
  if (tokens <= max) return [{ start, end, tokens }];
  const [first, ...rest] = splitters;
  if (!first) return byTokens(text, start, end, max);
  const ranges = first(text, start, end);
  if (ranges.length <= 1) return splitRange(text, start, end, max, rest);
  return ranges.flatMap(([a, b]) => splitRange(text, a, b, max, rest));
}
