import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AssayError } from '../../errors.js';
import { detectFormat, parseDocument, type ParseInput, type ParseOptions } from './index.js';
import { makePdf } from './test-pdf.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const parse = (name: string, options?: ParseOptions) => parseDocument({ bytes: fixture(name), name }, options);
const utf8 = (s: string) => new TextEncoder().encode(s);

async function rejects400(p: Promise<unknown>, pattern: RegExp, code?: string) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AssayError, `expected AssayError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.match(err.message, pattern);
    if (code) assert.equal(err.code, code);
    return true;
  });
}

test('markdown: front matter, heading path, intact code fence, list, table, setext heading', async () => {
  const doc = await parse('guide.md');
  assert.equal(doc.format, 'markdown');
  assert.equal(doc.title, 'Deploying Assay');
  assert.deepEqual(doc.metadata, { title: 'Deploying Assay', tags: ['ops', 'deploy'], version: 2 });
  assert.deepEqual(
    doc.sections.map((s) => [s.kind, s.headingPath.join(' > ')]),
    [
      ['heading', 'Deploying Assay'],
      ['paragraph', 'Deploying Assay'],
      ['heading', 'Deploying Assay > Install'],
      ['paragraph', 'Deploying Assay > Install'],
      ['code', 'Deploying Assay > Install'],
      ['list', 'Deploying Assay > Install'],
      ['heading', 'Deploying Assay > Configure'],
      ['table', 'Deploying Assay > Configure'],
      ['paragraph', 'Deploying Assay > Configure'],
      ['heading', 'Deploying Assay > Backups'],
      ['paragraph', 'Deploying Assay > Backups'],
    ],
  );
  const code = doc.sections.find((s) => s.kind === 'code')!;
  assert.equal(code.text, '```bash\nnpm ci\nnpm start\n\n# the server listens on port 4141\n```', 'the blank line and # comment stay inside the fence');
  assert.equal(doc.sections.find((s) => s.kind === 'list')!.text, '- Node 20 or newer\n- 2 GB of memory\n  - more for local models\n- A writable data directory');
  assert.match(doc.sections.find((s) => s.kind === 'table')!.text, /^\| Setting \| Default \|\n\| --- \| --- \|\n\| port \| 4141 \|/);
});

test('markdown: an unclosed fence runs to the end; bad front matter is a clear error', async () => {
  const doc = await parseDocument({ bytes: utf8('# A\n\n```js\nlet a = 1;\n\n# not a heading\n'), name: 'x.md' });
  assert.deepEqual(doc.sections.map((s) => s.kind), ['heading', 'code']);
  assert.equal(doc.sections[1].text, '```js\nlet a = 1;\n\n# not a heading');
  await rejects400(parseDocument({ bytes: utf8('---\ntitle: [unclosed\n---\nbody'), name: 'x.md' }), /x\.md: the front matter is not valid YAML/, 'invalid_front_matter');
  await rejects400(parseDocument({ bytes: utf8('---\n- a\n- b\n---\nbody'), name: 'x.md' }), /must be a YAML mapping/);
});

test('html: drops script/style/nav, keeps heading structure, paragraphs, lists, pre, tables, title', async () => {
  const doc = await parse('page.html');
  assert.equal(doc.title, 'Retrieval & Search');
  assert.deepEqual(doc.metadata, { language: 'en', description: 'How hybrid search works' });
  const all = doc.sections.map((s) => s.text).join('\n');
  for (const gone of ['tracking', 'also dropped', 'color: red', 'Home', 'Docs']) assert.ok(!all.includes(gone), `${gone} should be dropped`);
  assert.deepEqual(
    doc.sections.map((s) => [s.kind, s.headingPath.join(' > ')]),
    [
      ['heading', 'Hybrid search'],
      ['paragraph', 'Hybrid search'],
      ['heading', 'Hybrid search > Ranking'],
      ['paragraph', 'Hybrid search > Ranking'],
      ['list', 'Hybrid search > Ranking'],
      ['code', 'Hybrid search > Ranking'],
      ['table', 'Hybrid search > Ranking'],
      ['heading', 'Hybrid search > Ranking > Filters'],
      ['paragraph', 'Hybrid search > Ranking > Filters'],
    ],
  );
  assert.equal(doc.sections[1].text, 'Assay fuses vector search and full-text search.\nBoth arms run on every query.');
  assert.equal(doc.sections[4].text, '- Vector arm: sqlite-vec\n- Text arm: FTS5\n  1. BM25 scores\n  2. phrase queries');
  assert.equal(doc.sections[5].text, 'POST /api/kb/docs/search\n{ "query": "refund policy" }');
  assert.equal(doc.sections[6].text, 'Arm | Engine\nvector | sqlite-vec\ntext | FTS5');
});

