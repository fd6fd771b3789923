/**
 * `assay kb create|list|add|search|rm` against a running server (/api/kb). `add` walks folders,
 * uploads supported files as multipart/form-data in batches (binary as is: no base64 inflation, the
 * same upload a `curl -F file=@…` makes), shows progress on stderr, prints a summary and exits 1
 * when any file failed. See docs/knowledge.md.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { collectFiles, type FoundFile } from '../knowledge/files.js';
import type { DocumentJson, HitJson, IngestResultJson, KbJson } from '../knowledge/wire.js';
import { api, CliError } from './client.js';
import { ProgressBar } from './progress.js';

interface IngestResponse {
  kb: string;
  summary: { added: number; updated: number; unchanged: number; failed: number; chunks: number; embedded: number; cached: number; replaced: number };
  documents: IngestResultJson[];
}

/** Files per upload request, and bytes (a larger file goes alone). */
const BATCH_FILES = 16;
const BATCH_BYTES = 8 * 1024 * 1024;

const kbPath = (kb: string) => `/api/kb/${encodeURIComponent(kb)}`;

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${v}" is not a positive integer`);
  return n;
}

function jsonObject(what: string) {
  return (v: string): Record<string, unknown> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch (err) {
      throw new InvalidArgumentError(`${what} is not valid JSON (${(err as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError(`${what} must be a JSON object, e.g. '{"team": "docs"}'`);
    return parsed as Record<string, unknown>;
  };
}

function batches(files: FoundFile[], maxFiles: number): FoundFile[][] {
  const out: FoundFile[][] = [];
  let cur: FoundFile[] = [];
  let bytes = 0;
  for (const f of files) {
    if (cur.length && (cur.length >= maxFiles || bytes + f.size > BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(f);
    bytes += f.size;
  }
  if (cur.length) out.push(cur);
  return out;
}

const localFailure = (f: FoundFile | string, message: string, code = 'local_error'): IngestResultJson => {
  const source = typeof f === 'string' ? f : f.source;
  return { id: source, source, status: 'failed', chunks: 0, embedded: 0, cached: 0, replaced: 0, version: null, error: { code, message } };
};

/** Uploads one batch; a batch refused as too large is retried file by file, and a single file too large fails alone. */
async function upload(kb: string, batch: FoundFile[], metadata: Record<string, unknown> | undefined): Promise<IngestResultJson[]> {
  const form = new FormData();
  const failed: IngestResultJson[] = [];
  for (const f of batch) {
    try {
      form.append('file', new Blob([await readFile(f.path)]), f.source);
    } catch (err) {
      failed.push(localFailure(f, `cannot read ${f.path}: ${(err as Error).message}`));
    }
  }
  if (failed.length === batch.length) return failed;
  if (metadata) form.append('metadata', JSON.stringify(metadata));
  try {
    const res = await api<IngestResponse>('POST', `${kbPath(kb)}/documents`, form);
    return [...failed, ...res.documents];
  } catch (err) {
    if (!(err instanceof CliError) || err.status !== 413) throw err;
    if (batch.length === 1) return [localFailure(batch[0], err.message.replace(/^POST \S+ failed \(413\): /, ''), 'too_large')];
    const out = [...failed];
    for (const f of batch) if (!failed.some((x) => x.source === f.source)) out.push(...(await upload(kb, [f], metadata)));
    return out;
  }
}

async function add(kb: string, paths: string[], o: { metadata?: Record<string, unknown>; glob?: string; batch: number; json?: boolean }): Promise<void> {
  const { SUPPORTED_EXTENSIONS } = await import('../knowledge/parse/index.js'); // loaded only here: pdf.js is heavy
  let scan;
  try {
    scan = await collectFiles(paths, { extensions: SUPPORTED_EXTENSIONS, glob: o.glob });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (scan.missing.length) throw new CliError(`no such file or folder: ${scan.missing.join(', ')}`);
  if (scan.files.length === 0 && scan.unsupported.length === 0) {
    const why = [scan.skipped ? `${scan.skipped} of another type` : '', scan.excluded ? `${scan.excluded} not matching --glob` : ''].filter(Boolean).join(', ');
    throw new CliError(`no files to add in ${paths.join(', ')}${why ? ` (${why})` : ''}; supported: ${SUPPORTED_EXTENSIONS.join(' ')}`);
  }
  await api<KbJson>('GET', kbPath(kb)); // fails fast (404, auth) before reading any file

  const results: IngestResultJson[] = scan.unsupported.map((p) =>
    localFailure(p, `unsupported file type; supported: ${SUPPORTED_EXTENSIONS.join(' ')}`, 'unsupported_format'),
  );
  const count = { added: 0, updated: 0, unchanged: 0, failed: results.length };
  const total = scan.files.length;
  let done = 0;
  const bar = new ProgressBar({
    label: `kb add ${kb}`,
    detail: (d, t) => `${d}/${t} files`,
    line: (d, t) => `kb add ${kb}: ${d}/${t} files (added ${count.added}, updated ${count.updated}, unchanged ${count.unchanged}, failed ${count.failed})`,
    everyPercent: 0,
  });
  bar.update(0, total);
  try {
    for (const batch of batches(scan.files, o.batch)) {
      const out = await upload(kb, batch, o.metadata);
      for (const r of out) count[r.status]++;
      results.push(...out);
      done += batch.length;
      bar.update(done, total);
    }
    bar.done(true);
  } catch (err) {
    bar.done(false);
    if (done > 0) console.error(`stopped after ${done} of ${total} files (added ${count.added}, updated ${count.updated}, unchanged ${count.unchanged}, failed ${count.failed})`);
    throw err;
  }

  const failed = results.filter((r) => r.status === 'failed');
  if (o.json) {
    console.log(JSON.stringify({ kb, ...count, skipped: scan.skipped, excluded: scan.excluded, documents: results }, null, 2));
  } else {
    const embedded = results.reduce((n, r) => n + r.embedded, 0);
    const cached = results.reduce((n, r) => n + r.cached, 0);
    const notes = [scan.skipped ? `${scan.skipped} skipped (unsupported type)` : '', scan.excluded ? `${scan.excluded} not matching --glob` : ''].filter(Boolean);
    console.log(
      `${kb}: ${count.added} added, ${count.updated} updated, ${count.unchanged} unchanged, ${count.failed} failed` +
        ` (${embedded} chunks embedded, ${cached} from cache)${notes.length ? `; ${notes.join(', ')}` : ''}`,
    );
    for (const r of failed) console.log(`failed ${r.source}: ${r.error?.message ?? 'unknown error'}`);
  }
  if (failed.length) process.exitCode = 1;
}

function oneLine(text: string, max = 240): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function armsNote(h: HitJson): string {
  const parts: string[] = [];
  if (h.arms.vector) parts.push(`vector #${h.arms.vector.rank} distance ${h.arms.vector.distance.toFixed(4)}`);
  if (h.arms.text) parts.push(`text #${h.arms.text.rank}${h.arms.text.bm25 === null ? '' : ` bm25 ${h.arms.text.bm25.toFixed(3)}`}`);
  return parts.join(', ');
}

export function registerKb(program: Command): void {
  const kb = program.command('kb').description('knowledge bases: create, add documents, search (needs an admin key to write, read to search)');

  kb.command('create <name>')
    .description('create a knowledge base (its embedding model is probed once for the vector dimension)')
    .option('--model <model>', 'embedding model: "<provider>/<model>" or a route (default: knowledge.default_embedding_model)')
    .option('--description <text>', 'what the base holds')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { model?: string; description?: string; json?: boolean }) => {
      const created = await api<KbJson>('POST', '/api/kb', { name, embedding_model: o.model, description: o.description });
      if (o.json) console.log(JSON.stringify(created, null, 2));
      else console.log(`created knowledge base ${created.name} (${created.id}): model ${created.embedding_model}, ${created.dims} dimensions`);
    });

  kb.command('list [kb]')
    .description('list knowledge bases, or the documents of one')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, o: { json?: boolean }) => {
      if (name === undefined) {
        const { data } = await api<{ data: KbJson[] }>('GET', '/api/kb');
        if (o.json) return console.log(JSON.stringify(data, null, 2));
        if (data.length === 0) return console.error('no knowledge bases yet: create one with `assay kb create <name> --model <embedding model>`');
        for (const b of data) console.log([b.name, b.id, b.embedding_model, `${b.dims} dims`, `${b.documents} documents`, `${b.chunks} chunks`].join('\t'));
        return;
      }
      const docs: DocumentJson[] = [];
      for (let cursor: string | null = null; ; ) {
        const page: { data: DocumentJson[]; next_cursor: string | null } = await api('GET', `${kbPath(name)}/documents?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        docs.push(...page.data);
        if (!(cursor = page.next_cursor)) break;
      }
      if (o.json) return console.log(JSON.stringify(docs, null, 2));
      for (const d of docs) console.log([d.id, `${d.chunks} chunks`, `v${d.version}`, new Date(d.updated_at).toISOString()].join('\t'));
    });

  kb.command('add <kb> <paths...>')
    .description('add or update files and folders (walked recursively): .txt .md .html .jsonl .pdf and the other supported types; unchanged files are skipped')
    .option('--metadata <json>', 'JSON object attached to every document and chunk (filterable in search)', jsonObject('--metadata'))
    .option('--glob <pattern>', 'only folder files matching this glob (relative to the folder; without "/" it matches the file name), e.g. "**/*.md"')
    .option('--batch <n>', `files per upload request (default ${BATCH_FILES})`, positiveInt, BATCH_FILES)
    .option('--json', 'print the per-file results as JSON')
    .action((name: string, paths: string[], o: { metadata?: Record<string, unknown>; glob?: string; batch: number; json?: boolean }) => add(name, paths, o));

  kb.command('search <kb> <query...>')
    .description('search a knowledge base (hybrid: vector + full text)')
    .option('-k, --k <n>', 'results (1–200, default 10)', positiveInt)
    .option('--arms <arms>', 'hybrid (default), vector or text')
    .option('--filter <json>', 'metadata filter, e.g. \'{"lang": ["en", "de"]}\'', jsonObject('--filter'))
    .option('--json', 'print JSON')
    .action(async (name: string, words: string[], o: { k?: number; arms?: string; filter?: Record<string, unknown>; json?: boolean }) => {
      const res = await api<{ hits: HitJson[]; arms: string }>('POST', `${kbPath(name)}/search`, { query: words.join(' '), k: o.k, arms: o.arms, filter: o.filter });
      if (o.json) return console.log(JSON.stringify(res, null, 2));
      if (res.hits.length === 0) return console.error('no matches');
      res.hits.forEach((h, i) => {
        console.log(`${i + 1}. ${h.source} #${h.chunk_index}  score ${h.score.toFixed(4)}  (${armsNote(h)})`);
        console.log(`   ${oneLine(h.text)}`);
      });
    });

  kb.command('rm <kb> [document]')
    .description('delete a knowledge base with all its documents, or one document (by id: its source path unless given)')
    .action(async (name: string, document: string | undefined) => {
      if (document === undefined) {
        const res = await api<{ name: string; id: string }>('DELETE', kbPath(name));
        console.error(`deleted knowledge base ${res.name} (${res.id})`);
      } else {
        await api('DELETE', `${kbPath(name)}/documents/${encodeURIComponent(document)}`);
        console.error(`deleted ${document} from ${name}`);
      }
    });
}
