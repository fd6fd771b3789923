/**
 * Gateway benchmark: direct to a fake OpenAI upstream vs through Assay vs through Portkey's gateway,
 * interleaved in one run. See docs/benchmarks.md for the method.
 *
 *   npm run bench:gateway [-- --quick] [--profile] [--write | --no-write] [--paths=direct,assay,portkey]
 *   env: BENCH_ROUNDS, BENCH_SECONDS, BENCH_STREAM_GAP_MS, BENCH_STORE_BODIES=0, BENCH_ASSAY_ENTRY=src|dist,
 *        BENCH_PORTKEY_FIX=0, BENCH_PROFILE_DIR (keep the .cpuprofile there)
 */
import { cpuMs as procCpuMs } from '../soak/proc.js';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closePools, once, probePool, requestBody, runLoad, unknownFieldPassed, waitReady, type PathName, type RunResult, type Target } from './load.js';
import { ASSAY_KEY, onExit, startAssay, startPortkey, startUpstream, type Child } from './procs.js';
import { summarizeProfile, TRACE_STORE } from './profile.js';
import { PATHS, tables, verdict, writeDoc, writeProfileSection, type Meta, type PathRound, type Results, type ScenarioKey } from './report.js';
import { summarize } from './stats.js';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const quick = flag('--quick');
const profile = flag('--profile');
const write = flag('--no-write') ? false : quick ? flag('--write') : true;
const envNum = (name: string, def: number) => (process.env[name] !== undefined && process.env[name] !== '' ? Number(process.env[name]) : def);
const ROUNDS = Math.max(1, Math.min(50, Math.round(envNum('BENCH_ROUNDS', quick ? 2 : 5))));
const SECONDS = Math.max(0.1, Math.min(60, envNum('BENCH_SECONDS', quick ? 0.5 : 2)));
const WARM_SECONDS = quick ? 0.3 : 1;
const GAP_MS = Math.max(0, envNum('BENCH_STREAM_GAP_MS', 1));
const STORE_BODIES = process.env.BENCH_STORE_BODIES !== '0';
const PORTKEY_FIX = process.env.BENCH_PORTKEY_FIX !== '0';
const only = argv.find((a) => a.startsWith('--paths='))?.slice(8).split(',') as PathName[] | undefined;
const paths = PATHS.filter((p) => p === 'direct' || !only || only.includes(p));

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = join(ROOT, 'docs/benchmarks.md');
const SCENARIOS: { key: ScenarioKey; concurrency: number; stream: boolean }[] = [
  { key: 'c1', concurrency: 1, stream: false },
  { key: 'c1s', concurrency: 1, stream: true },
  { key: 'c32', concurrency: 32, stream: false },
  { key: 'c32s', concurrency: 32, stream: true },
];
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Hard stop: everything is bounded, but never let a wedged run live on.
const budgetMs = (ROUNDS * SCENARIOS.length * paths.length * (SECONDS + 0.5) + 4 * paths.length * WARM_SECONDS) * 1000 * 2 + 180_000;
setTimeout(() => {
  log(`benchmark exceeded its time budget (${Math.round(budgetMs / 1000)} s); stopping`);
  process.exit(1);
}, budgetMs).unref();

/** CPU time (ms) used so far by a process (bench/soak/proc.ts); NaN where unavailable. */
const cpuMs = (pid: number | undefined): number => (pid ? procCpuMs(pid) : NaN);

