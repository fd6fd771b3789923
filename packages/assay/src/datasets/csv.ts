/**
 * CSV (RFC 4180) reading and writing, with line numbers for errors. Reading: a leading BOM is
 * dropped; records end at CRLF, LF or a lone CR; a field in double quotes may hold commas, line
 * breaks and quotes written twice (""); a quote inside an unquoted field is kept as a character;
 * empty lines are skipped. Writing: a field is quoted when it holds a comma, a quote, a line break
 * or starts or ends with a space; records end with LF.
 */

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  AfterQuote,
}

/** Every record of `text`; throws CsvSyntaxError naming the line of the first syntax error. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  let fields: string[] = [];
  let field = '';
  let quotedRecord = false;
  let state = State.FieldStart;

  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '' && !quotedRecord)) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    quotedRecord = false;
    state = State.FieldStart;
  };

  while (i < n) {
    const c = text[i];
    if (state === State.Quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        state = State.AfterQuote;
        i++;
        continue;
      }
      // Copy the run up to the next quote at once.
      let j = text.indexOf('"', i);
      if (j < 0) j = n;
      const chunk = text.slice(i, j);
      field += chunk;
      line += countLineBreaks(chunk);
      i = j;
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      state = State.FieldStart;
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      endRecord();
      line++;
      recordLine = line;
      continue;
    }
    if (state === State.AfterQuote) {
      throw new CsvSyntaxError(
        `line ${line}: unexpected ${JSON.stringify(c)} after the closing quote of a field: ` +
          'a quote inside a quoted field is written twice ("")',
        line,
      );
    }
    if (c === '"' && state === State.FieldStart) {
      state = State.Quoted;
      quotedRecord = true;
      quoteLine = line;
      i++;
      continue;
    }
    field += c;
    state = State.Unquoted;
    i++;
  }
  if (state === State.Quoted) {
    throw new CsvSyntaxError(`line ${quoteLine}: a quoted field is never closed (its closing " is missing)`, quoteLine);
  }
  if (state !== State.FieldStart || fields.length > 0) endRecord();
  return records;
}

function countLineBreaks(s: string): number {
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) k++;
    else if (c === 13 && s.charCodeAt(i + 1) !== 10) k++;
  }
  return k;
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Records as CSV text, each ending with LF. */
export function writeCsv(rows: readonly (readonly string[])[]): string {
  let out = '';
  for (const row of rows) out += row.map(csvField).join(',') + '\n';
  return out;
}
