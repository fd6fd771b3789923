/**
 * `assay prompt push|pull|list|label|diff` against a running server (docs/prompts.md).
 *
 * push takes a YAML or JSON file ({name, type, prompt, config, tags, labels, commit_message}) or a
 * Markdown/text file (a text prompt; optional YAML front matter between `---` lines for name,
 * config, tags, labels). A push whose prompt and config equal the newest version creates nothing
 * (its labels are still applied), so pushing from CI on every deploy is safe; --force makes a version anyway.
 * pull writes the newest version (or --label / --version) back in the same formats.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { api, CliError } from './client.js';

interface VersionOut {
  name: string;
  version: number;
  type: 'text' | 'chat';
  prompt: unknown;
  config: Record<string, unknown>;
  labels: string[];
  tags: string[];
  commit_message: string | null;
  created_by: string | null;
  created_at: number;
}

interface SummaryOut {
  name: string;
  type: string;
  latest_version: number;
  labels: Record<string, number>;
  tags: string[];
  updated_at: number;
}

const path = (name: string, rest = '') => `/api/prompts/${encodeURIComponent(name)}${rest}`;
const structured = (ext: string) => ['.yaml', '.yml', '.json'].includes(ext);

/** Splits `---\n<yaml>\n---\n<body>` front matter off a Markdown/text file. */
export function splitFrontMatter(text: string): { meta: Record<string, unknown>; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!m) return { meta: {}, body: text };
  const meta = parseYaml(m[1]) as unknown;
  if (meta !== null && (typeof meta !== 'object' || Array.isArray(meta))) throw new CliError('the front matter between the --- lines must be YAML key: value pairs');
  return { meta: (meta ?? {}) as Record<string, unknown>, body: text.slice(m[0].length) };
}

