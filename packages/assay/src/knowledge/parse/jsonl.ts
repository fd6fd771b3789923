import { badRequest } from '../../errors.js';
import type { JsonlOptions, Metadata, ParsedDocument, Section } from './types.js';

const DEFAULT_FIELDS = ['text', 'content'];

/**
 * JSON Lines → one `record` section per non-blank line. The text is the configured field(s), or by
 * default `text` / `content`, else the whole record as JSON; the record's other fields and its
 * 1-based `line` number become the section's metadata. A line that is not a JSON object is an error
 * naming the line. Records whose text is empty are skipped.
 */
export function parseJsonl(text: string, source: string, options: JsonlOptions = {}): ParsedDocument {
  const explicit = options.textFields?.length ? options.textFields : null;
  if (explicit) {
    for (const f of explicit) {
      if (typeof f !== 'string' || !f) throw badRequest('jsonl textFields must be non-empty field names', 'textFields');
    }
  }
  const sections: Section[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (!line) continue;
    const lineNo = n + 1;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw badRequest(`${source} line ${lineNo} is not valid JSON (${detail}): each line must be one JSON object`, 'file', 'invalid_jsonl');
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw badRequest(`${source} line ${lineNo} is not a JSON object: each line must be one JSON object`, 'file', 'invalid_jsonl');
    }
    const obj = record as Record<string, unknown>;
    let used: string[];
    let body: string;
    if (explicit) {
      used = explicit.filter((f) => obj[f] !== undefined && obj[f] !== null);
      if (!used.length) {
        throw badRequest(`${source} line ${lineNo} has none of the text fields ${explicit.join(', ')}`, 'file', 'missing_text_field');
      }
      body = used.map((f) => asText(obj[f])).join('\n\n');
    } else {
      const field = DEFAULT_FIELDS.find((f) => typeof obj[f] === 'string');
      used = field ? [field] : [];
      body = field ? (obj[field] as string) : JSON.stringify(obj);
    }
    body = body.replace(/\r\n?/g, '\n').trim();
    if (!body) continue;
    const metadata: Metadata = { line: lineNo };
    for (const [k, v] of Object.entries(obj)) if (!used.includes(k) && k !== 'line') metadata[k] = v;
    sections.push({ headingPath: [], text: body, kind: 'record', metadata });
  }
  return { source, format: 'jsonl', sections, metadata: {} };
}

function asText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
