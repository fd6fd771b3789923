import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AssayError } from '../../errors.js';
import { parseDocument } from '../parse/index.js';
import type { ParsedDocument, Section } from '../parse/types.js';
import { chunkDocument, documentText, type Chunk, type ChunkOptions } from './chunker.js';
import { detokenize, tokenCount, tokenize } from './tokenizer.js';

const md = (text: string) => parseDocument({ bytes: new TextEncoder().encode(text), name: 'doc.md' });
const doc = (sections: Array<Partial<Section> & { text: string }>, metadata = {}): ParsedDocument => ({
  source: 'test',
  format: 'text',
  sections: sections.map((s) => ({ headingPath: [], kind: 'paragraph', ...s })),
  metadata,
});
const words = (n: number, seed = 0) => Array.from({ length: n }, (_, i) => `w${(i * 7 + seed) % 97}`).join(' ');

/** The invariants every chunking must satisfy; returns nothing, fails loudly. */
function checkInvariants(d: ParsedDocument, chunks: Chunk[], opts: Required<ChunkOptions>) {
  const { text } = documentText(d);
  let covered = 0;
  let nonSpace = '';
  chunks.forEach((c, k) => {
    assert.equal(c.index, k);
    assert.equal(c.text, text.slice(c.position.start, c.position.end), 'text is the slice its position names');
    assert.ok(c.position.start <= c.position.contentStart && c.position.contentStart < c.position.end);
    assert.ok(c.position.contentStart >= covered, `chunk ${k} body does not overlap the previous body`);
    assert.match(text.slice(covered, c.position.contentStart), /^\s*$/, `nothing but whitespace is skipped before chunk ${k}`);
    nonSpace += text.slice(c.position.contentStart, c.position.end);
    covered = c.position.end;
    assert.equal(c.tokenCount, tokenCount(c.text));
    assert.ok(c.tokenCount <= opts.chunkTokens, `chunk ${k} has ${c.tokenCount} > ${opts.chunkTokens} tokens`);
    assert.equal(c.hash, createHash('sha256').update(c.embedText).digest('hex'));
    assert.equal(c.embedText, c.headingPath.length ? `${c.headingPath.join(' > ')}\n\n${c.text}` : c.text);
    if (c.overlapTokens === 0) assert.equal(c.position.start, c.position.contentStart);
    else {
      const prev = chunks[k - 1];
      const prevTokens = tokenize(prev.text);
      assert.ok(c.overlapTokens <= opts.overlapTokens);
      assert.equal(text.slice(c.position.start, prev.position.end), detokenize(prevTokens.slice(-c.overlapTokens)), 'overlap = the previous chunk’s last tokens');
    }
  });
  assert.match(text.slice(covered), /^\s*$/, 'nothing but whitespace after the last chunk');
  assert.equal(nonSpace.replace(/\s+/g, ''), text.replace(/\s+/g, ''), 'chunk bodies together hold all the text');
}

test('defaults: 400 tokens, 60 overlap; the fixture guide gives one chunk per top-level section', async () => {
  const d = await parseDocument({ bytes: readFileSync(new URL('../parse/fixtures/guide.md', import.meta.url)), name: 'guide.md' });
  const chunks = chunkDocument(d);
  checkInvariants(d, chunks, { chunkTokens: 400, overlapTokens: 60 });
  // One H1 title and three H2s: the H2s are the top level, so no chunk spans two of them.
  assert.deepEqual(chunks.map((c) => c.headingPath.at(-1)), ['Deploying Assay', 'Install', 'Configure', 'Backups']);
  assert.ok(chunks[1].text.startsWith('Install\n\nInstall the package') && chunks[1].text.endsWith('- A writable data directory'));
  assert.equal(chunks[0].embedText, `Deploying Assay\n\n${chunks[0].text}`);
  assert.deepEqual(chunks[3].metadata, { title: 'Deploying Assay', tags: ['ops', 'deploy'], version: 2 });
});

test('headings: never merged across top-level headings; deeper headings start a chunk once it is half full', async () => {
  const d = await md(`# A\n\n${words(20)}\n\n# B\n\n${words(55, 1)}\n\n## B1\n\n${words(10, 2)}\n\n## B2\n\n${words(30, 3)}\n\n## B3\n\n${words(10, 4)}\n`);
  const chunks = chunkDocument(d, { chunkTokens: 240, overlapTokens: 0 });
  checkInvariants(d, chunks, { chunkTokens: 240, overlapTokens: 0 });
  assert.ok(tokenCount(chunks[1].text) + tokenCount(chunks[2].text) < 240, 'B, B1, B2 and B3 would fit in one chunk');
  assert.deepEqual(chunks.map((c) => c.headingPath.join('/')), ['A', 'B', 'B/B2']);
  assert.ok(chunks[1].text.includes('B1'), 'a subsection joins a chunk that is less than half full');
  assert.ok(chunks[1].tokenCount >= 120 && chunks[2].text.startsWith('B2'), 'B2 starts a chunk: the one before is half full');
  assert.ok(chunks[2].text.includes('B3'), 'B3 joins B2: that chunk is not half full yet');
  assert.ok(!chunks[0].text.includes('B'), 'A and B stay apart although both fit in one chunk');
  assert.ok(chunks.every((c) => !/\n\n(B\d?)$/.test(c.text)), 'no chunk ends on a heading');
});

