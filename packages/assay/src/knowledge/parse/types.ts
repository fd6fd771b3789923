/**
 * The normalized document every parser produces and the chunker consumes. Sections are in reading
 * order; `headingPath` is the chain of headings above a section (a heading section's own path ends
 * with itself). Section `metadata` carries per-part facts (PDF `page`, JSON Lines `line` and the
 * record's other fields); document `metadata` carries whole-file facts (front matter, HTML meta, PDF info).
 */
export type SectionKind = 'paragraph' | 'heading' | 'code' | 'list' | 'table' | 'record';

export type Metadata = Record<string, unknown>;

export interface Section {
  headingPath: string[];
  text: string;
  kind: SectionKind;
  metadata?: Metadata;
}

export type DocumentFormat = 'text' | 'markdown' | 'html' | 'jsonl' | 'pdf';

export interface ParsedDocument {
  /** The file name the document was parsed from. */
  source: string;
  format: DocumentFormat;
  title?: string;
  sections: Section[];
  metadata: Metadata;
}

export interface ParseLimits {
  /** Largest accepted file, in bytes. */
  maxBytes: number;
  /** Most PDF pages. */
  maxPages: number;
  /** Most lines in a text file (text, Markdown, HTML, JSON Lines). */
  maxLines: number;
  /** Most characters of extracted text (bounds memory for compressed PDFs and the chunker's work). */
  maxTextChars: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxBytes: 25 * 1024 * 1024,
  maxPages: 2000,
  maxLines: 200_000,
  maxTextChars: 10_000_000,
});

export interface JsonlOptions {
  /**
   * Fields whose values form a record's text, joined by a blank line. Default: the first of `text`,
   * `content` that is present, else the whole record as JSON. With explicit fields, a record that has
   * none of them is an error naming its line.
   */
  textFields?: string[];
}

export interface ParseInput {
  bytes: Uint8Array;
  /** File name (or path); its extension picks the format. */
  name: string;
  /** Optional MIME type, e.g. from an upload; used when the extension is unknown. */
  contentType?: string;
}

export interface ParseOptions {
  /** Force a format instead of detecting it. */
  format?: DocumentFormat;
  limits?: Partial<ParseLimits>;
  jsonl?: JsonlOptions;
}
