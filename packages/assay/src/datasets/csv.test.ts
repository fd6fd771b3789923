/** The RFC 4180 reader and writer: quotes, escaped quotes, line breaks in fields, BOM, CRLF, line numbers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvSyntaxError, csvField, parseCsv, writeCsv } from './csv.js';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

test('plain records, with and without a final line break', () => {
  assert.deepEqual(fields('a,b\n1,2\n'), [['a', 'b'], ['1', '2']]);
  assert.deepEqual(fields('a,b\n1,2'), [['a', 'b'], ['1', '2']]);
  assert.deepEqual(fields('a,,c\n,,\n'), [['a', '', 'c'], ['', '', '']]);
  assert.deepEqual(fields(''), []);
});

test('quoted fields hold commas, escaped quotes and line breaks (LF and CRLF kept as written)', () => {
  const text = 'q,a\r\n"Hello, world","He said ""hi"""\r\n"line one\nline two","x\r\ny"\r\n';
  assert.deepEqual(fields(text), [['q', 'a'], ['Hello, world', 'He said "hi"'], ['line one\nline two', 'x\r\ny']]);
  assert.deepEqual(fields('"",x\n'), [['', 'x']]);
  assert.deepEqual(fields('""\n'), [['']], 'a quoted empty field is a record, not a blank line');
});

test('BOM dropped; CRLF, LF and lone CR end records; blank lines skipped', () => {
  assert.deepEqual(fields('\uFEFFname,age\r\nAda,36\r\n\r\nLinus,28\r\n'), [['name', 'age'], ['Ada', '36'], ['Linus', '28']]);
  assert.deepEqual(fields('a\rb\rc'), [['a'], ['b'], ['c']]);
  assert.equal(parseCsv('\uFEFF"x"\n')[0].fields[0], 'x');
});

test('a quote inside an unquoted field is a character', () => {
  assert.deepEqual(fields('a,5" screen\n'), [['a', '5" screen']]);
});

test('line numbers: each record knows the line it starts on, across multi-line fields', () => {
  const recs = parseCsv('h1,h2\n"a\nb\nc",1\n\nx,2\r\n"p\r\nq",3\n');
  assert.deepEqual(recs.map((r) => r.line), [1, 2, 6, 7]);
});

test('syntax errors name the line', () => {
  assert.throws(() => parseCsv('a,b\n"open,1\n2,3\n'), (e: unknown) => e instanceof CsvSyntaxError && e.line === 2 && /never closed/.test(e.message));
  assert.throws(() => parseCsv('a,b\n1,2\n"x"y,3\n'), (e: unknown) => e instanceof CsvSyntaxError && e.line === 3 && /after the closing quote/.test(e.message));
});

test('writing quotes what needs it, and reads back to the same fields', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "x"'), '"say ""x"""');
  assert.equal(csvField(' padded'), '" padded"');
  const rows = [['id', 'text'], ['1', 'multi\nline, with "quotes"'], ['2', ''], ['3', 'crlf\r\ninside']];
  const text = writeCsv(rows);
  assert.equal(text, 'id,text\n1,"multi\nline, with ""quotes"""\n2,\n3,"crlf\r\ninside"\n');
  assert.deepEqual(fields(text), rows);
});
