/**
 * `assay export <queue> --format <f>`: a training-data export of an annotation queue through
 * POST /api/exports, written as `<dir>/<format>.train.jsonl`, `<format>.test.jsonl` (when the test
 * fraction is above 0) and `<format>.provenance.jsonl`; prints the stats and why records were
 * rejected. Exits 1 when nothing could be exported. See docs/exports.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXPORT_FORMATS, type ExportStats } from '../feedback/exports/types.js';
import { api, CliError } from './client.js';

interface ExportOut {
  format: string;
  questions: string[];
  stats: ExportStats;
  rejected: { id: string; reason: string }[];
  skipped: { id: string; reason: string }[];
  files: { train: string; test: string; provenance: string };
}

interface ExportCliOptions {
  format: string;
  style?: string;
  question?: string;
  minAgreement?: string;
  minMargin?: string;
  minGap?: string;
  testFraction?: string;
  seed?: string;
  redact?: boolean;
  dedupe?: boolean;
  since?: string;
  until?: string;
  out: string;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`${name} must be a number, got "${v}"`);
  return n;
}

/** Counts of reasons: "3× chosen and rejected are identical". */
function reasons(list: { reason: string }[]): string[] {
  const m = new Map<string, number>();
  for (const r of list) m.set(r.reason, (m.get(r.reason) ?? 0) + 1);
  return [...m].map(([reason, n]) => `  ${n}× ${reason}`);
}

export function registerExport(program: Command): void {
  program
    .command('export <queue>')
    .description('export an annotation queue as training data (JSONL: train, test, provenance)')
    .requiredOption('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`)
    .option('--style <style>', 'TRL formats: conversational (default) or standard')
    .option('--question <id>', 'the queue question to export (default: every question that fits the format)')
    .option('--min-agreement <x>', 'keep labels at least this share of annotators agree on (0–1)')
    .option('--min-margin <x>', 'keep preferences with at least this margin')
    .option('--min-gap <x>', 'rating questions: the least rating gap that makes a preference')
    .option('--test-fraction <x>', 'share of rows in the test split (0–1)', '0')
    .option('--seed <seed>', 'seed of the train/test split')
    .option('--redact', 'scrub emails, phone and card numbers, API keys and the configured custom rules')
    .option('--no-dedupe', 'keep duplicate rows')
    .option('--since <time>', 'labels at or after this time (ISO date or epoch ms)')
    .option('--until <time>', 'labels before this time (ISO date or epoch ms)')
    .option('-o, --out <dir>', 'folder to write the files to', '.')
    .action(async (queue: string, o: ExportCliOptions) => {
      const time = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v);
      const testFraction = num('--test-fraction', o.testFraction) ?? 0;
      const r = await api<ExportOut>('POST', '/api/exports', {
        queue, format: o.format, style: o.style, question: o.question,
        min_agreement: num('--min-agreement', o.minAgreement), min_margin: num('--min-margin', o.minMargin), min_gap: num('--min-gap', o.minGap),
        test_fraction: testFraction, seed: o.seed, redact: o.redact ?? false, dedupe: o.dedupe !== false,
        since: time(o.since), until: time(o.until),
      });
      const s = r.stats;
      console.log(`${r.format} from ${queue} (${r.questions.join(', ')}): ${s.written} written (${s.train} train, ${s.test} test) of ${s.input}; ${s.filtered} filtered, ${s.duplicates} duplicates, ${s.rejected} rejected`);
      if (r.rejected.length) console.log(['rejected:', ...reasons(r.rejected)].join('\n'));
      if (r.skipped.length) console.log(['skipped:', ...reasons(r.skipped)].join('\n'));
      for (const w of s.warnings) console.error(`warning: ${w}`);
      if (!s.written) throw new CliError('nothing could be exported');
      const dir = resolve(o.out);
      await mkdir(dir, { recursive: true });
      const written: string[] = [];
      const put = async (name: string, text: string) => {
        const path = join(dir, `${r.format}.${name}.jsonl`);
        await writeFile(path, text);
        written.push(path);
      };
      await put('train', r.files.train);
      if (testFraction > 0) await put('test', r.files.test);
      await put('provenance', r.files.provenance);
      console.log(written.map((p) => `wrote ${p}`).join('\n'));
    });
}
