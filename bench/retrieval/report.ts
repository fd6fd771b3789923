/** The retrieval benchmark's table, printed and written into docs/benchmarks.md between markers. */
import { writeDocSection } from '../lib/doc-section.js';
import { cpus, platform, release } from 'node:os';
import type { Summary } from '../gateway/stats.js';

export interface RetrievalReport {
  store: 'sqlite' | 'postgres';
  /** The store as the report names it. */
  storeText: string;
  chunks: number;
  dims: number;
  clusters: number;
  queries: number;
  buildMs: number;
  /** Maintenance run between the build and the queries (PostgreSQL: VACUUM ANALYZE). */
  settle?: { what: string; ms: number };
  /** First search after the build: loading the base's sign-bit codes into memory. */
  codesMs: number;
  rows: { name: string; ms: Summary; results: number }[];
  recall: number;
  quick: boolean;
  tookS: number;
}

/** Each store has its own section (markers) in docs/benchmarks.md. */
const markers = (store: RetrievalReport['store']) => {
  const name = store === 'sqlite' ? 'retrieval' : `retrieval-${store}`;
  return { begin: `<!-- bench:${name}:begin -->`, end: `<!-- bench:${name}:end -->` };
};
export const HYBRID_P95_TARGET_MS = 50;
const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f1 = (n: number) => n.toFixed(1);

export function writeSection(r: RetrievalReport, docPath: string | null): string {
  const hybrid = r.rows.find((x) => x.name === 'hybrid');
  const { begin, end } = markers(r.store);
  const command = `npm run bench:retrieval${r.store === 'sqlite' ? '' : ` -- --store ${r.store}`}`;
  const built = r.store === 'sqlite' ? 'chunks, vectors, FTS5' : 'chunks, vectors, tsvector + GIN, term counts';
  const lines = [
    begin,
    `Run ${new Date().toISOString().slice(0, 10)} on ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${platform()} ${release()}, Node ${process.version}${r.quick ? ' (quick run)' : ''}. Command: \`${command}\` (took ${f0(r.tookS)} s).`,
    '',
    `Synthetic knowledge base on ${r.storeText}: ${f0(r.chunks)} chunks × ${r.dims}-dimension unit vectors around ${r.clusters} cluster centres, 40–120 words of generated text each, 100 chunks per document, metadata lang ∈ {en, de, fr}. ${r.queries} queries per arm near random clusters: the vector plus three words (two of the cluster's topic words, one of the 50 most common words); k = 10 (hybrid: 40 per arm, fused by RRF). Exact reference: cosine over all vectors in JS.`,
    '',
    '| measure | value |',
    '|---|---|',
    `| index build (upsert of all documents: ${built}) | ${f0(r.buildMs)} ms (${f0(r.chunks / (r.buildMs / 1000))} chunks/s) |`,
    ...(r.settle ? [`| ${r.settle.what} | ${f0(r.settle.ms)} ms |`] : []),
    `| first search: sign-bit codes loaded into memory | ${f0(r.codesMs)} ms |`,
    `| recall@10 of the vector arm vs exact brute force (JS) | ${r.recall.toFixed(3)} |`,
    '',
    '| query | p50 ms | p95 ms | p99 ms | results/query |',
    '|---|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.name} | ${f1(x.ms.p50)} | ${f1(x.ms.p95)} | ${f1(x.ms.p99)} | ${f1(x.results)} |`),
    '',
    hybrid
      ? `Target hybrid p95 ≤ ${HYBRID_P95_TARGET_MS} ms at 100k chunks: ${r.chunks < 100_000 ? 'not measured (fewer chunks)' : hybrid.ms.p95 <= HYBRID_P95_TARGET_MS ? `met (${f1(hybrid.ms.p95)} ms)` : `**missed** (${f1(hybrid.ms.p95)} ms)`}.`
      : '',
    end,
  ];
  const md = lines.join('\n');
  writeDocSection(docPath, begin, end, r.store === 'sqlite' ? 'Retrieval' : 'Retrieval on PostgreSQL', md);
  return md;
}
