/**
 * Ingest benchmark: sustained OTLP/protobuf ingest into SQLite and PostgreSQL through a real Assay
 * process, spans counted in the database afterwards (zero lost), acknowledgement latency at the
 * target rate, time until a span shows in GET /api/traces, and the trace list with 1M observations.
 * See docs/benchmarks.md (Ingest) for the method.
 *
 *   npm run bench:ingest [-- --quick] [--stores=sqlite,postgres] [--list-rows=1000000] [--no-write] [--profile]
 *   --profile: CPU profile of the server during the ingest phases, summarized on stderr
 *   env: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASSAY_KEY, onExit, startAssay, type Child } from '../gateway/procs.js';
import { summarizeProfile } from '../gateway/profile.js';
import { summarize } from '../gateway/stats.js';
import { makePayloads, SPANS_PER_TRACE } from './payloads.js';
import { countObservations, dropSchema, seedObservations, type BenchStore } from './store.js';
import { writeSection } from './report.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profile = argv.includes('--profile');
const write = !argv.includes('--no-write') && !quick;
const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const stores = (arg('stores') ?? 'sqlite,postgres').split(',') as BenchStore['kind'][];
const LIST_ROWS = Number(arg('list-rows') ?? (quick ? 100_000 : 1_000_000));
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET = { sqlite: 5_000, postgres: 2_000 };
const TRACES_PER_PAYLOAD = 100; // 500 spans: the OTel BatchSpanProcessor exports up to 512
const SUSTAIN_S = quick ? 4 : 15;
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(url: string, body: Uint8Array): Promise<number> {
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${ASSAY_KEY}` },
    body: body as Uint8Array<ArrayBuffer>,
  });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Polls GET /api/traces until the probe trace is listed; ms from `sentAt`. The query is the list
 * narrowed to the probe's start millisecond, so polling does not load the server it measures.
 */
async function visibleAfter(url: string, probe: string, probeStart: number, sentAt: number): Promise<number> {
  for (;;) {
    const res = await fetch(`${url}/api/traces?limit=1&name=${encodeURIComponent(probe)}&from=${probeStart - 1}&to=${probeStart + 2}`, {
      headers: { authorization: `Bearer ${ASSAY_KEY}` },
    });
    const page = (await res.json()) as { data: unknown[] };
    if (res.status !== 200) throw new Error(`GET /api/traces → ${res.status} ${JSON.stringify(page)}`);
    if (page.data.length > 0) return performance.now() - sentAt;
    await sleep(10);
  }
}

interface IngestResult {
  store: string;
  maxSpansPerS: number;
  targetSpansPerS: number;
  achievedSpansPerS: number;
  ack: ReturnType<typeof summarize>;
  visible: ReturnType<typeof summarize>;
  sent: number;
  stored: number;
  failures: number;
}

async function ingestRun(store: BenchStore): Promise<IngestResult> {
  const runId = randomBytes(4).toString('hex');
  const target = TARGET[store.kind];
  const perPayload = TRACES_PER_PAYLOAD * SPANS_PER_TRACE;
  const maxPayloads = quick ? 40 : 120;
  const sustainPayloads = Math.ceil((target * SUSTAIN_S) / perPayload);
  log(`[${store.kind}] generating ${maxPayloads + sustainPayloads} payloads of ${perPayload} spans with the OpenTelemetry SDK…`);
  const payloads = makePayloads(maxPayloads + sustainPayloads, TRACES_PER_PAYLOAD, `bench-${runId}`);
  const profDir = profile ? mkdtempSync(join(tmpdir(), 'assay-ingest-prof-')) : undefined;
  const assay = await startAssay(ROOT, 'http://127.0.0.1:9', { storeBodies: true, databaseUrl: store.url, cpuProfDir: profDir });
  let failures = 0;
  try {
    // 1. Maximum: closed loop, 4 exports in flight (several app instances).
    const maxSet = payloads.slice(0, maxPayloads);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < maxSet.length) {
          const p = maxSet[next++];
          if ((await post(assay.url, p.body)) !== 200) failures++;
        }
      }),
    );
    const maxSpansPerS = (maxSet.length * perPayload) / ((performance.now() - t0) / 1000);
    log(`[${store.kind}] max ${Math.round(maxSpansPerS)} spans/s`);

    // 2. Sustained at the target rate: open loop, one export every perPayload/target seconds.
    const sustainSet = payloads.slice(maxPayloads);
    const gapMs = (perPayload / target) * 1000;
    const acks: number[] = [];
    const visible: Promise<number>[] = [];
    const inflight: Promise<void>[] = [];
    const s0 = performance.now();
    for (let i = 0; i < sustainSet.length; i++) {
      const due = s0 + i * gapMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const p = sustainSet[i];
      const sentAt = performance.now();
      inflight.push(
        post(assay.url, p.body).then((status) => {
          if (status !== 200) failures++;
          acks.push(performance.now() - sentAt);
        }),
      );
      if (i % 5 === 0) visible.push(visibleAfter(assay.url, p.probe, p.probeStart, sentAt));
    }
    await Promise.all(inflight);
    const achieved = (sustainSet.length * perPayload) / ((performance.now() - s0) / 1000);
    const vis = await Promise.all(visible);
    const sent = payloads.length * perPayload;
    await assay.stop();
    if (profDir) {
      for (const f of readdirSync(profDir)) log(summarizeProfile(join(profDir, f), 25));
      rmSync(profDir, { recursive: true, force: true });
    }
    const stored = await countObservations(store);
    log(`[${store.kind}] sustained ${Math.round(achieved)} spans/s, ack p99 ${summarize(acks).p99.toFixed(1)} ms, stored ${stored}/${sent}`);
    return { store: store.kind, maxSpansPerS, targetSpansPerS: target, achievedSpansPerS: achieved, ack: summarize(acks), visible: summarize(vis), sent, stored, failures };
  } finally {
    await assay.stop();
  }
}

