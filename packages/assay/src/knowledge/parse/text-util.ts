import { badRequest } from '../../errors.js';
import type { ParseLimits } from './types.js';

/**
 * Bytes → string for the text formats: UTF-8 (BOM stripped) or UTF-16 with a BOM. Anything that is
 * not valid UTF-8 is refused rather than silently turned into replacement characters.
 */
export function decodeText(bytes: Uint8Array, name: string): string {
  let encoding = 'utf-8';
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) (encoding = 'utf-16le'), (start = 2);
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) (encoding = 'utf-16be'), (start = 2);
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start));
  } catch {
    throw badRequest(`${name} is not valid ${encoding.toUpperCase()} text: convert it to UTF-8 and upload it again`, 'file', 'invalid_encoding');
  }
}

/** Normalizes line ends to \n and refuses files with more lines than the limit. */
export function normalizeLines(text: string, name: string, limits: ParseLimits): string {
  const out = text.replace(/\r\n?/g, '\n');
  let lines = 1;
  for (let i = out.indexOf('\n'); i !== -1; i = out.indexOf('\n', i + 1)) {
    if (++lines > limits.maxLines) {
      throw badRequest(`${name} has more than ${limits.maxLines} lines (the limit): split it into smaller files`, 'file', 'too_many_lines');
    }
  }
  return out;
}

export function checkTextChars(chars: number, name: string, limits: ParseLimits): void {
  if (chars > limits.maxTextChars) {
    throw badRequest(
      `${name} has more than ${limits.maxTextChars} characters of text (the limit): split it into smaller files`,
      'file',
      'too_much_text',
    );
  }
}

/** Splits plain text into paragraphs at blank lines; each is trimmed, empty ones dropped. */
export function paragraphs(text: string): string[] {
  return text
    .split(/\n[ \t]*\n/)
    .map((p) => p.split('\n').map((l) => l.trimEnd()).join('\n').trim())
    .filter((p) => p.length > 0);
}
