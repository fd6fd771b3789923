/**
 * Items as CSV, promptfoo-style: a header row, then one item per row. Plain columns become vars
 * (strings; an empty cell is ""); special columns start with "__":
 *   __id                the item id
 *   __expected          the expected output; in promptfoo's `type:value` syntax (contains:Paris,
 *                       similar(0.8):…) it is an assertion instead
 *   __expected1..N      assertions (`type:value`; a value without a known type is `equals`)
 *   __expected_json     the expected output as JSON (any value)
 *   __assert            assertions: a JSON array of assertion objects, or one `type:value`
 *   __metric            the `metric` of every assertion of the row
 *   __threshold         metadata.threshold (promptfoo test threshold)
 *   __description       metadata.description
 *   __metadata          metadata, a JSON object; __metadata:<key> sets one key (string)
 *   __messages          the input as a JSON array of chat messages (instead of vars)
 *   __vars              the vars as a JSON object (instead of the plain columns)
 *   __source            the trace the item came from, JSON {"trace_id", "observation_id"}
 * Export writes __id, the vars columns, then __messages/__vars when needed, __expected,
 * __expected_json when needed, __assert, and __metadata/__source when needed; an item that plain
 * cells cannot hold exactly (messages, non-string or missing vars, an expected that is not a plain
 * string) uses the JSON columns, so importing an export gives the same items.
 */
import { assertionFromString, isAssertionSyntax } from './assertions.js';
import { CsvSyntaxError, parseCsv, writeCsv } from './csv.js';
import { isObject, parseItem } from './item.js';
import type { DatasetItem, ParseResult, RowError } from './types.js';

const SPECIAL = [
  '__id', '__expected', '__expected_json', '__assert', '__metric', '__threshold', '__description', '__metadata', '__messages', '__vars', '__source',
];
const EXPECTED_N = /^__expected\d+$/;
const METADATA_KEY = /^__metadata:(.+)$/;

function headerErrors(header: string[]): RowError[] {
  const errors: RowError[] = [];
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') errors.push({ line: 1, column: `#${i + 1}`, message: 'the header has an empty column name: every column needs a name (a var name or a __ column)' });
    else if (seen.has(name)) errors.push({ line: 1, column: name, message: 'the column name appears twice in the header' });
    else if (name.startsWith('__') && !SPECIAL.includes(name) && !EXPECTED_N.test(name) && !METADATA_KEY.test(name)) {
      errors.push({ line: 1, column: name, message: `unknown special column: the __ columns are ${SPECIAL.join(', ')}, __expected1..N and __metadata:<key>` });
    }
    seen.add(name);
  });
  return errors;
}

function parseJsonCell(value: string, what: string, push: (message: string) => void): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    push(`is not valid JSON (${(err as Error).message}): this column holds ${what}`);
    return undefined;
  }
}

