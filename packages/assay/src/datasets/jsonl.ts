/**
 * JSON Lines import and export. Import: one item per line in any shape item.ts accepts (Assay's,
 * promptfoo test cases, OpenAI Evals samples); blank lines are skipped; a file that is one JSON
 * array of items is read too. Export: one `{id, input, expected, assert, metadata, source}` object
 * per line (fields without a value left out), keys in the order they were written, so exporting
 * the same data twice gives the same bytes and importing an export gives the same items.
 */
import { parseItem } from './item.js';
import type { DatasetItem, ParseResult, RowError } from './types.js';

export function itemsFromJsonl(text: string): ParseResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trimStart().startsWith('[')) return itemsFromArray(body);
  const out: ParseResult = { items: [], errors: [] };
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (text.trim() === '') continue;
    const line = i + 1;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      out.errors.push({ line, message: `not valid JSON (${(err as Error).message}): each line holds one item object` });
      continue;
    }
    const parsed = parseItem(raw);
    if (parsed.ok) out.items.push({ item: parsed.item, line });
    else for (const e of parsed.errors) out.errors.push(rowError({ line }, e.field, e.message));
  }
  return out;
}

function itemsFromArray(text: string): ParseResult {
  const out: ParseResult = { items: [], errors: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    out.errors.push({ line: 1, message: `the file starts with "[" but is not a valid JSON array (${(err as Error).message}); JSON Lines has one item object per line` });
    return out;
  }
  (raw as unknown[]).forEach((r, index) => {
    const parsed = parseItem(r);
    if (parsed.ok) out.items.push({ item: parsed.item, index });
    else for (const e of parsed.errors) out.errors.push(rowError({ index }, e.field, e.message));
  });
  return out;
}

/** API batches: items given as a JSON array. */
export function itemsFromValues(values: readonly unknown[]): ParseResult {
  const out: ParseResult = { items: [], errors: [] };
  values.forEach((r, index) => {
    const parsed = parseItem(r);
    if (parsed.ok) out.items.push({ item: parsed.item, index });
    else for (const e of parsed.errors) out.errors.push(rowError({ index }, e.field, e.message));
  });
  return out;
}

function rowError(at: { line?: number; index?: number }, field: string, message: string): RowError {
  return { ...at, ...(field ? { column: field } : {}), message };
}

/** An item as it is exported (and accepted back): no version or times, empty fields left out. */
export function exportShape(item: Pick<DatasetItem, 'id' | 'input' | 'expected' | 'assert' | 'metadata' | 'source'>): Record<string, unknown> {
  const out: Record<string, unknown> = { id: item.id, input: item.input };
  if (item.expected !== null && item.expected !== undefined) out.expected = item.expected;
  if (item.assert) out.assert = item.assert;
  if (item.metadata) out.metadata = item.metadata;
  if (item.source) out.source = item.source;
  return out;
}

export function itemsToJsonl(items: readonly DatasetItem[]): string {
  let out = '';
  for (const item of items) out += JSON.stringify(exportShape(item)) + '\n';
  return out;
}
