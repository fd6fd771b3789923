/**
 * Eval benchmark: the same 1,000-case deterministic eval (one prompt, one model, a `contains`
 * assertion per case) against the same fake OpenAI-compatible upstream, run by Assay (an
 * experiment through a running Assay server) and by promptfoo 0.123.1 (`eval --no-cache`, same
 * concurrency), wall time side by side, interleaved runs, medians. Target: Assay ≥ 2× faster.
 *
 * promptfoo 0.123.1 needs Node.js ≥ 22.22 and is large (≈1.5 GB installed), so it is not a
 * dependency of the project: bench/eval/package.json holds it and the Node.js 22 it runs on
 * (the `node` package from the npm registry), installed here on first run.
 *
 *   npm run bench:eval [-- --cases 1000] [--runs 3] [--concurrency 16] [--no-write]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI } from '../../packages/assay/test/helpers/fake-openai.js';
import { writeDocSection } from '../lib/doc-section.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const argv = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return v === undefined ? dflt : Number(v);
};
const CASES = arg('cases', 1000);
const RUNS = arg('runs', 3);
const CONCURRENCY = arg('concurrency', 16);
const write = !argv.includes('--no-write');
const ADMIN = 'sk-assay-bench-eval-admin';

function ensureDeps(): { node: string; promptfoo: string } {
  const node = join(HERE, 'node_modules/.bin/node');
  const promptfoo = join(HERE, 'node_modules/promptfoo/dist/src/entrypoint.js');
  if (!existsSync(node) || !existsSync(join(HERE, 'node_modules/promptfoo/package.json'))) {
    console.error('installing the benchmark dependencies (promptfoo 0.123.1, Node.js 22) into bench/eval/node_modules …');
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save'], { cwd: HERE, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm install in bench/eval failed');
  }
  const bin = existsSync(promptfoo) ? promptfoo : join(HERE, 'node_modules/promptfoo/dist/src/main.js');
  return { node, promptfoo: bin };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('Assay did not start');
}

async function main() {
  const deps = ensureDeps();
  const up = await startFakeOpenAI();
  const dir = mkdtempSync(join(tmpdir(), 'assay-bench-eval-'));
  const port = 40000 + Math.floor(Math.random() * 20000);
  const assayUrl = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'assay.config.yaml'), JSON.stringify({
    providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['echo-model'] }],
    tracing: { store_bodies: true },
  }));
  const t0 = performance.now();
  const assay = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'packages/assay/src/cli/main.ts'), 'up', '--port', String(port), '--config', join(dir, 'assay.config.yaml'), '--data-dir', join(dir, 'data')], {
    cwd: ROOT, env: { ...process.env, ASSAY_ADMIN_KEY: ADMIN }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitHealthy(assayUrl);
  const assayStartMs = performance.now() - t0;

  const items = Array.from({ length: CASES }, (_, i) => ({ id: `case-${i}`, vars: { n: String(i) }, assert: [{ type: 'contains', value: `number ${i}` }] }));
  const definition = (run: number) => ({ name: `bench-${run}`, items, variants: [{ id: 'echo', model: 'up/echo-model', messages: [{ role: 'user', content: 'Repeat the number {{n}}' }] }], concurrency: CONCURRENCY });
  // The fake upstream answers "echo: <last user text>", so `contains: "number <i>"` passes for every case.
  items.forEach((it, i) => (it.assert[0].value = `number ${i}`));
  const pfConfig = (name: string, cases: typeof items) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify({
      description: 'bench',
      prompts: ['Repeat the number {{n}}'],
      providers: [{ id: 'openai:chat:echo-model', config: { apiBaseUrl: up.url, apiKey: 'k' } }],
      tests: cases.map((it) => ({ vars: it.vars, assert: it.assert })),
      evaluateOptions: { maxConcurrency: CONCURRENCY },
    }));
    return file;
  };
  const pfAll = pfConfig('promptfooconfig.yaml', items);
  // One case: promptfoo's fixed cost (start-up, config, result writing), to show the per-case rate apart.
  const pfOne = pfConfig('promptfoo-one.yaml', items.slice(0, 1));

  const runAssay = async (run: number) => {
    const t = performance.now();
    const res = await fetch(`${assayUrl}/api/experiments?wait=true`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(definition(run)) });
    const e = (await res.json()) as { status: string; summary: { variants: { passRate: { value: number } }[] } };
    if (e.status !== 'done' || e.summary.variants[0].passRate.value !== 1) throw new Error(`assay run: ${JSON.stringify(e).slice(0, 300)}`);
    return performance.now() - t;
  };
  const runPromptfoo = (pfConfig: string) =>
    new Promise<number>((res, rej) => {
      const t = performance.now();
      const p = spawn(deps.node, [deps.promptfoo, 'eval', '--no-cache', '--no-table', '--no-progress-bar', '-c', pfConfig, '-o', join(dir, 'pf.json')], {
        cwd: dir,
        env: { ...process.env, PATH: `${dirname(deps.node)}:${process.env.PATH}`, PROMPTFOO_DISABLE_TELEMETRY: '1', PROMPTFOO_DISABLE_UPDATE: '1', PROMPTFOO_CONFIG_DIR: join(dir, 'pf-home'), OPENAI_API_KEY: 'k' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      p.on('exit', (code) => (code === 0 ? res(performance.now() - t) : rej(new Error(`promptfoo exited ${code}: ${err.slice(-2000)}`))));
    });

  const assayMs: number[] = [];
  const pfMs: number[] = [];
  const pfOneMs: number[] = [];
  await runAssay(-1); // warm-up (JIT, SQLite pages), not counted
  for (let r = 0; r < RUNS; r++) {
    assayMs.push(await runAssay(r));
    pfMs.push(await runPromptfoo(pfAll));
    pfOneMs.push(await runPromptfoo(pfOne));
    console.error(`run ${r + 1}/${RUNS}: assay ${assayMs.at(-1)!.toFixed(0)} ms, promptfoo ${pfMs.at(-1)!.toFixed(0)} ms`);
  }
  assay.kill('SIGTERM');
  await up.close();
  rmSync(dir, { recursive: true, force: true });

  const a = median(assayMs);
  const p = median(pfMs);
  const ratio = p / a;
  const p1 = median(pfOneMs);
  const marginal = (p - p1) / a;
  const md = [
    `Run ${new Date().toISOString().slice(0, 10)} on ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${platform()} ${release()}, Node ${process.version} (Assay) and Node 22.22.0 (promptfoo). Command: \`npm run bench:eval\`.`,
    '',
    `${CASES} cases (one prompt, one model, one \`contains\` assertion each) against the same fake OpenAI-compatible upstream, concurrency ${CONCURRENCY}, ${RUNS} interleaved runs each, medians. Assay: an experiment posted to a running server (SQLite, traces stored), until its statistics are stored. promptfoo 0.123.1: \`promptfoo eval --no-cache\` (the whole command, as a user runs it).`,
    '',
    '| runner | median wall ms | runs (ms) | cases/s |',
    '|---|---:|---|---:|',
    `| Assay | ${a.toFixed(0)} | ${assayMs.map((x) => x.toFixed(0)).join(', ')} | ${(CASES / (a / 1000)).toFixed(0)} |`,
    `| promptfoo 0.123.1 | ${p.toFixed(0)} | ${pfMs.map((x) => x.toFixed(0)).join(', ')} | ${(CASES / (p / 1000)).toFixed(0)} |`,
    `| promptfoo 0.123.1, 1 case (its fixed cost) | ${p1.toFixed(0)} | ${pfOneMs.map((x) => x.toFixed(0)).join(', ')} | — |`,
    '',
    `Assay is **${ratio.toFixed(2)}×** as fast as promptfoo for the whole eval (target ≥ 2×: ${ratio >= 2 ? 'met' : 'missed'}). Without promptfoo's fixed cost (its 1-case time subtracted) Assay is still ${marginal.toFixed(2)}× as fast. Assay's own server start is not in its figure (${assayStartMs.toFixed(0)} ms here, via tsx; a server starts once and runs many evals).`,
  ].join('\n');
  console.log(md);
  if (write) writeDocSection(join(ROOT, 'docs/benchmarks.md'), '<!-- bench:eval:begin -->', '<!-- bench:eval:end -->', 'Evals: Assay vs promptfoo', `<!-- bench:eval:begin -->\n${md}\n<!-- bench:eval:end -->`);
}

await main();
