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
}
interface CpuProfile {
  startTime: number;
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
}

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
export function summarizeProfile(file: string, top = 15, sinceUs = 0): string {
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
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node --import tsx bench/gateway/profile.ts FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  console.log(summarizeProfile(file, Number(top) || 25));
}
