/** Turns per-round results into markdown tables (stdout) and docs/benchmarks.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { PathName } from './load.js';
import { median, spread } from './stats.js';

export const PATHS: PathName[] = ['direct', 'assay', 'portkey'];
export type ScenarioKey = 'c1' | 'c1s' | 'c32' | 'c32s';

/** One path in one round of one scenario. Latencies in ms. */
export interface PathRound {
  n: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  ttftP50: number;
  ttftP99: number;
  /** Gateway process CPU time per successful request (µs); NaN for direct. */
  cpuUsPerReq: number;
}

export interface Results {
  /** The paths that were run. */
  paths: PathName[];
  rounds: Record<ScenarioKey, Record<PathName, PathRound[]>>;
  errors: Record<PathName, { count: number; samples: string[] }>;
  unknownField: Record<PathName, { plain: boolean; stream: boolean; error?: string }>;
  missingTraceHeader: number;
  /** Streaming through Portkey without the header fix (null: not checked). */
  portkeyAsInstalled: string | null;
  portkeyFix: boolean;
}

export interface Meta {
  date: string;
  machine: string;
  cores: number;
  node: string;
  command: string;
  rounds: number;
  seconds: number;
  streamGapMs: number;
  assayEntry: string;
  storeBodies: boolean;
  profiled: boolean;
  elapsedS: number;
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const plus = (x: number, d = 2) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(d)}` : 'n/a');
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

function table(head: string[], rows: string[][]): string {
  const align = head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** Median across rounds of a per-round value. */
const med = (rs: PathRound[], k: keyof PathRound) => median(rs.map((r) => r[k]));
/** Median across rounds of (path − direct) measured in the same round, with min–max across rounds. */
function added(res: Results, s: ScenarioKey, p: PathName, k: keyof PathRound) {
  const d = res.rounds[s].direct;
  return spread(res.rounds[s][p].map((r, i) => r[k] - (d[i]?.[k] ?? NaN)));
}

export interface Verdict {
  addedP50: number;
  addedP99: number;
  maxRpsAssay: number;
  maxRpsPortkey: number;
  ratio: number;
}

export function verdict(res: Results): Verdict {
  const maxRps = (p: PathName) => Math.max(med(res.rounds.c1[p], 'rps'), med(res.rounds.c32[p], 'rps'));
  const maxRpsAssay = maxRps('assay');
  const maxRpsPortkey = maxRps('portkey');
  return {
    addedP50: added(res, 'c1', 'assay', 'p50').median,
    addedP99: added(res, 'c1', 'assay', 'p99').median,
    maxRpsAssay,
    maxRpsPortkey,
    ratio: maxRpsAssay / maxRpsPortkey,
  };
}

export function tables(res: Results, meta: Meta): string {
  const out: string[] = [];
  const R = res.rounds;
  const PATHS = res.paths;
  const range = (s: { min: number; max: number }) => `${plus(s.min)} … ${plus(s.max)}`;

  out.push('### Added latency, concurrency 1, non-stream (ms)\n');
  out.push(
    table(
      ['path', 'p50', 'p99', 'added p50', 'added p99', 'added p50, range over rounds', 'req/s'],
      PATHS.map((p) => {
        const a50 = added(res, 'c1', p, 'p50');
        const a99 = added(res, 'c1', p, 'p99');
        const isDirect = p === 'direct';
        return [
          p,
          f(med(R.c1[p], 'p50'), 3),
          f(med(R.c1[p], 'p99'), 3),
          isDirect ? '—' : plus(a50.median, 3),
          isDirect ? '—' : plus(a99.median, 3),
          isDirect ? '—' : range(a50),
          int(med(R.c1[p], 'rps')),
        ];
      }),
    ),
  );

  out.push('\n### Throughput, non-stream (requests/s, closed loop)\n');
  out.push(
    table(
      ['path', 'c=1 req/s', 'c=32 req/s', 'c=32 p50 ms', 'c=32 p99 ms', 'gateway CPU µs/req (c=32)'],
      PATHS.map((p) => [
        p,
        int(med(R.c1[p], 'rps')),
        int(med(R.c32[p], 'rps')),
        f(med(R.c32[p], 'p50')),
        f(med(R.c32[p], 'p99')),
        p === 'direct' ? '—' : int(med(R.c32[p], 'cpuUsPerReq')),
      ]),
    ),
  );
  const v = verdict(res);
  out.push(`\nMax requests/s: Assay ${int(v.maxRpsAssay)}, Portkey ${int(v.maxRpsPortkey)}: **Assay/Portkey = ${f(v.ratio)}×**.`);

  out.push(`\n### Streaming (10 SSE chunks, upstream gap ${meta.streamGapMs} ms), ms\n`);
  out.push(
    table(
      ['path', 'TTFT p50', 'TTFT p99', 'added TTFT p50', 'added TTFT p99', 'total p50', 'added total p50', 'c=32 streams/s', 'c=32 TTFT p50'],
      PATHS.map((p) => {
        const isDirect = p === 'direct';
        return [
          p,
          f(med(R.c1s[p], 'ttftP50'), 3),
          f(med(R.c1s[p], 'ttftP99'), 3),
          isDirect ? '—' : plus(added(res, 'c1s', p, 'ttftP50').median, 3),
          isDirect ? '—' : plus(added(res, 'c1s', p, 'ttftP99').median, 3),
          f(med(R.c1s[p], 'p50'), 3),
          isDirect ? '—' : plus(added(res, 'c1s', p, 'p50').median, 3),
          int(med(R.c32s[p], 'rps')),
          f(med(R.c32s[p], 'ttftP50')),
        ];
      }),
    ),
  );

  out.push('\n### Correctness\n');
  out.push(
    table(
      ['path', 'errors (non-2xx, broken streams, socket errors)', 'unknown field passed (non-stream / stream)'],
      PATHS.map((p) => {
        const u = res.unknownField[p];
        return [p, String(res.errors[p].count), `${u.plain ? 'yes' : 'no'} / ${u.stream ? 'yes' : 'no'}`];
      }),
    ),
  );
  if (!PATHS.includes('portkey')) out.push('\nPortkey was not run (--paths).');
  else if (res.portkeyFix) {
    out.push(
      `\nPortkey runs with the benchmark's header fix (bench/gateway/portkey-preload.mjs; Portkey issue #1389). ` +
        `As installed from npm: ${res.portkeyAsInstalled?.replace(/\s+/g, ' ').slice(0, 200) ?? 'not checked'}.`,
    );
  } else out.push('\nPortkey runs as installed (BENCH_PORTKEY_FIX=0).');
  if (res.missingTraceHeader) out.push(`\nAssay answers without x-assay-trace-id: ${res.missingTraceHeader}`);
  for (const p of PATHS) {
    for (const s of res.errors[p].samples) out.push(`\n- ${p} error sample: \`${s.replace(/`/g, "'").replace(/\s+/g, ' ').slice(0, 240)}\``);
    if (res.unknownField[p].error) out.push(`\n- ${p} probe request failed: \`${res.unknownField[p].error!.slice(0, 240)}\``);
  }

  out.push('\n### Targets\n');
  const yes = (b: boolean, x: number) => (!Number.isFinite(x) ? 'n/a' : b ? 'met' : '**missed**');
  out.push(
    table(
      ['target', 'measured', 'result'],
      [
        ['Assay added p50 ≤ 0.5 ms (c=1, tracing on)', `${plus(v.addedP50, 3)} ms`, yes(v.addedP50 <= 0.5, v.addedP50)],
        ['Assay added p99 ≤ 2 ms (c=1, tracing on)', `${plus(v.addedP99, 3)} ms`, yes(v.addedP99 <= 2, v.addedP99)],
        ['Assay max req/s ≥ 2× Portkey', `${f(v.ratio)}×`, yes(v.ratio >= 2, v.ratio)],
      ],
    ),
  );
  out.push(
    `\n${meta.rounds} rounds × ${meta.seconds} s per path and scenario; medians across rounds. Assay: ${meta.assayEntry}, tracing on, ` +
      `store_bodies ${meta.storeBodies}${meta.profiled ? ', **running under --cpu-prof (slower than normal)**' : ''}.`,
  );
  return out.join('\n');
}

