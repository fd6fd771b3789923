/**
 * The soak benchmark's results: per-minute rows (RSS, CPU, requests, errors, p50/p99 per kind), the
 * RSS growth after warm-up (least-squares slope), the trace check, and the markdown made of them,
 * printed, written to bench/soak/results-<date>.md and (with --write) into docs/benchmarks.md.
 */
import { writeFileSync } from 'node:fs';
import { writeDocSection } from '../lib/doc-section.js';
import { summarize } from '../gateway/stats.js';
import { KINDS, READS, WRITES, type Kind } from './traffic.js';

export interface Minute {
  /** RSS samples of the server in this minute (MB). */
  rss: number[];
  /** Server CPU time used in this minute (ms), over `sampledMs` of wall time. */
  cpuMs: number;
  sampledMs: number;
  /** How late the load generator sent each request (ms after its scheduled time). */
  sendLag: number[];
  /** The machine's 1-minute load average at the minute's last sample. */
  load: number;
  latencies: Record<Kind, number[]>;
  errors: Record<Kind, number>;
}

export const newMinute = (): Minute => ({
  rss: [],
  cpuMs: 0,
  sampledMs: 0,
  sendLag: [],
  load: NaN,
  latencies: Object.fromEntries(KINDS.map((k) => [k, []])) as unknown as Record<Kind, number[]>,
  errors: Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>,
});

export interface Results {
  meta: { date: string; machine: string; node: string; command: string; store: string; assayEntry: string; rate: number; minutes: number; mix: string };
  minutes: Minute[];
  /** [minutes since start, RSS MB] every few seconds. */
  rssSamples: [number, number][];
  warmupMinutes: number;
  /** Requests not sent because too many were in flight (the server fell behind). */
  shed: number;
  /** Requests still unanswered a minute after the traffic stopped. */
  unfinished: number;
  errorSamples: { kind: Kind; minute: number; message: string; count: number }[];
  traces: {
    checked: number;
    missing: number;
    missingSamples: string[];
    /** Observations of the gateway calls' traces read back; /health's `written` should be the same. */
    gatewayObservations: number;
    health: { written: number; queued: number; failed_writes: number } | null;
  };
}

/** Least-squares slope of y over x; NaN with fewer than two points. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? num / den : NaN;
}

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const int = (x: number) => Math.round(x).toLocaleString('en-US');
const mark = (ok: boolean) => (ok ? 'met' : '**missed**');
const table = (head: string[], rows: string[][]) =>
  [head, head.map((_, i) => (i === 0 ? '---' : '---:')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
const lat = (xs: number[]) => {
  const s = summarize(xs);
  return s.n ? `${f(s.p50)} / ${f(s.p99)}` : '—';
};
const requests = (m: Minute) => KINDS.reduce((s, k) => s + m.latencies[k].length + m.errors[k], 0);
const errors = (m: Minute) => KINDS.reduce((s, k) => s + m.errors[k], 0);

export function growth(r: Results): number {
  return slope(r.rssSamples.filter(([t]) => t >= r.warmupMinutes));
}

/**
 * The gateway observations /health counts as written against those read back. A call the load
 * generator gave up on (a timeout) is still traced by the server, so with errors written may exceed
 * what was read back.
 */
function writtenRow(h: { written: number; failed_writes: number }, readBack: number, errors: number): string[] {
  const ok = h.failed_writes === 0 && (h.written === readBack || (errors > 0 && h.written > readBack));
  const note = errors > 0 && h.written > readBack ? ' (the excess: calls the load generator gave up on)' : '';
  return ['gateway observations: written (/health) = read back, none failed', `${int(h.written)} / ${int(readBack)}, ${h.failed_writes} failed${note}`, mark(ok)];
}

