/**
 * `assay kb` as a user runs it, against a started server with a fake embeddings upstream: create,
 * add a folder (walked, batched, an unsupported file skipped, progress lines on a non-TTY stderr),
 * re-add (unchanged), failures (exit 1 with reasons), search, list, rm; file selection and the
 * progress display.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';
import { runCli } from './helpers/cli.js';
import { startFakeEmbeddings, type FakeEmbeddings } from './helpers/fake-embeddings.js';
import { ProgressBar } from '../src/cli/progress.js';
import { collectFiles, globToRegExp } from '../src/knowledge/files.js';

const FIXTURES = fileURLToPath(new URL('../src/knowledge/parse/fixtures/', import.meta.url));

let fake: FakeEmbeddings;
let assay: TestAssay;
let dir: string;

const run = (args: string[]) => runCli(args, { url: assay.url, cwd: dir });

before(async () => {
  fake = await startFakeEmbeddings();
  assay = await startAssay({ providers: [{ id: 'emb', type: 'openai', base_url: fake.url }], knowledge: { chunk_tokens: 64, chunk_overlap: 8 } });
  dir = mkdtempSync(join(tmpdir(), 'assay-kb-cli-'));
  mkdirSync(join(dir, 'docs', 'sub'), { recursive: true });
  mkdirSync(join(dir, 'more'));
  copyFileSync(join(FIXTURES, 'guide.md'), join(dir, 'docs', 'guide.md'));
  copyFileSync(join(FIXTURES, 'page.html'), join(dir, 'docs', 'page.html'));
  copyFileSync(join(FIXTURES, 'report.pdf'), join(dir, 'docs', 'report.pdf'));
  copyFileSync(join(FIXTURES, 'records.jsonl'), join(dir, 'docs', 'sub', 'records.jsonl'));
  writeFileSync(join(dir, 'docs', 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(join(dir, 'docs', '.draft.md'), '# Hidden draft');
  writeFileSync(join(dir, 'more', 'ok.md'), '# Walruses\n\nWalruses sleep on floating ice.');
  writeFileSync(join(dir, 'more', 'empty.txt'), '');
});

after(async () => {
  await assay?.stop();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('kb create, add a folder (batched, unsupported skipped), re-add unchanged, search, list, rm', async () => {
  let r = await run(['kb', 'create', 'handbook', '--model', 'emb/bow']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /created knowledge base handbook \(kb_\w+\): model emb\/bow, 64 dimensions/);
  r = await run(['kb', 'create', 'handbook', '--model', 'emb/bow']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /exists already/);

  r = await run(['kb', 'add', 'handbook', 'docs', '--metadata', '{"team": "ops"}', '--batch', '2']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /handbook: 4 added, 0 updated, 0 unchanged, 0 failed \(\d+ chunks embedded, \d+ from cache\); 1 skipped \(unsupported type\)/);
  // stderr is not a TTY here: plain progress lines, one per batch
  assert.match(r.stderr, /kb add handbook: 2\/4 files \(added 2/);
  assert.match(r.stderr, /kb add handbook: 4\/4 files \(added 4, updated 0, unchanged 0, failed 0\)/);

  r = await run(['kb', 'add', 'handbook', 'docs', '--metadata', '{"team": "ops"}']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /0 added, 0 updated, 4 unchanged, 0 failed \(0 chunks embedded/);
  // other metadata: the documents are updated, their vectors all come from the cache
  r = await run(['kb', 'add', 'handbook', 'docs', '--metadata', '{"team": "ops", "year": 2025}']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /0 added, 4 updated, 0 unchanged, 0 failed \(0 chunks embedded, \d+ from cache\)/);

  r = await run(['kb', 'search', 'handbook', 'when', 'are', 'refunds', 'issued', '-k', '3']);
  assert.equal(r.status, 0, r.stderr);
  const first = r.stdout.split('\n')[0];
  assert.match(first, /^1\. docs\/sub\/records\.jsonl #0 {2}score \d\.\d{4} {2}\(vector #1 distance \d\.\d{4}, text #1 bm25 -\d/);
  assert.match(r.stdout.split('\n')[1], /Refunds are issued within 14 days/);

  r = await run(['kb', 'search', 'handbook', 'revenue grew', '--json']);
  const hits = (JSON.parse(r.stdout) as { hits: { source: string; metadata: Record<string, unknown> }[] }).hits;
  assert.equal(hits[0].source, 'docs/report.pdf');
  assert.equal(hits[0].metadata.team, 'ops');

  r = await run(['kb', 'list']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^handbook\tkb_\w+\temb\/bow\t64 dims\t4 documents\t\d+ chunks$/m);
  r = await run(['kb', 'list', 'handbook']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split('\t')[0]), ['docs/guide.md', 'docs/page.html', 'docs/report.pdf', 'docs/sub/records.jsonl']);

  r = await run(['kb', 'rm', 'handbook', 'docs/guide.md']);
  assert.equal(r.status, 0, r.stderr);
  r = await run(['kb', 'list', 'handbook']);
  assert.ok(!r.stdout.includes('docs/guide.md'));
  r = await run(['kb', 'rm', 'handbook', 'docs/guide.md']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no document "docs\/guide\.md"/);
});

test('kb add: a failed file gives exit code 1 with its reason; --glob; usage errors', async () => {
  let r = await run(['kb', 'add', 'handbook', 'more']);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stdout, /1 added, 0 updated, 0 unchanged, 1 failed/);
  assert.match(r.stdout, /failed more\/empty\.txt: more\/empty\.txt is empty/);

  r = await run(['kb', 'add', 'handbook', 'docs/logo.png', 'more/ok.md']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /0 added, 0 updated, 1 unchanged, 1 failed/);
  assert.match(r.stdout, /failed docs\/logo\.png: unsupported file type/);

  r = await run(['kb', 'add', 'handbook', 'docs', '--glob', '*.md']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /1 added, 0 updated, 0 unchanged, 0 failed.*1 skipped \(unsupported type\), 3 not matching --glob/);

  r = await run(['kb', 'add', 'handbook', 'nowhere']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no such file or folder: nowhere/);
  r = await run(['kb', 'add', 'nope', 'docs']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /knowledge base "nope" does not exist/);
  r = await run(['kb', 'add', 'handbook', 'docs', '--metadata', '[1]']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--metadata must be a JSON object/);
  r = await run(['kb', 'search', 'handbook', 'x', '-k', 'many']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /not a positive integer/);

  r = await run(['kb', 'rm', 'handbook']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /deleted knowledge base handbook/);
  r = await run(['kb', 'search', 'handbook', 'walruses']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\(404\): knowledge base "handbook" does not exist/);
});

test('file selection: globs, hidden entries, sources relative to the current folder', async () => {
  const re = globToRegExp('**/*.{md,txt}');
  assert.ok(re.test('a.md') && re.test('x/y/b.txt') && !re.test('c.pdf'));
  assert.ok(globToRegExp('docs/*.md').test('docs/a.md') && !globToRegExp('docs/*.md').test('docs/x/a.md'));
  assert.ok(globToRegExp('file?.[jt]xt').test('file1.txt'));
  const scan = await collectFiles(['docs', 'more/ok.md', 'docs/guide.md'], { extensions: ['.md', '.pdf', '.html', '.jsonl', '.txt'], cwd: dir });
  assert.deepEqual(scan.files.map((f) => f.source), ['docs/guide.md', 'docs/page.html', 'docs/report.pdf', 'docs/sub/records.jsonl', 'more/ok.md']);
  assert.equal(scan.skipped, 1, 'logo.png');
  const outside = await collectFiles([join(FIXTURES, 'notes.txt')], { extensions: ['.txt'], cwd: dir });
  assert.equal(outside.files[0].source, join(FIXTURES, 'notes.txt'), 'absolute outside the current folder');
});

test('progress: a bar redrawn in place on a TTY, plain lines otherwise', () => {
  const out: string[] = [];
  const make = (isTTY: boolean) =>
    new ProgressBar({ label: 'kb add h', detail: (d, t) => `${d}/${t} files`, line: (d, t) => `${d}/${t} files`, everyPercent: 0, stream: { isTTY, write: (s: string) => out.push(s) } });
  const tty = make(true);
  tty.update(0, 4);
  tty.update(4, 4);
  tty.done(true);
  assert.match(out.join(''), /^\rkb add h \[-{24}\] {3}0% 0\/4 files\x1b\[K\rkb add h \[#{24}\] 100% 4\/4 files\x1b\[K\n$/);
  out.length = 0;
  const plain = make(false);
  plain.update(0, 4);
  plain.update(2, 4);
  plain.update(2, 4);
  plain.update(4, 4);
  plain.done(true);
  assert.deepEqual(out, ['0/4 files\n', '2/4 files\n', '4/4 files\n']);
});