function machine(): string {
  let model = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  model = model.replace(/\s+/g, ' ');
  return `${cpus().length} cores (${model}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}`;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  log(`gateway bench: ${ROUNDS} rounds × ${SECONDS} s × ${SCENARIOS.length} scenarios × ${paths.length} paths${quick ? ' (quick)' : ''}`);
  const upstream = await startUpstream(ROOT, GAP_MS);
  const children: Partial<Record<PathName, Child>> = {};
  const targets: Target[] = [
    { name: 'direct', origin: upstream.url, path: '/v1/chat/completions', headers: { authorization: 'Bearer sk-mock' }, model: 'bench-model' },
  ];
  let assayEntry = 'not run';
  let profDir: string | undefined;
  if (paths.includes('assay')) {
    if (profile && process.env.BENCH_PROFILE_DIR) profDir = resolve(process.env.BENCH_PROFILE_DIR); // kept
    else if (profile) {
      profDir = mkdtempSync(join(tmpdir(), 'assay-bench-prof-'));
      onExit(() => rmSync(profDir!, { recursive: true, force: true }));
    }
    const a = await startAssay(ROOT, upstream.url, { storeBodies: STORE_BODIES, cpuProfDir: profDir });
    children.assay = a;
    assayEntry = a.entry;
    const u = new URL(a.url);
    targets.push({
      name: 'assay',
      origin: u.origin,
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${ASSAY_KEY}` },
      model: 'up/bench-model',
      mustHaveHeader: 'x-assay-trace-id',
    });
  }
  const portkeyTarget = (url: string): Target => ({
    name: 'portkey',
    origin: url,
    path: '/v1/chat/completions',
    headers: { authorization: 'Bearer sk-mock', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstream.url}/v1` },
    model: 'bench-model',
  });
  let portkeyAsInstalled: string | null = null;
  if (paths.includes('portkey')) {
    if (PORTKEY_FIX) {
      // How streaming behaves without the header fix, for the record.
      const raw = await startPortkey(ROOT, { fix: false });
      const t = portkeyTarget(raw.url);
      await waitReady(t);
      const one = await once(t, probePool(t), requestBody(t.model, true), true);
      portkeyAsInstalled = one.ok ? 'streaming works' : `streaming fails: ${one.error}`;
      await raw.stop();
      await closePools();
    }
    const p = await startPortkey(ROOT, { fix: PORTKEY_FIX });
    children.portkey = p;
    targets.push(portkeyTarget(p.url));
  }
  for (const t of targets) await waitReady(t);
  log(`ready: upstream ${upstream.url}${children.assay ? `, assay ${children.assay.url} (${assayEntry})` : ''}${children.portkey ? `, portkey ${children.portkey.url}` : ''}`);

  const res: Results = {
    paths: targets.map((t) => t.name),
    rounds: Object.fromEntries(SCENARIOS.map((s) => [s.key, Object.fromEntries(PATHS.map((p) => [p, [] as PathRound[]]))])) as Results['rounds'],
    errors: Object.fromEntries(PATHS.map((p) => [p, { count: 0, samples: [] as string[] }])) as Results['errors'],
    unknownField: Object.fromEntries(PATHS.map((p) => [p, { plain: false, stream: false }])) as Results['unknownField'],
    missingTraceHeader: 0,
    portkeyAsInstalled,
    portkeyFix: PORTKEY_FIX,
  };
  const count = (t: Target, r: RunResult) => {
    const e = res.errors[t.name];
    e.count += r.errors;
    for (const s of r.errorSamples) if (e.samples.length < 2) e.samples.push(s);
    if (t.name === 'assay') res.missingTraceHeader += r.missingHeader;
  };

  for (const t of targets) {
    const plain = await unknownFieldPassed(t, upstream.url, false);
    const stream = await unknownFieldPassed(t, upstream.url, true);
    res.unknownField[t.name] = { plain: plain.passed, stream: stream.passed, error: plain.error ?? stream.error };
    if (plain.error || stream.error) res.errors[t.name].count++;
  }

  log('warm-up…');
  for (const t of targets) {
    for (const s of SCENARIOS) count(t, await runLoad(t, { concurrency: s.concurrency, durationMs: WARM_SECONDS * 1000, stream: s.stream }));
  }

  const measureFrom = process.hrtime.bigint() / 1000n;
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const s of SCENARIOS) {
      for (const t of order) {
        const pid = children[t.name]?.proc.pid;
        const cpu0 = cpuMs(pid);
        const r = await runLoad(t, { concurrency: s.concurrency, durationMs: SECONDS * 1000, stream: s.stream });
        const cpu1 = cpuMs(pid);
        count(t, r);
        const lat = summarize(r.latencies);
        const ttft = summarize(r.ttfts);
        res.rounds[s.key][t.name][round] = {
          n: r.ok,
          errors: r.errors,
          rps: r.rps,
          p50: lat.p50,
          p99: lat.p99,
          ttftP50: ttft.p50,
          ttftP99: ttft.p99,
          cpuUsPerReq: r.ok ? ((cpu1 - cpu0) * 1000) / r.ok : NaN,
        };
        await sleep(100); // let trace flushes and GC of the previous run settle
      }
    }
    const c1 = (p: PathName) => res.rounds.c1[p][round]?.p50;
    const c32 = (p: PathName) => res.rounds.c32[p][round]?.rps;
    log(
      `round ${round + 1}/${ROUNDS}: c=1 p50 ` +
        targets.map((t) => `${t.name} ${c1(t.name)?.toFixed(3)}ms`).join(', ') +
        `; c=32 ` +
        targets.map((t) => `${t.name} ${Math.round(c32(t.name) ?? NaN)}/s`).join(', '),
    );
  }

  await closePools();
  let profileMd: string | null = null;
  if (children.assay && profDir) {
    await children.assay.stop(15_000);
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (tsx's loader thread writes one too).
    const pid = children.assay.proc.pid;
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.0.`));
    if (file) log(`Assay CPU profile: ${join(profDir, file)}`);
    profileMd = file ? summarizeProfile(join(profDir, file), 15, Number(measureFrom), { episodes: TRACE_STORE }) : `(no .cpuprofile was written; Assay output:\n${children.assay.log()})`;
  }
  await Promise.all(Object.values(children).map((c) => c!.stop()));
  await upstream.stop();

  const meta: Meta = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: machine(),
    cores: cpus().length,
    node: process.version,
    command: `${Object.entries(process.env)
      .filter(([k]) => k.startsWith('BENCH_') && k !== 'BENCH_PROFILE_DIR')
      .map(([k, v]) => `${k}=${v} `)
      .join('')}npm run bench:gateway${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    rounds: ROUNDS,
    seconds: SECONDS,
    streamGapMs: GAP_MS,
    assayEntry,
    storeBodies: STORE_BODIES,
    profiled: profile,
    elapsedS: (Date.now() - t0) / 1000,
  };
  const body = tables(res, meta);
  console.log(`\n${body}\n`);
  if (profileMd) console.log(`Assay CPU profile (measured rounds only, self time):\n\n${profileMd}\n`);
  if (write && existsSync(dirname(DOC))) {
    if (profile) {
      if (profileMd) writeProfileSection(DOC, profileMd, meta);
      log(`profile section written to ${DOC} (the result tables are only written by runs without --profile)`);
    } else {
      writeDoc(DOC, body, meta);
      log(`written to ${DOC}`);
    }
  }
  const v = verdict(res);
  log(`done in ${meta.elapsedS.toFixed(0)} s; Assay added p50 ${v.addedP50.toFixed(3)} ms, p99 ${v.addedP99.toFixed(3)} ms, Assay/Portkey ${v.ratio.toFixed(2)}×`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`gateway bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
