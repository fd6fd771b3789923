/** The ingest benchmark's tables, printed and written into docs/benchmarks.md between markers. */
import { writeDocSection } from '../lib/doc-section.js';
import { cpus, platform, release } from 'node:os';
import type { Summary } from '../gateway/stats.js';

interface Input {
  ingest: {
    store: string;
    maxSpansPerS: number;
    targetSpansPerS: number;
    achievedSpansPerS: number;
    ack: Summary;
    visible: Summary;
    sent: number;
    stored: number;
    failures: number;
  }[];
  lists: { store: string; rows: number; seedRowsPerS: number; queries: { name: string; ms: Summary }[] }[];
  quick: boolean;
  targets: Record<string, number>;
}

const BEGIN = '<!-- bench:ingest:begin -->';
const END = '<!-- bench:ingest:end -->';
const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f1 = (n: number) => n.toFixed(1);
const mark = (ok: boolean) => (ok ? 'met' : '**missed**');

export function writeSection(r: Input, docPath: string | null): string {
  const lines = [
    BEGIN,
    `Run ${new Date().toISOString().slice(0, 10)} on ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${platform()} ${release()}, Node ${process.version}${r.quick ? ' (quick run)' : ''}. Command: \`npm run bench:ingest\`.`,
    '',
    '| store | max spans/s (4 in flight) | target | sustained spans/s | ack p50 / p99 ms | visible in list p50 / p95 ms | stored / sent | verdict |',
    '|---|---|---|---|---|---|---|---|',
    ...r.ingest.map((x) => {
      const ok = x.maxSpansPerS >= x.targetSpansPerS && x.ack.p99 < 50 && x.visible.p95 < 2000 && x.stored === x.sent && x.failures === 0;
      return `| ${x.store} | ${f0(x.maxSpansPerS)} | ≥ ${f0(x.targetSpansPerS)} | ${f0(x.achievedSpansPerS)} | ${f1(x.ack.p50)} / ${f1(x.ack.p99)} | ${f0(x.visible.p50)} / ${f0(x.visible.p95)} | ${f0(x.stored)} / ${f0(x.sent)} | ${mark(ok)} |`;
    }),
    '',
    '| store | observations | seeded rows/s | query | p50 ms | p95 ms | p95 < 300 ms |',
    '|---|---|---|---|---|---|---|',
    ...r.lists.flatMap((l) =>
      l.queries.map((q, i) => `| ${i === 0 ? l.store : ''} | ${i === 0 ? f0(l.rows) : ''} | ${i === 0 ? f0(l.seedRowsPerS) : ''} | ${q.name} | ${f1(q.ms.p50)} | ${f1(q.ms.p95)} | ${mark(q.ms.p95 < 300)} |`),
    ),
    END,
  ];
  const md = lines.join('\n');
  writeDocSection(docPath, BEGIN, END, 'Ingest', md);
  return md;
}
