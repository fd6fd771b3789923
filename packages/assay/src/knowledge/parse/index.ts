import { badRequest } from '../../errors.js';
import { parseHtml } from './html.js';
import { parseJsonl } from './jsonl.js';
import { parseMarkdown } from './markdown.js';
import { parsePdf } from './pdf.js';
import { checkTextChars, decodeText, normalizeLines, paragraphs } from './text-util.js';
import {
  DEFAULT_PARSE_LIMITS,
  type DocumentFormat,
  type ParsedDocument,
  type ParseInput,
  type ParseLimits,
  type ParseOptions,
} from './types.js';

export * from './types.js';

const EXTENSIONS: Record<string, DocumentFormat> = {
  txt: 'text', text: 'text', log: 'text',
  md: 'markdown', markdown: 'markdown', mdown: 'markdown', mkd: 'markdown',
  html: 'html', htm: 'html', xhtml: 'html',
  jsonl: 'jsonl', ndjson: 'jsonl',
  pdf: 'pdf',
};
const CONTENT_TYPES: Record<string, DocumentFormat> = {
  'text/plain': 'text',
  'text/markdown': 'markdown', 'text/x-markdown': 'markdown',
  'text/html': 'html', 'application/xhtml+xml': 'html',
  'application/jsonl': 'jsonl', 'application/x-jsonlines': 'jsonl', 'application/jsonlines': 'jsonl',
  'application/x-ndjson': 'jsonl', 'application/ndjson': 'jsonl',
  'application/pdf': 'pdf', 'application/x-pdf': 'pdf',
};
export const SUPPORTED_FORMATS: readonly DocumentFormat[] = ['text', 'markdown', 'html', 'jsonl', 'pdf'];
export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(EXTENSIONS).map((e) => `.${e}`);

/**
 * Picks the format: a known extension wins (it is the most specific: a .md upload is often sent as
 * text/plain), then a known content type, then the bytes themselves for a PDF. Anything else is an
 * error that lists what is supported.
 */
export function detectFormat(name: string, contentType?: string, bytes?: Uint8Array): DocumentFormat {
  const base = name.split(/[\\/]/).pop() ?? name;
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  if (ext && EXTENSIONS[ext]) return EXTENSIONS[ext];
  const mime = contentType?.split(';')[0].trim().toLowerCase();
  if (mime && CONTENT_TYPES[mime]) return CONTENT_TYPES[mime];
  if (bytes && Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-') return 'pdf';
  const what = [ext ? `extension .${ext}` : 'no extension', mime ? `content type ${mime}` : null].filter(Boolean).join(' and ');
  throw badRequest(
    `${name}: unsupported document type (${what}). Supported: plain text (.txt), Markdown (.md), HTML (.html, .htm), JSON Lines (.jsonl, .ndjson) and PDF (.pdf)`,
    'file',
    'unsupported_format',
  );
}

export function resolveLimits(limits?: Partial<ParseLimits>): ParseLimits {
  const out = { ...DEFAULT_PARSE_LIMITS, ...limits };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isInteger(v) || v < 1) throw badRequest(`parse limit ${k} must be a positive integer, got ${String(v)}`, k);
  }
  return out;
}

/**
 * Parses one file into a normalized document. Every failure is an AssayError (400) naming the file
 * and what to fix: unknown type, too large, too many lines or pages, bad encoding, bad JSON line,
 * PDF without text.
 */
export async function parseDocument(input: ParseInput, options: ParseOptions = {}): Promise<ParsedDocument> {
  const { bytes, name } = input;
  const limits = resolveLimits(options.limits);
  if (options.format && !SUPPORTED_FORMATS.includes(options.format)) {
    throw badRequest(`unknown format ${String(options.format)}: use one of ${SUPPORTED_FORMATS.join(', ')}`, 'format');
  }
  const format = options.format ?? detectFormat(name, input.contentType, bytes);
  if (bytes.byteLength > limits.maxBytes) {
    throw badRequest(
      `${name} is ${bytes.byteLength} bytes, more than the limit of ${limits.maxBytes}: split it into smaller files`,
      'file',
      'file_too_large',
    );
  }
  if (format === 'pdf') return parsePdf(bytes, name, limits);

  const text = normalizeLines(decodeText(bytes, name), name, limits);
  checkTextChars(text.length, name, limits);
  switch (format) {
    case 'markdown':
      return parseMarkdown(text, name);
    case 'html':
      return parseHtml(text, name);
    case 'jsonl':
      return parseJsonl(text, name, options.jsonl);
    case 'text':
      return {
        source: name,
        format: 'text',
        sections: paragraphs(text).map((p) => ({ headingPath: [], text: p, kind: 'paragraph' as const })),
        metadata: {},
      };
  }
}