/** Items from CSV text; row errors name the line the row starts on and the column. */
export function itemsFromCsv(text: string): ParseResult {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) return { items: [], errors: [{ line: err.line, message: err.message.replace(/^line \d+: /, '') }] };
    throw err;
  }
  const out: ParseResult = { items: [], errors: [] };
  if (records.length === 0) return out;
  const header = records[0].fields;
  out.errors.push(...headerErrors(header));
  if (out.errors.length) return out;
  for (const { line, fields } of records.slice(1)) {
    if (fields.length !== header.length) {
      out.errors.push({ line, message: `the row has ${fields.length} fields, the header has ${header.length} (a comma or line break inside a value needs the value in double quotes)` });
      continue;
    }
    const rowErrors: RowError[] = [];
    const err = (column: string) => (message: string) => rowErrors.push({ line, column, message });
    const vars: Record<string, string> = {};
    const assert: unknown[] = [];
    const metadata: Record<string, unknown> = {};
    const raw: Record<string, unknown> = {};
    const cellOf: Record<string, string> = {}; // item field → the column it came from
    let plainVarsGiven = false;
    let metric: string | undefined;
    header.forEach((name, i) => {
      const value = fields[i];
      if (!name.startsWith('__')) {
        vars[name] = value;
        if (value !== '') plainVarsGiven = true;
        return;
      }
      if (value === '') return;
      const m = METADATA_KEY.exec(name);
      if (m) return void (metadata[m[1]] = value);
      if (EXPECTED_N.test(name)) return void assert.push(assertionFromString(value));
      switch (name) {
        case '__id':
          raw.id = value;
          cellOf.id = name;
          break;
        case '__expected':
          if (isAssertionSyntax(value)) assert.push(assertionFromString(value));
          else raw.expected = value;
          cellOf.expected = name;
          break;
        case '__expected_json':
          if (raw.expected !== undefined) err(name)('__expected and __expected_json are both set: give the expected output once');
          else raw.expected = parseJsonCell(value, 'the expected output as JSON', err(name));
          cellOf.expected = name;
          break;
        case '__assert':
          if (/^\s*[[{]/.test(value)) {
            const v = parseJsonCell(value, 'a JSON array of assertion objects', err(name));
            if (Array.isArray(v)) assert.push(...v);
            else if (v !== undefined) assert.push(v);
          } else assert.push(assertionFromString(value));
          cellOf.assert = name;
          break;
        case '__metric':
          metric = value;
          break;
        case '__threshold':
          if (Number.isFinite(Number(value))) metadata.threshold = Number(value);
          else err(name)(`must be a number, not ${JSON.stringify(value)}`);
          break;
        case '__description':
          metadata.description = value;
          break;
        case '__metadata': {
          const v = parseJsonCell(value, 'the metadata as a JSON object', err(name));
          if (isObject(v)) Object.assign(metadata, v);
          else if (v !== undefined) err(name)('must be a JSON object');
          break;
        }
        case '__messages':
          raw.messages = parseJsonCell(value, 'the input as a JSON array of chat messages', err(name));
          cellOf.messages = name;
          break;
        case '__vars':
          raw.vars = parseJsonCell(value, 'the vars as a JSON object', err(name));
          cellOf.vars = name;
          break;
        case '__source':
          raw.source = parseJsonCell(value, 'the source as JSON {"trace_id": …, "observation_id": …}', err(name));
          cellOf.source = name;
          break;
      }
    });
    if (raw.messages !== undefined || raw.vars !== undefined) {
      const col = raw.messages !== undefined ? '__messages' : '__vars';
      if (raw.messages !== undefined && raw.vars !== undefined) err('__vars')('__messages and __vars are both set: an item has messages or vars, not both');
      else if (plainVarsGiven) err(col)(`${col} is set, so the var columns of this row must be empty`);
    } else raw.vars = vars;
    if (metric !== undefined) for (const a of assert) if (isObject(a) && a.metric === undefined) a.metric = metric;
    if (assert.length) raw.assert = assert;
    if (Object.keys(metadata).length) raw.metadata = metadata;
    if (rowErrors.length === 0) {
      const parsed = parseItem(raw);
      if (parsed.ok) out.items.push({ item: parsed.item, line });
      else {
        for (const e of parsed.errors) {
          // Name the place inside a JSON cell (assert[0].type), not just the column.
          const inner = e.field.includes('.') || e.field.includes('[');
          rowErrors.push({ line, column: columnOf(e.field, cellOf), message: inner ? `${e.field} ${e.message}` : e.message });
        }
      }
    }
    out.errors.push(...rowErrors);
  }
  return out;
}

function columnOf(field: string, cellOf: Record<string, string>): string {
  const top = field.split(/[.[]/)[0];
  if (top === 'metadata') return '__metadata';
  if (top === 'assert') return cellOf.assert ?? '__expected';
  return cellOf[top] ?? (top === 'vars' ? '__vars' : top);
}

const isPlainVars = (vars: Record<string, unknown>) => Object.entries(vars).every(([k, v]) => typeof v === 'string' && !k.startsWith('__') && k !== '');

/** Items as CSV (see the file comment for the columns). */
export function itemsToCsv(items: readonly DatasetItem[]): string {
  const varColumns: string[] = [];
  const seen = new Set<string>();
  for (const it of items) {
    if (!('vars' in it.input) || !isPlainVars(it.input.vars)) continue;
    for (const k of Object.keys(it.input.vars)) {
      if (seen.has(k)) continue;
      seen.add(k);
      varColumns.push(k);
    }
  }
  const inCells = (it: DatasetItem) =>
    'vars' in it.input && isPlainVars(it.input.vars) && Object.keys(it.input.vars).length === varColumns.length;
  const expectedCell = (e: unknown) => typeof e === 'string' && e !== '' && !isAssertionSyntax(e);
  const has = {
    messages: items.some((it) => 'messages' in it.input),
    vars: items.some((it) => 'vars' in it.input && !inCells(it)),
    expectedJson: items.some((it) => it.expected !== null && it.expected !== undefined && !expectedCell(it.expected)),
    metadata: items.some((it) => it.metadata),
    source: items.some((it) => it.source),
  };
  const header = ['__id', ...varColumns];
  if (has.messages) header.push('__messages');
  if (has.vars) header.push('__vars');
  header.push('__expected');
  if (has.expectedJson) header.push('__expected_json');
  header.push('__assert');
  if (has.metadata) header.push('__metadata');
  if (has.source) header.push('__source');
  const rows: string[][] = [header];
  for (const it of items) {
    const cells = inCells(it);
    const row = [it.id, ...varColumns.map((k) => (cells ? ((it.input as { vars: Record<string, string> }).vars[k] ?? '') : ''))];
    if (has.messages) row.push('messages' in it.input ? JSON.stringify(it.input.messages) : '');
    if (has.vars) row.push('vars' in it.input && !cells ? JSON.stringify(it.input.vars) : '');
    const e = it.expected;
    const none = e === null || e === undefined;
    row.push(!none && expectedCell(e) ? (e as string) : '');
    if (has.expectedJson) row.push(!none && !expectedCell(e) ? JSON.stringify(e) : '');
    row.push(it.assert ? JSON.stringify(it.assert) : '');
    if (has.metadata) row.push(it.metadata ? JSON.stringify(it.metadata) : '');
    if (has.source) row.push(it.source ? JSON.stringify(it.source) : '');
    rows.push(row);
  }
  return writeCsv(rows);
}