test('overlap: each chunk starts with the previous chunk’s last overlapTokens tokens', () => {
  const d = doc([{ text: Array.from({ length: 60 }, (_, i) => `Sentence number ${i} talks about topic ${i % 7}.`).join(' ') }]);
  const chunks = chunkDocument(d, { chunkTokens: 64, overlapTokens: 16 });
  assert.ok(chunks.length > 5);
  checkInvariants(d, chunks, { chunkTokens: 64, overlapTokens: 16 });
  for (let k = 1; k < chunks.length; k++) {
    assert.equal(chunks[k].overlapTokens, 16);
    const tail = detokenize(tokenize(chunks[k - 1].text).slice(-16));
    assert.ok(chunks[k].text.startsWith(tail), `chunk ${k} starts with ${JSON.stringify(tail)}`);
    assert.ok(tail.length > 0);
  }
  assert.equal(chunks[0].overlapTokens, 0);
});

test('long paragraphs split at sentence boundaries, then at token boundaries', () => {
  const sentences = Array.from({ length: 40 }, (_, i) => `This is sentence ${i}, which says something about item ${i}.`);
  const d = doc([{ text: sentences.join(' ') }]);
  const chunks = chunkDocument(d, { chunkTokens: 50, overlapTokens: 0 });
  checkInvariants(d, chunks, { chunkTokens: 50, overlapTokens: 0 });
  assert.ok(chunks.length >= 8);
  for (const c of chunks) assert.match(c.text, /^This is sentence \d+,.*\.$/s, 'each chunk is whole sentences');

  const run = Array.from({ length: 800 }, (_, i) => `tok${i}`).join(' '); // no sentence or line boundary
  const d2 = doc([{ text: run }]);
  const c2 = chunkDocument(d2, { chunkTokens: 64, overlapTokens: 8 });
  checkInvariants(d2, c2, { chunkTokens: 64, overlapTokens: 8 });
  assert.ok(c2.length > 10 && c2.every((c) => c.tokenCount <= 64 && c.tokenCount >= 40), 'token cuts fill chunks');
});

test('code blocks stay whole when they fit, and are cut at lines when they do not', async () => {
  const code = ['```ts', ...Array.from({ length: 34 }, (_, i) => `const value${i} = compute(${i}, "x");`), '```'].join('\n');
  // Larger than a chunk's room next to a 60-token overlap (340), within chunkTokens (400).
  assert.ok(tokenCount(code) > 340 && tokenCount(code) <= 400);
  const d = await md(`# Doc\n\n${words(250)}\n\n${code}\n\n${words(30, 5)}\n`);
  const chunks = chunkDocument(d, { chunkTokens: 400, overlapTokens: 60 });
  checkInvariants(d, chunks, { chunkTokens: 400, overlapTokens: 60 });
  const holder = chunks.find((c) => c.text.includes(code));
  assert.ok(holder, 'one chunk holds the whole code block');
  assert.ok(holder.overlapTokens < 60, 'the overlap gives way to the code block');

  const big = ['```', ...Array.from({ length: 120 }, (_, i) => `line_${i} = call(${i})`), '```'].join('\n');
  const d2 = await md(big);
  const c2 = chunkDocument(d2, { chunkTokens: 100, overlapTokens: 0 });
  checkInvariants(d2, c2, { chunkTokens: 100, overlapTokens: 0 });
  assert.ok(c2.length > 3);
  for (const c of c2) assert.match(c.text, /^(```|line_\d+)[^]*(```|\))$/, 'cuts fall between lines');
});

test('records and PDF pages never share a chunk; their metadata is merged into the chunk', async () => {
  const jsonl = await parseDocument({ bytes: readFileSync(new URL('../parse/fixtures/records.jsonl', import.meta.url)), name: 'r.jsonl' });
  const chunks = chunkDocument(jsonl);
  assert.equal(chunks.length, 3);
  assert.deepEqual(chunks[0].metadata, { line: 1, id: 'faq-1', category: 'billing' });
  assert.ok(chunks.every((c) => c.overlapTokens === 0));
  const pdf = await parseDocument({ bytes: readFileSync(new URL('../parse/fixtures/report.pdf', import.meta.url)), name: 'r.pdf' });
  const pc = chunkDocument(pdf);
  assert.deepEqual(pc.map((c) => c.metadata), [{ pages: 2, page: 1 }, { pages: 2, page: 2 }]);
});

