/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time, and self time
 * grouped by where the code lives (node internals, a node_modules package, an Assay source folder).
 * Usable alone: node --import tsx bench/gateway/profile.ts FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Assay's trace store writes (kysely over better-sqlite3, or pg). */
export const TRACE_STORE = { label: 'Trace store writes (kysely / better-sqlite3)', match: /\/kysely\/|\/better-sqlite3\/|\/pg\/|store\/observations/ };

function where(url: string): string {
  if (!url) return '(native / VM)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return `npm: ${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const m = url.match(/packages\/assay\/(?:src|dist)\/(.+)$/);
  if (m) {
    const parts = m[1].split('/');
    return `assay: ${parts.length > 1 ? parts.slice(0, -1).join('/') + '/' : ''}${parts.at(-1)}`;
  }
  return url.replace(/^file:\/\//, '');
}

function short(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 14);
  const a = url.indexOf('packages/assay/');
  if (a >= 0) return url.slice(a + 15);
  return url.replace(/^file:\/\//, '');
}

/**
 * `sinceUs`: only count samples taken at or after this CLOCK_MONOTONIC time in µs (what
 * `process.hrtime.bigint() / 1000n` gives in any process), e.g. to leave out start-up and warm-up.
 */
export function summarizeProfile(
  file: string,
  top = 15,
  sinceUs = 0,
  opts: { episodes?: { label: string; match: RegExp } } = {},
): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  let ts = prof.startTime;
  // If the clocks do not line up (other OS), fall back to the whole profile.
  const endTs = prof.startTime + prof.timeDeltas.reduce((a, b) => a + b, 0);
  const since = sinceUs > prof.startTime && sinceUs < endTs ? sinceUs : 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    ts += dt;
    if (ts < since) return;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const fns = new Map<string, { us: number; name: string; loc: string }>();
  const groups = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const name = cf.functionName || '(anonymous)';
    const loc = cf.url ? `${short(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${name}@${loc}`;
    const e = fns.get(key) ?? { us: 0, name, loc };
    e.us += us;
    fns.set(key, e);
    const g = ['(garbage collector)', '(program)'].includes(cf.functionName) ? cf.functionName : where(cf.url);
    groups.set(g, (groups.get(g) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`;
  const lines: string[] = [];
  lines.push(`Profile ${since ? '(measured part) ' : ''}${(total / 1e6).toFixed(1)} s, busy (not idle) ${(busy / 1e6).toFixed(1)} s; shares below are of busy time.\n`);
  lines.push('| self ms | share | function | location |\n| ---: | ---: | --- | --- |');
  for (const e of [...fns.values()].sort((a, b) => b.us - a.us).slice(0, top)) {
    lines.push(`| ${(e.us / 1000).toFixed(0)} | ${pct(e.us)} | \`${e.name}\` | ${e.loc ? `\`${e.loc}\`` : ''} |`);
  }
  lines.push('\n| self ms | share | code |\n| ---: | ---: | --- |');
  for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`| ${(us / 1000).toFixed(0)} | ${pct(us)} | ${g} |`);
  }
  if (opts.episodes) {
    const e = episodes(prof, opts.episodes.match, since);
    if (e.count) {
      lines.push(
        `\n${opts.episodes.label}: ${e.count} synchronous stretches on the event loop, ` +
          `p50 ${ms(e.p50)}, p90 ${ms(e.p90)}, p99 ${ms(e.p99)}, max ${ms(e.max)} ms, ${ms(e.sum)} ms in all.`,
      );
    }
  }
  return lines.join('\n');
}

const ms = (us: number) => (us / 1000).toFixed(1);

/**
 * Stretches of consecutive samples whose stack has a frame matching `match` (GC and "(program)"
 * samples inside a stretch count towards it): how long that code holds the event loop at a time.
 */
function episodes(prof: CpuProfile, match: RegExp, since: number) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, boolean>();
  const hit = (id: number): boolean => {
    let r = memo.get(id);
    if (r !== undefined) return r;
    r = false;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      if (match.test(cf.url) || match.test(cf.functionName)) {
        r = true;
        break;
      }
    }
    memo.set(id, r);
    return r;
  };
  const out: number[] = [];
  let cur = 0;
  let ts = prof.startTime;
  prof.samples.forEach((id, i) => {
    ts += prof.timeDeltas[i] ?? 0;
    if (ts < since) return;
    const dt = prof.timeDeltas[i + 1] ?? 0; // the time until the next sample is spent in this one
    const fn = byId.get(id)!.callFrame.functionName;
    if (hit(id) || (cur > 0 && (fn === '(garbage collector)' || fn === '(program)'))) cur += dt;
    else if (cur > 0) {
      out.push(cur);
      cur = 0;
    }
  });
  out.sort((a, b) => a - b);
  const q = (p: number) => out[Math.floor(p * (out.length - 1))] ?? NaN;
  return { count: out.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: out.at(-1) ?? NaN, sum: out.reduce((a, b) => a + b, 0) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node --import tsx bench/gateway/profile.ts FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  console.log(summarizeProfile(file, Number(top) || 25, 0, { episodes: TRACE_STORE }));
}
