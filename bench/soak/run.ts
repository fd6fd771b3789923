/**
 * Soak benchmark: a real Assay process (SQLite, or PostgreSQL with --store=postgres) behind a fake
 * OpenAI upstream, driven open-loop at a fixed rate with mixed traffic (chat, streams, tool-loop
 * calls, OTLP and Langfuse ingest, dashboard reads) for a long time. Reports per minute the server's
 * RSS and CPU, requests, errors and latency per kind; at the end the RSS growth after warm-up,
 * the errors, and whether every accepted call's trace can be read back. See docs/benchmarks.md (Soak).
 *
 *   npm run bench:soak [-- --minutes 30] [--rate 20] [--store=sqlite|postgres] [--write | --no-write] [--profile]
 *   --profile: Assay under node --cpu-prof; top self-time functions per thread after warm-up, printed
 *   env: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_ASSAY_ENTRY=src|dist,
 *        BENCH_DATA_DIR (see bench/gateway)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onExit, startAssay } from '../gateway/procs.js';
import { summarizeProfile } from '../gateway/profile.js';
import { dropSchema, type BenchStore } from '../ingest/store.js';
import { cpuMs, rssMb } from './proc.js';
import { growth, markdown, newMinute, writeResults, type Results } from './report.js';
import { CHAT_ROUTE, KINDS, TOOL_ROUTE, Traffic, type Kind, type Written } from './traffic.js';

const argv = process.argv.slice(2);
/** `--name N` or `--name=N`. */
function arg(name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
}
const MINUTES = Number(arg('minutes') ?? 30);
const RATE = Number(arg('rate') ?? 20);
const STORE = (arg('store') ?? 'sqlite') as BenchStore['kind'];
const PROFILE = argv.includes('--profile');
const WRITE_DOC = argv.includes('--no-write') ? false : argv.includes('--write') || MINUTES >= 30;
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WARMUP_MIN = MINUTES >= 10 ? 5 : MINUTES / 2;
const SAMPLE_MS = 5_000;
const MAX_IN_FLIGHT = 1_000;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * Requests of each kind per 100 (5 s at 20/s): mostly model calls, ingest from instrumented apps,
 * and a few people on the dashboard (the trace list, a trace, sessions; a metrics refresh every 5 s).
 */
const WEIGHTS: Record<Kind, number> = { chat: 35, stream: 25, tool: 10, otlp: 5, langfuse: 5, traces: 10, trace: 5, sessions: 4, metrics: 1 };
const MIX = interleave(WEIGHTS);
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!(MINUTES > 0) || !(RATE > 0) || !['sqlite', 'postgres'].includes(STORE)) {
  log('usage: npm run bench:soak [-- --minutes N (> 0)] [--rate R (requests/s, > 0)] [--store=sqlite|postgres] [--write | --no-write]');
  process.exit(2);
}
setTimeout(() => {
  log('soak exceeded its time budget; stopping');
  process.exit(1);
}, (MINUTES * 60 * 1.5 + 600) * 1000).unref();

function startUpstream(): Promise<string> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/soak/upstream.ts')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  onExit(() => proc.kill('SIGKILL'));
  return new Promise((ok, fail) => {
    proc.stdout!.once('data', (b: Buffer) => ok(`http://127.0.0.1:${(JSON.parse(b.toString()) as { port: number }).port}`));
    proc.once('exit', (code) => fail(new Error(`fake upstream exited with code ${code}`)));
  });
}

/** One cycle with each kind `weight` times, spread evenly (smooth weighted round robin). */
function interleave(weights: Record<Kind, number>): Kind[] {
  const total = KINDS.reduce((s, k) => s + weights[k], 0);
  const current = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  return Array.from({ length: total }, () => {
    for (const k of KINDS) current[k] += weights[k];
    const pick = KINDS.reduce((best, k) => (current[k] > current[best] ? k : best));
    current[pick] -= total;
    return pick;
  });
}

function mixLabel(): string {
  return `${KINDS.map((k) => `${WEIGHTS[k]} ${k}`).join(', ')} per ${MIX.length} requests`;
}