test('deterministic: same input, same chunks and hashes; the hash follows the embed text', async () => {
  const html = readFileSync(new URL('../parse/fixtures/page.html', import.meta.url));
  const a = chunkDocument(await parseDocument({ bytes: html, name: 'p.html' }), { chunkTokens: 40, overlapTokens: 8 });
  const b = chunkDocument(await parseDocument({ bytes: html, name: 'p.html' }), { chunkTokens: 40, overlapTokens: 8 });
  assert.deepEqual(a, b);
  assert.ok(a.length > 2);
  assert.equal(new Set(a.map((c) => c.hash)).size, a.length);
  const moved = doc([{ text: 'same text', headingPath: ['X'] }]);
  const other = doc([{ text: 'same text', headingPath: ['Y'] }]);
  assert.notEqual(chunkDocument(moved)[0].hash, chunkDocument(other)[0].hash, 'the heading path is part of what is embedded');
});

test('bad chunk options are refused with the valid range', () => {
  const d = doc([{ text: 'x' }]);
  assert.throws(() => chunkDocument(d, { chunkTokens: 10 }), (e: unknown) => e instanceof AssayError && /chunkTokens must be an integer from 32 to 8192, got 10/.test(e.message));
  assert.throws(() => chunkDocument(d, { chunkTokens: 100, overlapTokens: 51 }), (e: unknown) => e instanceof AssayError && /overlapTokens .* half of chunkTokens \(50\), got 51/.test(e.message));
  assert.deepEqual(chunkDocument(doc([])), []);
});

test('property: random documents lose no text, respect limits and overlap (seeded)', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T,>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const vocab = ['alpha', 'beta', 'gamma', 'delta', '日本語', 'naïve', 'emoji🎉', 'x', '42', 'end.', 'stop!', 'why?', '<|endoftext|>', 'ünïcödé'];
  for (let round = 0; round < 25; round++) {
    const sections: Section[] = [];
    const path: string[] = [];
    const nSections = 1 + Math.floor(rnd() * 25);
    for (let s = 0; s < nSections; s++) {
      const kind = pick<Section['kind']>(['paragraph', 'paragraph', 'heading', 'code', 'list', 'table', 'record']);
      if (kind === 'heading') {
        const depth = 1 + Math.floor(rnd() * 3);
        path.length = Math.min(path.length, depth - 1);
        path.push(`H${s}`);
        sections.push({ kind, headingPath: [...path], text: `H${s}` });
        continue;
      }
      const len = Math.floor(rnd() * (rnd() < 0.2 ? 900 : 120)) + 1;
      const sep = kind === 'code' || kind === 'list' || kind === 'table' ? () => (rnd() < 0.2 ? '\n' : ' ') : () => (rnd() < 0.05 ? '\n' : ' ');
      let body = '';
      for (let w = 0; w < len; w++) body += (w ? sep() : '') + pick(vocab);
      sections.push({ kind, headingPath: [...path], text: body.trim(), metadata: kind === 'record' ? { line: s + 1 } : undefined });
    }
    const d = doc(sections, { source: 'prop' });
    const chunkTokens = pick([32, 48, 64, 128, 400]);
    const overlapTokens = Math.floor(rnd() * (chunkTokens / 2 + 1));
    const chunks = chunkDocument(d, { chunkTokens, overlapTokens });
    checkInvariants(d, chunks, { chunkTokens, overlapTokens });
    assert.deepEqual(chunkDocument(d, { chunkTokens, overlapTokens }), chunks, 'deterministic');
  }
});

test('tokenizer: decoding is independent of earlier calls that ended inside a character', () => {
  const toks = tokenize('𝐀𝐁𝐀𝐁');
  assert.equal(detokenize(toks.slice(0, 3)), '𝐀');
  assert.equal(detokenize(toks.slice(0, 4)), '𝐀', 'a call ending inside 𝐁 drops the partial character');
  assert.equal(detokenize(tokenize('plain')), 'plain', 'no bytes leak from the call before');
  assert.equal(detokenize(toks), '𝐀𝐁𝐀𝐁');
  assert.equal(tokenCount('hello <|endoftext|>'), tokenize('hello <|endoftext|>').length, 'special-token text counts as text');
});

test('unbroken runs (no spaces, no sentences) are cut at token boundaries in linear time', () => {
  for (const text of ['abcdefghij'.repeat(30_000), '日本語のテキストです'.repeat(5_000), '𝐀𝐁'.repeat(5_000), `a${' '.repeat(60_000)}b`]) {
    const d = doc([{ text }]);
    const chunks = chunkDocument(d, { chunkTokens: 128, overlapTokens: 16 });
    checkInvariants(d, chunks, { chunkTokens: 128, overlapTokens: 16 });
    assert.equal(chunks.map((c) => c.text.slice(c.position.contentStart - c.position.start)).join(''), text);
  }
});