interface ListResult {
  store: string;
  rows: number;
  seedRowsPerS: number;
  queries: { name: string; ms: ReturnType<typeof summarize> }[];
}

async function listRun(store: BenchStore): Promise<ListResult> {
  log(`[${store.kind}] seeding ${LIST_ROWS} observations for the trace list…`);
  const s0 = performance.now();
  await seedObservations(store, LIST_ROWS);
  const seedRowsPerS = LIST_ROWS / ((performance.now() - s0) / 1000);
  const assay: Child = await startAssay(ROOT, 'http://127.0.0.1:9', { storeBodies: true, databaseUrl: store.url });
  try {
    const get = async (q: string) => {
      const t = performance.now();
      const res = await fetch(`${assay.url}/api/traces?${q}`, { headers: { authorization: `Bearer ${ASSAY_KEY}` } });
      const body = (await res.json()) as { next_cursor: string | null };
      if (res.status !== 200) throw new Error(`GET /api/traces?${q} → ${res.status}`);
      return { ms: performance.now() - t, cursor: body.next_cursor };
    };
    const first = await get('limit=50');
    let deep = first.cursor!;
    for (let i = 0; i < 20; i++) deep = (await get(`limit=50&cursor=${deep}`)).cursor!;
    const cases: [string, string][] = [
      ['first page', 'limit=50'],
      ['page 21 (cursor)', `limit=50&cursor=${deep}`],
      ['user filter', 'limit=50&user=user-7'],
      ['model filter', 'limit=50&model=gpt-4o-mini'],
      ['status=error', 'limit=50&status=error'],
      ['session filter', 'limit=50&session=s-42'],
      ['tag filter', 'limit=50&tag=beta'],
      ['last 1 h', `limit=50&from=${Date.now() - 3_600_000}`],
    ];
    const queries = [];
    for (const [name, q] of cases) {
      const ms: number[] = [];
      for (let i = 0; i < (quick ? 10 : 30); i++) ms.push((await get(q)).ms);
      queries.push({ name, ms: summarize(ms) });
    }
    return { store: store.kind, rows: LIST_ROWS, seedRowsPerS, queries };
  } finally {
    await assay.stop();
  }
}

async function main() {
  const ingest: IngestResult[] = [];
  const lists: ListResult[] = [];
  for (const kind of stores) {
    for (const phase of ['ingest', 'list'] as const) {
      const store: BenchStore = kind === 'postgres' ? { kind, url: `${PG_URL}?schema=bench_${randomBytes(4).toString('hex')}` } : { kind, url: join(ROOT, `.bench-tmp-${randomBytes(4).toString('hex')}.db`) };
      onExit(() => void dropSchema(store));
      try {
        if (phase === 'ingest') ingest.push(await ingestRun(store));
        else lists.push(await listRun(store));
      } finally {
        await dropSchema(store);
      }
    }
  }
  const md = writeSection({ ingest, lists, quick, targets: TARGET }, write ? join(ROOT, 'docs/benchmarks.md') : null);
  process.stdout.write(`${md}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