class Recorder {
  readonly minutes = Array.from({ length: Math.ceil(MINUTES) }, newMinute);
  readonly written: Written[] = [];
  readonly samples = new Map<string, { kind: Kind; minute: number; message: string; count: number }>();

  record(kind: Kind, minute: number, latency: number, outcome: { ok: boolean; error?: string; written?: Written[] }): void {
    const m = this.minutes[Math.min(minute, this.minutes.length - 1)];
    if (outcome.ok) {
      m.latencies[kind].push(latency);
      if (outcome.written) this.written.push(...outcome.written);
      return;
    }
    m.errors[kind]++;
    const message = outcome.error ?? 'unknown error';
    const key = `${kind}:${message.replace(/[0-9a-f]{16,}/g, '…').slice(0, 80)}`;
    const s = this.samples.get(key);
    if (s) s.count++;
    else if (this.samples.size < 20) this.samples.set(key, { kind, minute, message, count: 1 });
  }
}

/** Sends MIX at RATE on schedule until the end, whether or not earlier requests finished. */
async function drive(traffic: Traffic, rec: Recorder, pid: number, t0: number): Promise<{ shed: number; unfinished: number; rss: [number, number][] }> {
  const end = t0 + MINUTES * 60_000;
  const gap = 1000 / RATE;
  const inflight = new Set<Promise<void>>();
  const rss: [number, number][] = [];
  let shed = 0;
  let cpu0 = cpuMs(pid);
  let nextSample = t0 + SAMPLE_MS;
  const sample = (now: number) => {
    const minute = Math.min(Math.floor((now - t0 - 1) / 60_000), rec.minutes.length - 1);
    const mb = rssMb(pid);
    const cpu = cpuMs(pid);
    rec.minutes[minute].rss.push(mb);
    rec.minutes[minute].cpuMs += cpu - cpu0;
    rec.minutes[minute].sampledMs += SAMPLE_MS;
    rec.minutes[minute].load = loadavg()[0];
    cpu0 = cpu;
    rss.push([(now - t0) / 60_000, mb]);
    if (Math.floor((now - t0) / 60_000) > minute || now >= end) progress(rec, minute);
  };
  for (let i = 0; ; i++) {
    const due = t0 + i * gap;
    if (due >= end) break;
    const now = performance.timeOrigin + performance.now();
    while (now >= nextSample) {
      sample(nextSample);
      nextSample += SAMPLE_MS;
    }
    if (due > now) await sleep(due - now);
    const kind = MIX[i % MIX.length];
    const minute = Math.floor((due - t0) / 60_000);
    rec.minutes[minute].sendLag.push(performance.timeOrigin + performance.now() - due);
    if (inflight.size >= MAX_IN_FLIGHT) {
      shed++;
      continue;
    }
    const p = traffic.send(kind).then((o) => {
      rec.record(kind, minute, performance.timeOrigin + performance.now() - due, o);
      inflight.delete(p);
    });
    inflight.add(p);
  }
  while (nextSample <= end) {
    await sleep(Math.max(0, nextSample - (performance.timeOrigin + performance.now())));
    sample(nextSample);
    nextSample += SAMPLE_MS;
  }
  await Promise.race([Promise.all(inflight), sleep(60_000)]);
  return { shed, unfinished: inflight.size, rss };
}

function progress(rec: Recorder, minute: number): void {
  const m = rec.minutes[minute];
  const n = KINDS.reduce((s, k) => s + m.latencies[k].length + m.errors[k], 0);
  const e = KINDS.reduce((s, k) => s + m.errors[k], 0);
  log(`minute ${minute + 1}/${rec.minutes.length}: RSS ${m.rss[m.rss.length - 1]?.toFixed(1)} MB, ${n} requests, ${e} errors`);
}

async function health(url: string) {
  const res = await fetch(`${url}/health`);
  return ((await res.json()) as { traces: { written: number; queued: number; failed_writes: number } }).traces;
}

