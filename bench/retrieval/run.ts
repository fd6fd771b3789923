/**
 * Retrieval benchmark: a synthetic knowledge base (packages/assay/src/knowledge/index) on SQLite or
 * PostgreSQL, 100k chunks × 384-dimension clustered vectors plus text. Measures the index build,
 * query latency of the vector, text and hybrid arms (and hybrid with a metadata filter), and
 * recall@10 of the vector arm against exact brute-force search in JS. See docs/knowledge-search.md.
 *
 *   npm run bench:retrieval [-- --quick] [--no-write] [--chunks=100000] [--queries=200]
 *                           [--store postgres [--pg-url postgres://…]]
 *
 * PostgreSQL: ASSAY_TEST_POSTGRES_URL or --pg-url; the base lives in a temporary schema (migrated
 * like the store's), dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize, type Summary } from '../gateway/stats.js';
import { exactTopK, makeCorpus, makeQuery } from './corpus.js';
import { writeSection, type RetrievalReport } from './report.js';
import { openBenchStore } from './stores.js';
import type { SearchQuery } from '../../packages/assay/src/knowledge/index/index.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const write = !argv.includes('--no-write') && !quick;
/** `--name=value` or `--name value`. */
const arg = (name: string) => {
  const i = argv.findIndex((a) => a === `--${name}`);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
};
const storeArg = arg('store') ?? 'sqlite';
if (storeArg !== 'sqlite' && storeArg !== 'postgres') throw new Error(`--store must be sqlite or postgres, got ${storeArg}`);
const STORE: 'sqlite' | 'postgres' = storeArg;
const N = Number(arg('chunks') ?? (quick ? 20_000 : 100_000));
const QUERIES = Number(arg('queries') ?? (quick ? 50 : 200));
const DIMS = 384;
const CLUSTERS = 200;
const CHUNKS_PER_DOC = 100;
const K = 10;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const log = (s: string) => process.stderr.write(`${s}\n`);

async function main() {
  const t0 = performance.now();
  const corpus = makeCorpus(N, DIMS, CLUSTERS);
  log(`corpus: ${N} chunks × ${DIMS} dims, ${CLUSTERS} clusters, generated in ${Math.round(performance.now() - t0)} ms`);
  const store = await openBenchStore(STORE, { pgUrl: arg('pg-url') ?? process.env.ASSAY_TEST_POSTGRES_URL, schema: `assay_bench_${randomBytes(4).toString('hex')}` });
  log(`store: ${store.describe}`);
  try {
    const index = store.index;
    const kb = await index.createKb({ name: 'bench', model: 'synthetic-384', dims: DIMS });
    const tb = performance.now();
    for (let d = 0; d * CHUNKS_PER_DOC < N; d++) {
      const chunks = [];
      for (let i = d * CHUNKS_PER_DOC; i < Math.min(N, (d + 1) * CHUNKS_PER_DOC); i++) {
        chunks.push({
          documentId: `doc-${d}`, chunkIndex: i - d * CHUNKS_PER_DOC, text: corpus.texts[i], embedText: corpus.texts[i],
          contentHash: `c${i}`, vector: corpus.vectors.subarray(i * DIMS, (i + 1) * DIMS), metadata: { lang: ['en', 'de', 'fr'][d % 3] },
        });
      }
      await index.upsertDocument(kb.id, { id: `doc-${d}`, source: `docs/${d}.md`, contentHash: `d${d}` }, chunks);
    }
    const buildMs = performance.now() - tb;
    log(`build: ${Math.round(buildMs)} ms`);
    let settle: RetrievalReport['settle'];
    if (store.settle) {
      const ts = performance.now();
      await store.settle.run();
      settle = { what: store.settle.what, ms: performance.now() - ts };
      log(`${settle.what}: ${Math.round(settle.ms)} ms`);
    }
    // Chunk ids are 1..N in insert order in this fresh database; checked on a sample.
    for (const i of [0, N >> 1, N - 1]) {
      const text = await store.chunkText(i + 1);
      if (text !== corpus.texts[i]) throw new Error(`chunk id ${i + 1} does not hold corpus chunk ${i}`);
    }
    const tc = performance.now();
    await index.search(kb.id, { vector: makeQuery(corpus, 0).vector, k: 1 });
    const codesMs = performance.now() - tc;

    const queries = Array.from({ length: QUERIES }, (_, i) => makeQuery(corpus, (i * 7919) % CLUSTERS));
    const run = async (name: string, make: (q: (typeof queries)[number]) => SearchQuery) => {
      for (const q of queries.slice(0, 10)) await index.search(kb.id, make(q)); // warm-up
      const ms: number[] = [];
      let results = 0;
      for (const q of queries) {
        const t = performance.now();
        const hits = await index.search(kb.id, make(q));
        ms.push(performance.now() - t);
        results += hits.length;
      }
      const s = summarize(ms);
      log(`${name}: p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, ${(results / queries.length).toFixed(1)} results/query`);
      return { name, ms: s, results: results / queries.length };
    };
    const rows: { name: string; ms: Summary; results: number }[] = [];
    rows.push(await run('vector', (q) => ({ vector: q.vector, k: K, arms: 'vector' })));
    rows.push(await run(STORE === 'sqlite' ? 'BM25' : 'text (ts_rank_cd)', (q) => ({ text: q.text, k: K, arms: 'text' })));
    rows.push(await run('hybrid', (q) => ({ vector: q.vector, text: q.text, k: K })));
    rows.push(await run('hybrid, filter lang=en', (q) => ({ vector: q.vector, text: q.text, k: K, filter: { lang: 'en' } })));

    let found = 0;
    for (const q of queries) {
      const exact = new Set(exactTopK(corpus, q.vector, K).map((i) => i + 1));
      const hits = await index.search(kb.id, { vector: q.vector, k: K, arms: 'vector' });
      found += hits.filter((h) => exact.has(h.chunkId)).length;
    }
    const recall = found / (queries.length * K);
    log(`recall@${K} of the vector arm vs exact: ${recall.toFixed(3)}`);
    const report: RetrievalReport = {
      store: STORE, storeText: store.describe, chunks: N, dims: DIMS, clusters: CLUSTERS, queries: QUERIES, buildMs, settle, codesMs, rows, recall, quick, tookS: (performance.now() - t0) / 1000,
    };
    const md = writeSection(report, write ? join(ROOT, 'docs/benchmarks.md') : null);
    process.stdout.write(`${md}\n`);
    if (write) log('written to docs/benchmarks.md');
  } finally {
    await store.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