export function markdown(r: Results): string {
  const { meta } = r;
  const out: string[] = [];
  out.push(`- Date: ${meta.date}`, `- Machine: ${meta.machine}`, `- Node: ${meta.node}`, `- Command: \`${meta.command}\``);
  out.push(`- Store: ${meta.store}; Assay: ${meta.assayEntry}; ${meta.rate} requests/s open loop for ${meta.minutes} min; mix: ${meta.mix}`);
  out.push('\n### Per minute (latency p50 / p99 in ms, from the scheduled send time to the last byte)\n');
  out.push(
    "CPU is the server process's (100 % = one core; ms per request of the minute); load avg is the whole machine's; " +
      'send lag is how late the load generator itself sent (part of every latency).\n',
  );
  out.push(
    table(
      ['min', 'RSS MB', 'CPU %', 'CPU ms/req', 'load avg', 'send lag p99', 'requests', 'errors', ...WRITES],
      r.minutes.map((m, i) => [
        String(i + 1),
        f(m.rss.length ? m.rss[m.rss.length - 1] : NaN),
        f((100 * m.cpuMs) / m.sampledMs, 0),
        f(m.cpuMs / requests(m)),
        f(m.load),
        f(summarize(m.sendLag).p99),
        int(requests(m)),
        int(errors(m)),
        ...WRITES.map((k) => lat(m.latencies[k])),
      ]),
    ),
  );
  out.push('\nDashboard reads per minute (p50 / p99 ms): `traces` = `GET /api/traces?limit=50`, `trace` = one trace with its bodies, `metrics` = last 15 min by model, `sessions` = `GET /api/sessions?limit=50`.\n');
  out.push(table(['min', ...READS], r.minutes.map((m, i) => [String(i + 1), ...READS.map((k) => lat(m.latencies[k]))])));
  out.push('\n### Whole run\n');
  out.push(
    table(
      ['kind', 'requests', 'errors', 'p50 ms', 'p99 ms', 'max ms'],
      KINDS.map((k) => {
        const all = r.minutes.flatMap((m) => m.latencies[k]);
        const s = summarize(all);
        const errs = r.minutes.reduce((n, m) => n + m.errors[k], 0);
        return [k, int(all.length + errs), int(errs), f(s.p50), f(s.p99), f(all.length ? Math.max(...all) : NaN)];
      }),
    ),
  );
  const g = growth(r);
  const totalErrors = r.minutes.reduce((n, m) => n + errors(m), 0) + r.shed + r.unfinished;
  const t = r.traces;
  out.push('\n### Targets\n');
  out.push(
    table(
      ['target', 'measured', 'result'],
      [
        [`RSS growth after warm-up < 1 MB/min (linear fit over minutes ${r.warmupMinutes}..${meta.minutes})`, `${f(g, 2)} MB/min`, Number.isFinite(g) ? mark(g < 1) : 'n/a'],
        ['errors = 0', `${int(totalErrors)}${r.shed ? `; ${int(r.shed)} not sent (too many in flight)` : ''}${r.unfinished ? `; ${int(r.unfinished)} never answered` : ''}`, mark(totalErrors === 0)],
        ['every accepted call and ingested trace read back whole', `${int(t.checked - t.missing)} / ${int(t.checked)}`, mark(t.missing === 0 && t.checked > 0)],
        ...(t.health ? [writtenRow(t.health, t.gatewayObservations, totalErrors)] : []),
      ],
    ),
  );
  for (const id of t.missingSamples) out.push(`\n- missing: \`${id}\``);
  for (const e of r.errorSamples) out.push(`\n- ${e.kind} error (×${e.count}, first in minute ${e.minute + 1}): \`${e.message.replace(/`/g, "'").replace(/\s+/g, ' ').slice(0, 240)}\``);
  return out.join('\n');
}

const BEGIN = '<!-- bench:soak:begin -->';
const END = '<!-- bench:soak:end -->';

/** Writes the results file, and the doc section when `docPath` is given. */
export function writeResults(md: string, file: string, docPath: string | null, label: string): void {
  writeFileSync(file, `# Soak benchmark results\n\n${md}\n`);
  writeDocSection(docPath, BEGIN, END, 'Soak', `${BEGIN}\n${label}\n\n${md}\n${END}`);
}