test('html: without <title> the first h1 is the title; a heading closes the running paragraph', async () => {
  const doc = await parseDocument({ bytes: utf8('<body>intro text<h1>Main</h1>after<h2>Sub</h2><p>x</p></body>'), name: 'a.htm' });
  assert.equal(doc.title, 'Main');
  assert.deepEqual(doc.sections.map((s) => `${s.kind}:${s.text}`), ['paragraph:intro text', 'heading:Main', 'paragraph:after', 'heading:Sub', 'paragraph:x']);
});

test('plain text: paragraphs at blank lines, CRLF normalized', async () => {
  const doc = await parse('notes.txt');
  assert.equal(doc.format, 'text');
  assert.deepEqual(doc.sections.map((s) => s.text), ['Release notes', 'Version 1.2 adds hybrid search.\nIt also fixes two bugs.', 'The next release adds memory.']);
  assert.ok(doc.sections.every((s) => s.kind === 'paragraph' && s.headingPath.length === 0));
});

test('jsonl: text/content fields, else the whole record; other fields and the line number are metadata', async () => {
  const doc = await parse('records.jsonl');
  assert.deepEqual(doc.sections.map((s) => s.kind), ['record', 'record', 'record']);
  assert.equal(doc.sections[0].text, 'Refunds are issued within 14 days.');
  assert.deepEqual(doc.sections[0].metadata, { line: 1, id: 'faq-1', category: 'billing' });
  assert.equal(doc.sections[1].text, 'Passwords can be reset from the login page.');
  assert.deepEqual(doc.sections[2].metadata?.line, 4, 'blank line 3 is skipped but counted');
  assert.deepEqual(JSON.parse(doc.sections[2].text), { id: 'faq-3', question: 'Is there an API?', answer: 'Yes, an OpenAI-compatible one.' });
});

test('jsonl: configured text fields are joined; the rest is metadata; missing fields name the line', async () => {
  const doc = await parse('records.jsonl', { jsonl: { textFields: ['question', 'answer', 'text'] } }).catch((e) => e);
  assert.ok(doc instanceof AssayError);
  assert.match(doc.message, /records\.jsonl line 2 has none of the text fields question, answer, text/);
  const ok = await parseDocument({ bytes: utf8('{"question":"Q?","answer":"A.","id":7}\n'), name: 'qa.jsonl' }, { jsonl: { textFields: ['question', 'answer'] } });
  assert.equal(ok.sections[0].text, 'Q?\n\nA.');
  assert.deepEqual(ok.sections[0].metadata, { line: 1, id: 7 });
});

test('jsonl: a bad line is an error naming its line number', async () => {
  await rejects400(parseDocument({ bytes: utf8('{"text":"ok"}\n{"text": broken}\n'), name: 'd.jsonl' }), /d\.jsonl line 2 is not valid JSON/, 'invalid_jsonl');
  await rejects400(parseDocument({ bytes: utf8('{"text":"ok"}\n\n[1,2]\n'), name: 'd.ndjson' }), /d\.ndjson line 3 is not a JSON object/);
});

test('pdf fixture: text per page with the page number, title from the info dictionary', async () => {
  const doc = await parse('report.pdf');
  assert.equal(doc.format, 'pdf');
  assert.equal(doc.title, 'Q3 Report');
  assert.equal(doc.metadata.pages, 2);
  assert.deepEqual(
    doc.sections.map((s) => [s.metadata?.page, s.text]),
    [
      [1, 'Quarterly report\nRevenue grew by twelve percent.'],
      [2, 'Outlook\nWe expect steady growth next quarter.'],
    ],
  );
});

