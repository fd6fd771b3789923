import { countTokens, decode, encode } from 'gpt-tokenizer/encoding/cl100k_base';

/**
 * Token counting for chunking, with cl100k_base: the encoding of OpenAI's embedding models
 * (text-embedding-3-small/-large, ada-002), so a chunk's count is exact for the most common embedder
 * and its 8191-token input limit; for other embedders it is a close proxy. It also loads faster and
 * uses less memory than o200k_base. Special-token strings in documents ("<|endoftext|>") are counted
 * as ordinary text, never refused.
 *
 * BPE time grows with the square of a pre-token's length, and a run of letters (or of symbols, or of whitespace) with
 * no break is one pre-token: 60k letters in a row take seconds. Runs of 256+ such characters are
 * therefore tokenized in 128-character pieces — linear time, a count that can only be a few tokens
 * high, and tokens that still decode to exactly the original text.
 */
export const TOKENIZER = 'cl100k_base';

const PLAIN = { disallowedSpecial: new Set<string>() };
// A character encoded as byte-level tokens only: decoding it ends any pending partial character
// in gpt-tokenizer's shared streaming decoder (a string token such as "\n" would bypass it).
const FLUSH = encode('語', PLAIN);
const LONG_RUN = /[\p{L}\p{M}]{256,}|[^\s\p{L}\p{N}]{256,}|\s{256,}/u;
const LONG_RUNS = new RegExp(LONG_RUN.source, 'gu');
const PIECE = 128;

function pieces(text: string): string[] {
  if (!LONG_RUN.test(text)) return [text];
  const out: string[] = [];
  let last = 0;
  for (const m of text.matchAll(LONG_RUNS)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const run = m[0];
    for (let i = 0; i < run.length; ) {
      let j = Math.min(run.length, i + PIECE);
      if (j < run.length && /[\uDC00-\uDFFF]/.test(run[j])) j++; // keep surrogate pairs together
      out.push(run.slice(i, j));
      i = j;
    }
    last = m.index + run.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function tokenize(text: string): number[] {
  const parts = pieces(text);
  return parts.length === 1 ? encode(text, PLAIN) : parts.flatMap((p) => encode(p, PLAIN));
}

export function tokenCount(text: string): number {
  let n = 0;
  for (const p of pieces(text)) n += countTokens(p, PLAIN);
  return n;
}

/**
 * Decodes tokens to text. gpt-tokenizer decodes with one shared streaming TextDecoder, so a call that
 * ends inside a multi-byte character leaves bytes behind that would leak into the next call's
 * output. Decoding a complete byte-level character before and after flushes that state: the result depends only on
 * `tokens`. A trailing incomplete character is dropped; a leading one comes out as U+FFFD.
 */
export function detokenize(tokens: number[]): string {
  decode(FLUSH);
  const out = decode(tokens);
  decode(FLUSH);
  return out;
}
