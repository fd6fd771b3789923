/**
 * `assay eval run <file>`: runs a promptfoo-style eval file as an Assay experiment on a running
 * server. The file is mapped to a definition (src/cli/eval/config.ts), POSTed to /api/experiments,
 * followed with the progress bar (done/total on stderr), then the results are read and shown as a
 * table (stdout) and written as JSON, JUnit XML or Markdown by the -o extension. Exit codes: 0 all
 * tests pass; 100 any test fails (promptfoo's code) — or, with --baseline, only a statistically
 * significant regression against that experiment; 2 an invalid file or arguments; 1 other errors.
 * See docs/evals.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { api, CliError } from './client.js';
import { loadEvalFile, parseProviderMap } from './eval/config.js';
import { renderJunit } from './eval/junit.js';
import { failedRuns, renderMarkdown, renderTable, type CompareJson, type EvalRun, type ExperimentJson, type ResultJson } from './eval/report.js';
import { ProgressBar } from './progress.js';

/** promptfoo's exit code for failed tests. */
export const FAILED_EXIT_CODE = 100;
const POLL_MS = 250;
const OUTPUT_EXTS = ['.json', '.xml', '.md'];

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${v}" is not a positive integer`);
  return n;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface RunOptions {
  output?: string[];
  repeat?: number;
  concurrency?: number;
  grader?: string;
  providerMap?: string[];
  baseline?: string;
  name?: string;
  progress: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function follow(id: string, showProgress: boolean, label: string): Promise<ExperimentJson> {
  const bar = showProgress ? new ProgressBar({ label, detail: (d, t) => `${d}/${t} runs`, line: (d, t, p) => `${label}: ${p}% (${d}/${t} runs)` }) : null;
  for (;;) {
    const e = await api<ExperimentJson>('GET', `/api/experiments/${encodeURIComponent(id)}`);
    bar?.update(e.done, e.total);
    if (e.status !== 'queued' && e.status !== 'running') {
      bar?.done(e.status === 'done');
      return e;
    }
    await sleep(POLL_MS);
  }
}

export async function writeOutputs(run: EvalRun, paths: string[]): Promise<void> {
  for (const p of paths) {
    const ext = extname(p).toLowerCase();
    const body =
      ext === '.json'
        ? JSON.stringify({ experiment: run.experiment, summary: run.experiment.summary, results: run.results, ...(run.compare ? { compare: run.compare } : {}) }, null, 2) + '\n'
        : ext === '.xml'
          ? renderJunit(run)
          : renderMarkdown(run);
    try {
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, body);
    } catch (err) {
      throw new CliError(`cannot write ${p}: ${(err as Error).message}`);
    }
    console.error(`wrote ${p}`);
  }
}

async function run(file: string, o: RunOptions): Promise<void> {
  const loaded = loadEvalFile(file, {
    providerMap: parseProviderMap(o.providerMap ?? []),
    repeat: o.repeat,
    concurrency: o.concurrency,
    grader: o.grader,
    name: o.name,
  });
  const outputs = o.output?.length ? o.output : loaded.outputPaths.filter((p) => OUTPUT_EXTS.includes(extname(p).toLowerCase()));
  for (const p of o.output ?? []) {
    if (!OUTPUT_EXTS.includes(extname(p).toLowerCase())) throw new CliError(`-o ${p}: the extension picks the format: .json, .xml (JUnit) or .md (Markdown summary)`, 2);
  }
  for (const w of loaded.warnings) console.error(`assay: warning: ${w}`);
  const def = loaded.definition;
  const created = await api<ExperimentJson>('POST', '/api/experiments', def);
  console.error(`experiment ${created.id}: ${def.items?.length ?? 0} tests × ${def.variants.length} variants × ${def.repeats} repeats = ${created.total} runs`);
  const experiment = await follow(created.id, o.progress, def.name);
  if (experiment.status !== 'done') {
    throw new CliError(`experiment ${experiment.id} ${experiment.status}${experiment.error ? `: ${experiment.error}` : ''}`);
  }
  const { data: results } = await api<{ data: ResultJson[] }>('GET', `/api/experiments/${encodeURIComponent(experiment.id)}/results`);
  const evalRun: EvalRun = { experiment, results };
  if (o.baseline) {
    evalRun.compare = await api<CompareJson>('GET', `/api/experiments/${encodeURIComponent(experiment.id)}/compare?baseline=${encodeURIComponent(o.baseline)}`);
  }
  console.log(renderTable(evalRun));
  await writeOutputs(evalRun, outputs);
  const failed = evalRun.compare ? evalRun.compare.regression : failedRuns(results).length > 0;
  if (failed) process.exitCode = FAILED_EXIT_CODE;
}

export function registerEval(program: Command): void {
  const ev = program.command('eval').description('run eval files (promptfoo-style configs) as experiments on the server (admin key)');
  ev.command('run <file>')
    .description('run an eval file (YAML/JSON: prompts, providers, tests, defaultTest …); exit 0 all pass, 100 a test fails (with --baseline: a significant regression), 2 invalid file, 1 other errors')
    .option('-o, --output <file>', 'write results by extension: .json, .xml (JUnit), .md (Markdown summary); repeatable', collect)
    .option('--repeat <n>', 'runs per test and variant (overrides evaluateOptions.repeat)', positiveInt)
    .option('-j, --max-concurrency <n>', 'calls in flight at once (overrides evaluateOptions.maxConcurrency)', positiveInt)
    .option('--grader <model>', 'grader model for model-graded assertions (an Assay model, or a provider id mapped like providers)')
    .option('--provider-map <id=model>', 'map a promptfoo provider id (or label) to an Assay model or route; repeatable', collect)
    .option('--baseline <experiment>', 'compare with this finished experiment (id or name): exit 100 only on a significant regression')
    .option('--name <name>', 'experiment name (default: the description, else the file name)')
    .option('--no-progress', 'no progress bar')
    .action(async (file: string, o: RunOptions & { maxConcurrency?: number }) => run(file, { ...o, concurrency: o.maxConcurrency }));
}