test('pdf: no extractable text, not a PDF, corrupted, too many pages', async () => {
  await rejects400(parseDocument({ bytes: makePdf([[], []]), name: 'scan.pdf' }), /scan\.pdf has no extractable text \(2 pages.*OCR/, 'no_text');
  await rejects400(parseDocument({ bytes: utf8('hello'), name: 'fake.pdf' }), /fake\.pdf is not a PDF/, 'invalid_pdf');
  const good = fixture('report.pdf');
  await rejects400(parseDocument({ bytes: good.subarray(0, 200), name: 'cut.pdf' }), /cut\.pdf could not be read as a PDF/, 'invalid_pdf');
  const three = makePdf([['one'], ['two'], ['three']]);
  await rejects400(parseDocument({ bytes: three, name: 'big.pdf' }, { limits: { maxPages: 2 } }), /big\.pdf has 3 pages, more than the limit of 2/, 'too_many_pages');
  const doc = await parseDocument({ bytes: three, name: 'big.pdf' }, { limits: { maxPages: 3 } });
  assert.deepEqual(doc.sections.map((s) => s.metadata?.page), [1, 2, 3]);
  assert.equal(three[0], 0x25, 'the caller’s bytes are left intact');
});

test('format detection: extension, then content type, then PDF magic; unknown names the supported types', async () => {
  assert.equal(detectFormat('a/b/README.MD'), 'markdown');
  assert.equal(detectFormat('notes.md', 'text/plain'), 'markdown');
  assert.equal(detectFormat('upload', 'text/html; charset=utf-8'), 'html');
  assert.equal(detectFormat('upload', 'application/x-ndjson'), 'jsonl');
  assert.equal(detectFormat('upload', undefined, fixture('report.pdf')), 'pdf');
  assert.throws(() => detectFormat('sheet.xlsx', 'application/vnd.ms-excel'), (err: unknown) => {
    assert.ok(err instanceof AssayError);
    assert.equal(err.code, 'unsupported_format');
    assert.match(err.message, /sheet\.xlsx: unsupported document type \(extension \.xlsx and content type application\/vnd\.ms-excel\)/);
    assert.match(err.message, /Markdown \(\.md\).*JSON Lines \(\.jsonl, \.ndjson\) and PDF \(\.pdf\)/);
    return true;
  });
  const forced = await parseDocument({ bytes: utf8('# Title\n\ntext'), name: 'x.bin' }, { format: 'markdown' });
  assert.equal(forced.title, 'Title');
});

test('limits and encoding: bytes, lines, characters, invalid UTF-8, UTF-16 with BOM', async () => {
  const input: ParseInput = { bytes: utf8('a\nb\nc\n'), name: 'x.txt' };
  await rejects400(parseDocument(input, { limits: { maxBytes: 5 } }), /x\.txt is 6 bytes, more than the limit of 5/, 'file_too_large');
  await rejects400(parseDocument(input, { limits: { maxLines: 3 } }), /x\.txt has more than 3 lines/, 'too_many_lines');
  assert.equal((await parseDocument(input, { limits: { maxLines: 4 } })).sections.length, 1);
  await rejects400(parseDocument({ bytes: utf8('0123456789'), name: 'x.txt' }, { limits: { maxTextChars: 9 } }), /more than 9 characters/, 'too_much_text');
  await rejects400(parseDocument({ bytes: new Uint8Array([0x68, 0xff, 0xfe, 0x69]), name: 'latin.txt' }), /latin\.txt is not valid UTF-8/, 'invalid_encoding');
  await rejects400(parseDocument(input, { limits: { maxBytes: 0 } }), /maxBytes must be a positive integer/);
  const utf16 = new Uint8Array([0xff, 0xfe, ...Buffer.from('héllo', 'utf16le')]);
  assert.equal((await parseDocument({ bytes: utf16, name: 'w.txt' })).sections[0].text, 'héllo');
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('# T')]);
  assert.equal((await parseDocument({ bytes: bom, name: 'b.md' })).title, 'T');
});
