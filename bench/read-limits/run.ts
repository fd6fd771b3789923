/**
 * Read-path benchmark: how long the heaviest /api reads hold the event loop on SQLite (better-sqlite3
 * runs a query synchronously on the calling thread). Seeds N observations (traces of five over the
 * last 7 days), then times the trace list with free-text search (`q=`, matched nowhere and somewhere)
 * and a 7-day metrics query grouped by model, each with perf_hooks.monitorEventLoopDelay (the
 * longest the loop could not run) and the event-loop utilization (the main thread's own work).
 *
 *   node --import tsx bench/read-limits/run.ts [--rows=200000] [--runs=3] [--main-thread]
 *   --main-thread: run the reads on the main connection (how they ran before the reader thread)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MetricsService } from '../../packages/assay/src/metrics/service.js';
import { openStore, resolveStoreLocation } from '../../packages/assay/src/store/index.js';
import { seedObservations } from '../ingest/store.js';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const ROWS = Number(arg('rows') ?? 200_000);
const RUNS = Number(arg('runs') ?? 3);
const DAY = 86_400_000;

async function measure(name: string, fn: () => Promise<unknown>): Promise<void> {
  const blocks: number[] = [];
  const walls: number[] = [];
  const busy: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    await new Promise((r) => setTimeout(r, 5)); // the histogram needs a first sample before the block starts
    const t0 = performance.now();
    const elu0 = performance.eventLoopUtilization();
    await fn();
    walls.push(performance.now() - t0);
    busy.push(performance.eventLoopUtilization(elu0).active);
    await new Promise((r) => setTimeout(r, 5)); // let the histogram see the last block end
    h.disable();
    blocks.push(h.max / 1e6);
  }
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' / ');
  console.log(`| ${name} | ${fmt(walls)} | ${fmt(blocks)} | ${fmt(busy)} |`);
}

const dir = mkdtempSync(join(tmpdir(), 'assay-bench-read-'));
const file = join(dir, 'assay.db');
try {
  process.stderr.write(`seeding ${ROWS} observations …\n`);
  await seedObservations({ kind: 'sqlite', url: file }, ROWS);
  const store = await openStore(resolveStoreLocation(file, dir));
  const mainThread = process.argv.includes('--main-thread');
  if (mainThread) store.db.reader = undefined;
  const metrics = new MetricsService(store);
  const now = Date.now();
  console.log(`\n${ROWS} observations, SQLite, ${RUNS} runs each, reads on ${mainThread ? 'the main thread' : 'the reader thread'}\n`);
  console.log('| read | wall ms | max event-loop block ms | main thread busy ms |\n|---|---|---|---|');
  await measure('GET /api/traces?q=<no match>', () => store.observations.listTraces({ text: 'zzz-no-such-text' }, 50));
  await measure('GET /api/traces?q=manual (matches)', () => store.observations.listTraces({ text: 'manual' }, 50));
  await measure('GET /api/traces?q=<no match>&from=-1d', () => store.observations.listTraces({ text: 'zzz-no-such-text', from: now - DAY }, 50));
  await measure('GET /api/metrics 7d by model', () => metrics.query('default', { from: now - 7 * DAY, to: now, intervalMs: 3_600_000, groupBy: ['model'] }));
  await measure('GET /api/metrics 24h', () => metrics.query('default', { from: now - DAY, to: now, intervalMs: 3_600_000 }));
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
