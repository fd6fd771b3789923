/**
 * `assay dataset create|list|import|export|versions|add-trace` against a running server
 * (/api/datasets). Imports upload the file as multipart/form-data (its extension, or --format,
 * picks JSONL or CSV); exports write the file as the server sends it (stdout or -o). See
 * docs/datasets.md.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { Dataset, DatasetItem, DatasetVersion, WriteResult } from '../datasets/types.js';
import { api, clientSettings, CliError } from './client.js';

const dsPath = (name: string) => `/api/datasets/${encodeURIComponent(name)}`;

function choice(name: string, values: string[]) {
  return (v: string): string => {
    if (!values.includes(v)) throw new InvalidArgumentError(`${name} must be ${values.join(', ')}`);
    return v;
  };
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${v}" is not a version number (0, 1, 2 …)`);
  return n;
}

function formatOf(file: string): 'jsonl' | 'csv' | undefined {
  const ext = extname(file).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.jsonl' || ext === '.ndjson' || ext === '.json' ? 'jsonl' : undefined;
}

const summary = (r: WriteResult) => `${r.added} added, ${r.updated} updated, ${r.removed} removed, ${r.unchanged} unchanged`;

/** A GET whose body is a file, not JSON. */
async function download(path: string): Promise<{ body: Buffer; version: string | null }> {
  const { url, key } = clientSettings();
  if (!key) throw new CliError('No API key: set ASSAY_API_KEY (or ASSAY_ADMIN_KEY) to an Assay key with the read scope.');
  let res: Response;
  try {
    res = await fetch(url + path, { headers: { authorization: `Bearer ${key}` } });
  } catch (err) {
    throw new CliError(`Cannot reach Assay at ${url} (${(err as Error).cause ?? (err as Error).message}): is \`assay up\` running? Set ASSAY_URL if it runs elsewhere.`);
  }
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) {
    let msg = body.toString('utf8');
    try {
      msg = (JSON.parse(msg) as { error?: { message?: string } }).error?.message ?? msg;
    } catch {
      /* not JSON: the text as is */
    }
    throw new CliError(`GET ${path} failed (${res.status}): ${msg}`, 1, res.status);
  }
  return { body, version: res.headers.get('x-assay-dataset-version') };
}

export function registerDataset(program: Command): void {
  const ds = program.command('dataset').description('datasets of test items: create, import and export JSONL/CSV, add traces (admin key to write, read to list and export)');

  ds.command('create <name>')
    .description('create an empty dataset (version 0)')
    .option('--description <text>', 'what the dataset holds')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { description?: string; json?: boolean }) => {
      const d = await api<Dataset>('POST', '/api/datasets', { name, description: o.description });
      if (o.json) console.log(JSON.stringify(d, null, 2));
      else console.log(`created dataset ${d.name} (${d.id})`);
    });

  ds.command('list')
    .description('list datasets with their current version and item count')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const all: Dataset[] = [];
      for (let cursor: string | null = null; ; ) {
        const page: { data: Dataset[]; next_cursor: string | null } = await api('GET', `/api/datasets?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        all.push(...page.data);
        if (!(cursor = page.next_cursor)) break;
      }
      if (o.json) return console.log(JSON.stringify(all, null, 2));
      if (all.length === 0) return console.error('no datasets yet: create one with `assay dataset create <name>`');
      for (const d of all) console.log([d.name, d.id, `v${d.version}`, `${d.items} items`, d.description ?? ''].join('\t').trimEnd());
    });

  ds.command('import <name> <file>')
    .description('import a JSONL or CSV file (all rows or, with any bad row, nothing); a new version unless nothing changed')
    .option('--mode <mode>', 'append (default: every row is a new item), upsert (rows with a known __id/id update it) or replace (the dataset becomes the file)', choice('--mode', ['append', 'upsert', 'replace']))
    .option('--format <format>', 'jsonl or csv (default: from the file extension)', choice('--format', ['jsonl', 'csv']))
    .option('--json', 'print JSON')
    .action(async (name: string, file: string, o: { mode?: string; format?: string; json?: boolean }) => {
      const format = o.format ?? formatOf(file);
      if (!format) throw new CliError(`cannot tell the format of ${file}: name it .jsonl or .csv, or pass --format jsonl|csv`);
      let content: Buffer;
      try {
        content = await readFile(file);
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
      }
      const form = new FormData();
      form.append('file', new Blob([content]), basename(file));
      const query = new URLSearchParams({ format, ...(o.mode ? { mode: o.mode } : {}) });
      const r = await api<WriteResult>('POST', `${dsPath(name)}/import?${query}`, form);
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else console.log(`${name}: version ${r.version} (${summary(r)})`);
    });

  ds.command('export <name>')
    .description('export the items of a version (default the current one) as JSONL or CSV')
    .option('--format <format>', 'jsonl or csv (default: from -o, else jsonl)', choice('--format', ['jsonl', 'csv']))
    .option('--version <n>', 'the dataset version (default the current one)', nonNegativeInt)
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (name: string, o: { format?: string; version?: number; output?: string }) => {
      const format = o.format ?? (o.output ? formatOf(o.output) : undefined) ?? 'jsonl';
      const query = new URLSearchParams({ format, ...(o.version === undefined ? {} : { version: String(o.version) }) });
      const { body, version } = await download(`${dsPath(name)}/export?${query}`);
      if (!o.output) return void process.stdout.write(body);
      await writeFile(o.output, body);
      console.error(`wrote ${name} version ${version} to ${o.output} (${format})`);
    });

  ds.command('versions <name>')
    .description('list the versions of a dataset with what each changed')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const { data } = await api<{ data: DatasetVersion[] }>('GET', `${dsPath(name)}/versions`);
      if (o.json) return console.log(JSON.stringify(data, null, 2));
      for (const v of data) {
        console.log([`v${v.version}`, new Date(v.created_at).toISOString(), v.origin, `+${v.added} ~${v.updated} -${v.removed}`, `${v.items} items`].join('\t'));
      }
    });

  ds.command('add-trace <name> <trace-ids...>')
    .description('add traces as items: the input of each (its messages) and, with --expected-from output, its output as expected')
    .option('--expected-from <what>', 'output (the trace output becomes expected) or none (default)', choice('--expected-from', ['output', 'none']))
    .option('--json', 'print JSON')
    .action(async (name: string, traceIds: string[], o: { expectedFrom?: string; json?: boolean }) => {
      const r = await api<WriteResult & { items: DatasetItem[] }>('POST', `${dsPath(name)}/items/from-traces`, {
        trace_ids: traceIds,
        expected_from: o.expectedFrom,
      });
      if (o.json) return console.log(JSON.stringify(r, null, 2));
      console.log(`${name}: version ${r.version} (${summary(r)}); items ${r.ids.join(', ')}`);
    });
}