/** Waits for the trace queue to drain, then reads back everything the run wrote (8 at a time). */
async function checkTraces(url: string, traffic: Traffic, written: Written[]): Promise<Results['traces']> {
  for (let i = 0; i < 300 && (await health(url)).queued > 0; i++) await sleep(100);
  let next = 0;
  let missing = 0;
  let gatewayObservations = 0;
  const missingSamples: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < written.length) {
        const w = written[next++];
        const n = await traffic.readBack(w);
        if ('gateway' in w && w.gateway) gatewayObservations += n;
        if (n >= ('observations' in w ? w.observations : 1)) continue;
        missing++;
        if (missingSamples.length < 5) missingSamples.push('traceId' in w ? `${w.traceId} (${n} of ≥ ${w.observations} observations)` : `otlp batch with root ${w.otlpProbe}`);
      }
    }),
  );
  return { checked: written.length, missing, missingSamples, gatewayObservations, health: await health(url) };
}

/** One summary per thread's .cpuprofile (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile), samples after warm-up only. */
function printProfiles(dir: string, sinceUs: number): void {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    log(`\nAssay CPU profile ${join(dir, f)} (after minute ${WARMUP_MIN}, self time):\n${summarizeProfile(join(dir, f), 25, sinceUs)}`);
  }
}

function machine(): string {
  const model = (cpus()[0]?.model ?? 'unknown CPU').trim().replace(/\s+/g, ' ');
  return `${cpus().length} cores (${model}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}`;
}

async function main(): Promise<void> {
  const store: BenchStore | null = STORE === 'postgres' ? { kind: 'postgres', url: `${PG_URL}?schema=bench_soak_${randomBytes(4).toString('hex')}` } : null;
  if (store) onExit(() => void dropSchema(store));
  const upstream = await startUpstream();
  const profDir = PROFILE ? mkdtempSync(join(tmpdir(), 'assay-soak-prof-')) : undefined;
  const assay = await startAssay(ROOT, upstream, {
    storeBodies: true,
    cpuProfDir: profDir,
    databaseUrl: store?.url,
    config: {
      routes: [
        { name: CHAT_ROUTE, targets: [{ model: 'up/soak-model' }] },
        { name: TOOL_ROUTE, targets: [{ model: 'up/soak-model' }], tools: ['run_code'], tool_loop: { max_steps: 3 } },
      ],
    },
  });
  log(`soak: ${RATE} requests/s for ${MINUTES} min against ${assay.url} (${STORE}, ${assay.entry}); pid ${assay.proc.pid}`);
  const traffic = new Traffic(assay.url, 256);
  const rec = new Recorder();
  const date = new Date();
  const t0 = performance.timeOrigin + performance.now();
  const warmedUs = Number(process.hrtime.bigint() / 1000n) + WARMUP_MIN * 60e6;
  const { shed, unfinished, rss } = await drive(traffic, rec, assay.proc.pid!, t0);
  log(`traffic done; reading back ${rec.written.length} traces…`);
  const traces = await checkTraces(assay.url, traffic, rec.written);
  await traffic.close();
  await assay.stop(15_000);
  if (store) await dropSchema(store);
  if (profDir) printProfiles(profDir, warmedUs);

  const results: Results = {
    meta: {
      date: date.toISOString().replace(/\.\d+Z$/, 'Z'),
      machine: machine(),
      node: process.version,
      command: `npm run bench:soak${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
      store: STORE,
      assayEntry: assay.entry,
      rate: RATE,
      minutes: MINUTES,
      mix: mixLabel(),
    },
    minutes: rec.minutes,
    rssSamples: rss,
    warmupMinutes: WARMUP_MIN,
    shed,
    unfinished,
    errorSamples: [...rec.samples.values()],
    traces,
  };
  const md = markdown(results);
  console.log(`\n${md}\n`);
  const file = join(ROOT, `bench/soak/results-${results.meta.date.slice(0, 16).replace(/:/g, '-')}.md`);
  const label =
    MINUTES < 30
      ? `**${MINUTES}-minute validation run** (a check that the benchmark works, not the soak's figures: a 30-minute run replaces it), ${results.meta.date}:`
      : `${MINUTES}-minute run, ${results.meta.date}:`;
  writeResults(md, file, WRITE_DOC ? join(ROOT, 'docs/benchmarks.md') : null, label);
  log(`written to ${file}${WRITE_DOC ? ' and docs/benchmarks.md (Soak)' : ''}; RSS growth ${growth(results).toFixed(2)} MB/min after minute ${WARMUP_MIN}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`soak bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