const PROFILE_START = '<!-- profile:start -->';
const PROFILE_END = '<!-- profile:end -->';
const NOTES_START = '<!-- notes:start -->';
const NOTES_END = '<!-- notes:end -->';

/** A marked block of an existing doc (kept when the tables are rewritten): the profile, hand-written notes. */
function block(file: string, start: string, end: string): string | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  return a >= 0 && b > a ? text.slice(a, b + end.length) : null;
}
const profileBlock = (file: string) => block(file, PROFILE_START, PROFILE_END);

/** Replace (or add) the profile block of the doc, from a `--profile` run. */
export function writeProfileSection(file: string, profileMd: string, meta: Meta): void {
  const block = `${PROFILE_START}
### Where Assay spends CPU (\`node --cpu-prof\` on the Assay process, measured rounds only)

${meta.date}, \`${meta.command}\`, Assay ${meta.assayEntry}. Self time per function and per code location;
profiling slows Assay down, so the tables above come from a separate run without it.

${profileMd}
${PROFILE_END}`;
  const old = profileBlock(file);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  // Function replacers: the profile text may contain `$` patterns.
  writeFileSync(file, old ? text.replace(old, () => block) : text.replace(/\n## Methodology/, () => `\n${block}\n\n## Methodology`));
}

/** The sections other benchmarks keep after this one's Reproduce section (## Ingest, ## Soak, …). */
function otherSections(file: string): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf('\n## Reproduce');
  const next = at < 0 ? -1 : text.indexOf('\n## ', at + 1);
  return next < 0 ? '' : text.slice(next);
}

export function writeDoc(file: string, body: string, meta: Meta): void {
  const profile = profileBlock(file);
  const notes = block(file, NOTES_START, NOTES_END);
  const others = otherSections(file);
  const doc = `# Benchmarks

## Gateway overhead: Assay vs direct vs Portkey

> **These numbers come from a ${meta.cores}-core ${meta.cores <= 2 ? 'shared (noisy) ' : ''}machine** on which the load
> generator, the fake upstream and the gateway share the cores. Absolute values move by tens of
> percent between runs; the comparisons inside one run (same machine, same minutes, interleaved
> rounds) are what this benchmark is for. Rerun it on your own hardware before quoting numbers.

- Date: ${meta.date}
- Machine: ${meta.machine}
- Node: ${meta.node}
- Command: \`${meta.command}\` (took ${Math.round(meta.elapsedS)} s)

${body}
${notes ? `\n${notes}\n` : ''}${profile ? `\n${profile}\n` : ''}
## Methodology

- **Processes.** Four processes on one machine, all on 127.0.0.1: the fake OpenAI upstream
  (\`bench/gateway/upstream.ts\`, plain \`node:http\`, a canned \`chat.completion\` JSON and a canned SSE
  stream of 10 chunks + \`data: [DONE]\`), Assay (\`assay up\` with a temporary data dir, SQLite, one
  \`openai\` provider pointing at the upstream, tracing on), Portkey's open-source gateway
  (\`@portkey-ai/gateway\` 1.15.2, \`build/start-server.js --headless\`, headers \`x-portkey-provider: openai\`,
  \`x-portkey-custom-host\`, \`Authorization: Bearer sk-mock\`; \`TRUSTED_CUSTOM_HOSTS\` left unset, its default
  list allows 127.0.0.1), and the load generator (this benchmark's own process).
- **Load.** undici \`Pool\` with keep-alive, connections = concurrency, closed loop (each connection sends
  its next request as soon as the previous answer is fully read). Latency = request sent → body fully read.
  TTFT = request sent → first body chunk containing \`data:\`.
- **Three paths in one run, interleaved.** After a warm-up of every path, each round runs every scenario
  (c=1 non-stream, c=1 stream, c=32 non-stream, c=32 stream) on every path for ${meta.seconds} s, the path order
  rotating from round to round, so machine noise hits all paths alike. Reported values are medians across
  the ${meta.rounds} rounds of per-round values.
- **Added latency** = (gateway percentile − direct percentile) in the same round, median over rounds;
  the absolute percentiles are shown beside it. "Range over rounds" shows how noisy it was.
- **Max requests/s** = the best of the c=1 and c=32 median throughputs. On 2 cores the client, the upstream
  and the gateway share the CPU, so this is a relative number. "Gateway CPU µs/req" (from /proc) is less
  sensitive to that: it is the gateway process's own CPU time per request.
- **Portkey specifics.** The gateway runs with \`bench/gateway/portkey-preload.mjs\` (\`node --import\`), which
  (a) refuses any \`fetch\` to a non-loopback host, and (b) unless \`BENCH_PORTKEY_FIX=0\`, copies each upstream
  response into one with mutable headers: as installed from npm (it resolves \`@hono/node-server\` 1.19.x), Portkey
  1.15.2 answers every streaming chat completion with HTTP 500 (\`TypeError: immutable\` in \`updateHeaders\`,
  Portkey issue #1389); the run checks and prints that once. Portkey's stream handler also waits 25 ms before it
  forwards the first event (a \`setTimeout(25)\` in its SSE splitter), which is most of its TTFT overhead.
  127.0.0.1 custom hosts work with \`TRUSTED_CUSTOM_HOSTS\` unset (setting it replaces that default list).
- **Correctness.** Errors count non-2xx answers, bodies without \`choices\`, streams without \`data: [DONE]\`
  and socket errors. Each gateway is also sent a request with an unknown top-level field
  (\`bench_unknown_field\`); "passed" means the upstream received it.

## Reproduce

\`\`\`sh
npm ci
npm run bench:gateway                 # full run, ~2–3 min; rewrites this file
npm run bench:gateway -- --quick      # ~20 s smoke run; prints only (add --write to write this file)
BENCH_ROUNDS=8 BENCH_SECONDS=3 npm run bench:gateway   # longer, steadier
npm run bench:gateway -- --profile    # separate run with Assay under node --cpu-prof: top self-time functions;
                                      # rewrites only the profile section of this file
\`\`\`

Other knobs: \`BENCH_STREAM_GAP_MS\` (gap between upstream SSE chunks, default 1), \`BENCH_ASSAY_ENTRY=src|dist\`
(default: dist when it is newer than the sources), \`BENCH_STORE_BODIES=0\`, \`BENCH_DATA_DIR\` (where Assay's temporary
data dir goes, e.g. \`/dev/shm\`), \`BENCH_PORTKEY_FIX=0\`, \`BENCH_PORTKEY_PORT\` (default: a free port; 8787 is
Portkey's usual one), \`BENCH_PROFILE_DIR\` (keep the \`.cpuprofile\`), \`BENCH_ASSAY_TRACING\` (JSON merged into
Assay's \`tracing\` config, for diagnosis), \`--paths=direct,assay\`, \`--no-write\`. The "Findings" section between
\`notes\` markers is written by hand and kept when the tables are regenerated.
\`node --import tsx bench/gateway/profile.ts FILE.cpuprofile\` summarises any CPU profile the same way.
`;
  writeFileSync(file, doc + others);
}