/** What a file holds, as the body of POST /api/prompts (without name defaults applied). */
export function readPromptFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const ext = extname(file).toLowerCase();
  if (structured(ext)) {
    let doc: unknown;
    try {
      doc = ext === '.json' ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      throw new CliError(`${file} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`${file} must hold an object with name, type, prompt and optionally config, tags, labels, commit_message`);
    const o = { ...(doc as Record<string, unknown>) };
    if (o.commitMessage !== undefined && o.commit_message === undefined) {
      o.commit_message = o.commitMessage;
      delete o.commitMessage;
    }
    return o;
  }
  const { meta, body } = splitFrontMatter(text);
  // Files end with a newline the prompt does not have; pull writes it back.
  return { ...meta, type: 'text', prompt: body.endsWith('\n') ? body.slice(0, -1) : body, name: meta.name ?? basename(file, extname(file)) };
}

/** A version in a file's format. */
export function formatPromptFile(v: VersionOut, ext: string): string {
  const doc: Record<string, unknown> = { name: v.name, type: v.type, prompt: v.prompt };
  if (Object.keys(v.config).length) doc.config = v.config;
  if (v.tags.length) doc.tags = v.tags;
  if (ext === '.json') return `${JSON.stringify(doc, null, 2)}\n`;
  if (structured(ext) || ext === '') return toYaml(doc, { lineWidth: 0 });
  if (v.type !== 'text') throw new CliError(`"${v.name}" is a chat prompt: pull it to a .yaml or .json file`);
  const meta: Record<string, unknown> = { name: v.name };
  if (doc.config) meta.config = doc.config;
  if (doc.tags) meta.tags = doc.tags;
  return `---\n${toYaml(meta, { lineWidth: 0 })}---\n${v.prompt as string}\n`;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function registerPrompt(program: Command): void {
  const prompt = program.command('prompt').description('the prompt registry: push and pull versions, list, move labels, diff');

  prompt
    .command('push <file>')
    .description('create a version from a .yaml/.json file or a .md/.txt text prompt (needs an admin key)')
    .option('--name <name>', 'prompt name (default: the file\'s name field, else the file name)')
    .option('-l, --label <label...>', 'labels to point at the pushed version, e.g. production staging')
    .option('-m, --message <message>', 'commit message')
    .option('--force', 'create a version even when nothing changed')
    .option('--json', 'print the version as JSON')
    .action(async (file: string, o: { name?: string; label?: string[]; message?: string; force?: boolean; json?: boolean }) => {
      const body = readPromptFile(file);
      if (o.name) body.name = o.name;
      if (typeof body.name !== 'string' || !body.name) throw new CliError(`${file} has no name: add "name:" to it or pass --name`);
      const name = body.name;
      const labels = [...new Set([...((body.labels as string[] | undefined) ?? []), ...(o.label ?? [])])];
      if (o.message !== undefined) body.commit_message = o.message;
      body.labels = labels;
      let current: VersionOut | null = null;
      if (!o.force) {
        try {
          current = await api<VersionOut>('GET', path(name, '?label=latest'));
        } catch (err) {
          if (!(err instanceof CliError && err.status === 404)) throw err;
        }
      }
      let out: VersionOut;
      if (current && current.type === (body.type ?? (typeof body.prompt === 'string' ? 'text' : 'chat')) && sameJson(current.prompt, body.prompt) && sameJson(current.config, body.config ?? {})) {
        if (labels.length) await api('PUT', path(name, '/labels'), { version: current.version, labels });
        out = await api<VersionOut>('GET', path(name, `/versions/${current.version}`));
        if (o.json) return console.log(JSON.stringify(out, null, 2));
        return console.log(`${name}: unchanged, still version ${out.version} (labels: ${out.labels.join(', ')})`);
      }
      out = await api<VersionOut>('POST', '/api/prompts', body);
      if (o.json) return console.log(JSON.stringify(out, null, 2));
      console.log(`${name}: version ${out.version} (labels: ${out.labels.join(', ')})`);
    });

  prompt
    .command('pull <name>')
    .description('print or write a version (default: the newest) as YAML, JSON or a .md/.txt text prompt')
    .option('--label <label>', 'the version this label points at')
    .option('--version <n>', 'this version')
    .option('-o, --output <file>', 'write to a file (.yaml, .yml, .json, .md, .txt) instead of printing YAML')
    .option('--json', 'print JSON (the version as the API returns it)')
    .action(async (name: string, o: { label?: string; version?: string; output?: string; json?: boolean }) => {
      if (o.label && o.version) throw new CliError('give --label or --version, not both');
      const q = o.version ? `?version=${encodeURIComponent(o.version)}` : `?label=${encodeURIComponent(o.label ?? 'latest')}`;
      const v = await api<VersionOut>('GET', path(name, q));
      if (o.json && !o.output) return console.log(JSON.stringify(v, null, 2));
      const ext = o.output ? extname(o.output).toLowerCase() : '';
      const text = formatPromptFile(v, ext);
      if (!o.output) {
        process.stdout.write(text);
        return;
      }
      writeFileSync(o.output, text);
      console.error(`wrote ${name} version ${v.version} to ${o.output}`);
    });

  prompt
    .command('list')
    .description('list prompts with their newest version and labels')
    .option('--label <label>', 'only prompts with this label')
    .option('--tag <tag>', 'only prompts with this tag')
    .option('--json', 'print JSON')
    .action(async (o: { label?: string; tag?: string; json?: boolean }) => {
      const all: SummaryOut[] = [];
      let cursor: string | null = null;
      do {
        const qs = new URLSearchParams({ limit: '500', ...(o.label ? { label: o.label } : {}), ...(o.tag ? { tag: o.tag } : {}), ...(cursor ? { cursor } : {}) });
        const page: { data: SummaryOut[]; next_cursor: string | null } = await api('GET', `/api/prompts?${qs}`);
        all.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor);
      if (o.json) return console.log(JSON.stringify(all, null, 2));
      if (!all.length) return console.error('no prompts yet: `assay prompt push <file>` creates one');
      for (const p of all) {
        const labels = Object.entries(p.labels).map(([l, v]) => `${l}=${v}`).join(',');
        console.log([p.name, p.type, `v${p.latest_version}`, labels, p.tags.join(',') || '-'].join('\t'));
      }
    });

  prompt
    .command('label <name> <version> <labels...>')
    .description('point labels (production, staging, custom) at a version (needs an admin key)')
    .action(async (name: string, version: string, labels: string[]) => {
      const n = Number(version);
      if (!Number.isInteger(n) || n < 1) throw new CliError(`version must be a version number (1, 2, …), got "${version}"`);
      const s = await api<SummaryOut>('PUT', path(name, '/labels'), { version: n, labels });
      console.log(`${name}: ${labels.map((l) => `${l} → v${s.labels[l]}`).join(', ')}`);
    });

  prompt
    .command('diff <name> [from] [to]')
    .description('differences between two versions (default: the newest and the one before)')
    .option('--json', 'print JSON')
    .action(async (name: string, from: string | undefined, to: string | undefined, o: { json?: boolean }) => {
      const qs = new URLSearchParams({ ...(from ? { from } : {}), ...(to ? { to } : {}) });
      const d = await api<{ unified: string; changed: boolean }>('GET', path(name, `/diff${qs.size ? `?${qs}` : ''}`));
      if (o.json) return console.log(JSON.stringify(d, null, 2));
      console.log(d.changed ? d.unified : `${d.unified}\n(no changes)`);
    });
}
