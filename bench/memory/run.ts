/**
 * Memory benchmark: recall latency of packages/assay/src/memory with 10k memories for one user and
 * 100 other users × 1k memories as noise, 384-dimension vectors, on SQLite or PostgreSQL. The
 * embedding call is stubbed (a map lookup), so the figures are what Assay adds on top of the
 * embedding model's own latency. Baselines measured in the same run: a recall for a user without
 * memories (one store read), the exact vector scan alone, the full-text query alone.
 * See docs/memory.md.
 *
 *   npm run bench:memory [-- --quick] [--no-write] [--queries=500] [--store postgres [--pg-url postgres://…]]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, platform, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Embedder } from '../../packages/assay/src/gateway/embedder.js';
import { queryTerms } from '../../packages/assay/src/knowledge/index/fts-query.js';
import { UserVectors } from '../../packages/assay/src/memory/cache.js';
import { MemoryRepo } from '../../packages/assay/src/memory/repo.js';
import { COMMON_FRACTION, COMMON_MIN, MemoryService } from '../../packages/assay/src/memory/service.js';
import { documentTerms, searchWords, userToken } from '../../packages/assay/src/memory/text.js';
import { openDb, type Db } from '../../packages/assay/src/store/db.js';
import { summarize, type Summary } from '../gateway/stats.js';
import { writeDocSection } from '../lib/doc-section.js';
import { makeCorpus, makeMemories, makeQuery } from './corpus.js';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
};
const quick = argv.includes('--quick');
const write = !argv.includes('--no-write') && !quick;
const STORE = arg('store') ?? 'sqlite';
if (STORE !== 'sqlite' && STORE !== 'postgres') throw new Error(`--store must be sqlite or postgres, got ${STORE}`);
const N = Number(arg('memories') ?? (quick ? 2_000 : 10_000));
const NOISE_USERS = quick ? 10 : 100;
const NOISE_EACH = 1_000;
const QUERIES = Number(arg('queries') ?? (quick ? 100 : 500));
const COLD = quick ? 10 : 30;
const WRITES = quick ? 20 : 100;
const DIMS = 384;
const TOPICS = 200;
const K = 5;
const TARGET_P95_MS = 50;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const log = (s: string) => process.stderr.write(`${s}\n`);

/** The store, and a second connection to it standing for another Assay instance. */
async function openStore(): Promise<{ db: Db; other: Db; describe: string; close(): Promise<void> }> {
  if (STORE === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'assay-bench-memory-'));
    const db = await openDb({ dialect: 'sqlite', target: join(dir, 'assay.db') });
    const other = await openDb({ dialect: 'sqlite', target: join(dir, 'assay.db') });
    return {
      db, other, describe: 'SQLite (file, WAL)',
      close: async () => {
        await other.close();
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = arg('pg-url') ?? process.env.ASSAY_TEST_POSTGRES_URL;
  if (!url) throw new Error('--store postgres needs ASSAY_TEST_POSTGRES_URL or --pg-url postgres://…');
  const schema = `assay_bench_memory_${randomBytes(4).toString('hex')}`;
  const db = await openDb({ dialect: 'postgres', target: url, schema });
  const other = await openDb({ dialect: 'postgres', target: url, schema });
  const version = (await db.pool!.query<{ v: string }>("select current_setting('server_version') as v")).rows[0].v;
  return {
    db,
    other,
    describe: `PostgreSQL ${version} (local, temporary schema)`,
    close: async () => {
      await other.close();
      await db.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

interface Row { name: string; ms: Summary; note?: string }

async function time(name: string, n: number, fn: (i: number) => Promise<unknown> | unknown, note?: string, setup?: (i: number) => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < Math.min(10, n); i++) {
    await setup?.(n + i);
    await fn(i); // warm-up
  }
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    await setup?.(i);
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  const s = summarize(ms);
  log(`${name}: p50 ${s.p50.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
  return { name, ms: s, note };
}

async function main() {
  const t0 = performance.now();
  const corpus = makeCorpus(DIMS, TOPICS);
  const target = makeMemories(corpus, N);
  const noise = Array.from({ length: NOISE_USERS }, () => makeMemories(corpus, NOISE_EACH).texts);
  const queries = Array.from({ length: QUERIES }, (_, i) => makeQuery(corpus, (i * 7919) % TOPICS, i));
  log(`corpus: ${N} + ${NOISE_USERS}×${NOISE_EACH} memories × ${DIMS} dims, ${TOPICS} topics, in ${Math.round(performance.now() - t0)} ms`);
  const embed: Embedder = async (texts) =>
    texts.map((t) => {
      const v = corpus.vectors.get(t);
      if (!v) throw new Error(`bench embedder: unknown text ${t}`);
      return v;
    });
  const store = await openStore();
  log(`store: ${store.describe}`);
  try {
    const config = { embedding_model: 'bench/synthetic-384', recall_k: K, max_per_user: 10_000 };
    const memory = new MemoryService({ db: store.db, config, embed });
    const tl = performance.now();
    const load = async (user: string, texts: string[]) => {
      for (let i = 0; i < texts.length; i += 500) await memory.rememberMany(user, texts.slice(i, i + 500), { source: 'api' });
    };
    for (let u = 0; u < NOISE_USERS; u++) await load(`noise-${u}`, noise[u]);
    await load('target', target.texts);
    const loadMs = performance.now() - tl;
    const total = N + NOISE_USERS * NOISE_EACH;
    log(`loaded ${total} memories in ${Math.round(loadMs)} ms`);
    const count = (await memory.users({ limit: 500 })).data.find((u) => u.userId === 'target')?.count;
    if (count !== N) throw new Error(`target user holds ${count} memories, expected ${N}`);

    // The same vectors and words the service caches, for the arm-alone baselines.
    const repo = new MemoryRepo(store.db);
    const alone = new UserVectors(config.embedding_model, DIMS, 0, N);
    target.texts.forEach((t, i) => alone.add({ seq: i + 1, id: String(i), text: t, createdAt: 0, vector: corpus.vectors.get(t)!, terms: documentTerms(t) }));
    const token = userToken('target');
    const topicOf = new Map(target.texts.map((t, i) => [t, target.topic[i]]));

    const tc = performance.now();
    await memory.recall('target', queries[0].text);
    const firstMs = performance.now() - tc;
    const rows: Row[] = [];
    rows.push(await time('recall, user without memories (baseline: one store read)', QUERIES, (i) => memory.recall('nobody', queries[i].text)));
    rows.push(await time(`exact vector scan alone (${N.toLocaleString('en-US')} × ${DIMS}, in process)`, QUERIES, (i) => alone.nearest(corpus.vectors.get(queries[i].text)!, K * 4)));
    rows.push(
      await time('full-text query alone (one store query)', QUERIES, (i) => {
        const terms = searchWords(queryTerms(queries[i].text));
        const rare = terms.filter((t) => (alone.df.get(t) ?? 0) <= Math.max(COMMON_MIN, COMMON_FRACTION * alone.count));
        return repo.textSearch('target', token, rare.length ? rare : terms, K * 4);
      }),
    );
    rows.push(await time(`**recall, hybrid, k = ${K} (warm cache)**`, QUERIES, (i) => memory.recall('target', queries[i].text)));
    rows.push(await time('recall, hybrid, k = 20 (warm cache)', QUERIES, (i) => memory.recall('target', queries[i].text, { k: 20 })));
    const bytes = memory.cacheStats().bytes;
    let top1 = 0;
    for (const q of queries) if (topicOf.get((await memory.recall('target', q.text))[0]?.text) === q.topic) top1++;
    const accuracy = top1 / QUERIES;
    const writes = makeMemories(corpus, 3 * (WRITES + 10)).texts;
    let w = 0;
    rows.push(await time(`remember one new fact${N >= 10_000 ? ' (at the cap: the oldest is dropped)' : ''}`, WRITES, () => memory.remember('target', writes[w++], { source: 'tool' })));
    rows.push(
      await time('recall right after this instance wrote (cache patched)', WRITES, (i) => memory.recall('target', queries[i].text), undefined, () =>
        memory.remember('target', writes[w++], { source: 'tool' }),
      ),
    );
    const other = new MemoryService({ db: store.other, config, embed });
    rows.push(
      await time('recall right after another instance wrote (cache caught up: new rows and live ids read)', WRITES, (i) => memory.recall('target', queries[i].text), undefined, () =>
        other.remember('target', writes[w++], { source: 'tool' }),
      ),
    );
    rows.push(
      await time('recall with an empty cache (first recall after a start: vectors loaded whole)', COLD, (i) => memory.recall('target', queries[i].text), undefined, async () =>
        memory.clearCache(),
      ),
    );
    const stats = memory.cacheStats();
    log(`cache: ${JSON.stringify(stats)}`);
    const md = report({ store: store.describe, total, loadMs, firstMs, rows, bytes, accuracy, tookS: (performance.now() - t0) / 1000 });
    process.stdout.write(`${md}\n`);
    if (write) {
      const key = STORE;
      writeDocSection(join(ROOT, 'docs/memory.md'), `<!-- bench:memory:${key}:begin -->`, `<!-- bench:memory:${key}:end -->`, `Benchmark (${key})`, md);
      log('written to docs/memory.md');
    }
  } finally {
    await store.close();
  }
}

function report(r: { store: string; total: number; loadMs: number; firstMs: number; rows: Row[]; bytes: number; accuracy: number; tookS: number }): string {
  const f2 = (n: number) => n.toFixed(2);
  const main = r.rows.find((x) => x.name.includes('warm cache'))!;
  const key = STORE;
  return [
    `<!-- bench:memory:${key}:begin -->`,
    `Run ${new Date().toISOString().slice(0, 10)} on ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${platform()} ${release()}, Node ${process.version}${quick ? ' (quick run)' : ''}, store: ${r.store}. Command: \`npm run bench:memory${STORE === 'postgres' ? ' -- --store postgres' : ''}\` (took ${Math.round(r.tookS)} s).`,
    '',
    `${N.toLocaleString('en-US')} memories for the measured user plus ${NOISE_USERS} other users × ${NOISE_EACH.toLocaleString('en-US')} (${r.total.toLocaleString('en-US')} rows), ${DIMS}-dimension vectors around ${TOPICS} topics, 6–16 words each. ${QUERIES} recall queries (a question with two topic words). The embedding call is stubbed (a map lookup): add your embedding model's latency to every recall figure.`,
    '',
    '| measure | p50 ms | p95 ms | p99 ms |',
    '|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.name}${x.note ? ` (${x.note})` : ''} | ${f2(x.ms.p50)} | ${f2(x.ms.p95)} | ${f2(x.ms.p99)} |`),
    '',
    `Loading all rows through \`rememberMany\` (batches of 500): ${Math.round(r.loadMs).toLocaleString('en-US')} ms (${Math.round(r.total / (r.loadMs / 1000)).toLocaleString('en-US')} memories/s). First recall of the run (cache empty, code not yet warm): ${f2(r.firstMs)} ms. Cache held by the measured user: ${(r.bytes / 1048576).toFixed(1)} MiB. Top hit from the query's topic: ${(100 * r.accuracy).toFixed(1)}%.`,
    '',
    `Target: recall adds ≤ ${TARGET_P95_MS} ms p95 at 10k memories: ${N < 10_000 ? 'not measured (fewer memories)' : main.ms.p95 <= TARGET_P95_MS ? `met (${f2(main.ms.p95)} ms)` : `**missed** (${f2(main.ms.p95)} ms)`}.`,
    `<!-- bench:memory:${key}:end -->`,
  ].join('\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
