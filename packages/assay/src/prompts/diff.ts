/**
 * Differences between two prompt versions: a line diff of the text (longest common subsequence,
 * after trimming the common head and tail), per message for chat prompts (messages aligned the same
 * way, a removed message followed by an added one reported as one changed message with its own line
 * diff), and the config's changes by JSON path. `unified` renders it all as text for the CLI.
 */
import type { ChatItem, PromptBody, VersionRecord } from './types.js';

export interface DiffLine {
  op: '=' | '+' | '-';
  text: string;
}

export interface MessageDiff {
  status: 'same' | 'changed' | 'added' | 'removed';
  /** Positions in the old and the new message list (null when absent on that side). */
  from_index: number | null;
  to_index: number | null;
  from: ChatItem | null;
  to: ChatItem | null;
  /** Line diff of the content, for changed messages. */
  lines?: DiffLine[];
}

export interface ConfigChange {
  /** JSON path, e.g. `temperature` or `response_format.type`. */
  path: string;
  op: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
}

export interface PromptDiff {
  name: string;
  from: number;
  to: number;
  type: { from: string; to: string };
  /** Text prompts: the line diff. */
  lines?: DiffLine[];
  /** Chat prompts: one entry per aligned message. */
  messages?: MessageDiff[];
  config: ConfigChange[];
  changed: boolean;
  unified: string;
}

/** Above this many cells the middle part is reported as replaced wholesale (bounded memory and time). */
const MAX_CELLS = 4_000_000;

/** The edit script turning `a` into `b`, by longest common subsequence. */
export function diffSeq<T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean = Object.is): { op: DiffLine['op']; a?: number; b?: number }[] {
  let head = 0;
  while (head < a.length && head < b.length && eq(a[head], b[head])) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && eq(a[a.length - 1 - tail], b[b.length - 1 - tail])) tail++;
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  const out: { op: DiffLine['op']; a?: number; b?: number }[] = [];
  for (let i = 0; i < head; i++) out.push({ op: '=', a: i, b: i });
  if ((n + 1) * (m + 1) > MAX_CELLS) {
    for (let i = 0; i < n; i++) out.push({ op: '-', a: head + i });
    for (let j = 0; j < m; j++) out.push({ op: '+', b: head + j });
  } else {
    // lcs[i][j] = LCS length of a[head+i..] and b[head+j..], row-major in one typed array.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = eq(a[head + i], b[head + j]) ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && eq(a[head + i], b[head + j])) {
        out.push({ op: '=', a: head + i++, b: head + j++ });
      } else if (j === m || (i < n && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
        out.push({ op: '-', a: head + i++ }); // removals before additions when both keep the LCS
      } else {
        out.push({ op: '+', b: head + j++ });
      }
    }
  }
  for (let k = tail; k > 0; k--) out.push({ op: '=', a: a.length - k, b: b.length - k });
  return out;
}

export function diffLines(a: string, b: string): DiffLine[] {
  const la = a.split('\n');
  const lb = b.split('\n');
  return diffSeq(la, lb).map((s) => ({ op: s.op, text: s.op === '+' ? lb[s.b!] : la[s.a!] }));
}

const itemKey = (m: ChatItem) => ('type' in m ? `\u0000placeholder:${m.name}` : `${m.role}\u0000${m.content}`);
const itemContent = (m: ChatItem) => ('type' in m ? `{{placeholder ${m.name}}}` : m.content);

export function diffMessages(a: readonly ChatItem[], b: readonly ChatItem[]): MessageDiff[] {
  const script = diffSeq(a.map(itemKey), b.map(itemKey));
  const out: MessageDiff[] = [];
  for (let k = 0; k < script.length; ) {
    const s = script[k];
    if (s.op === '=') {
      out.push({ status: 'same', from_index: s.a!, to_index: s.b!, from: a[s.a!], to: b[s.b!] });
      k++;
      continue;
    }
    // A run of removals then additions: pair them up in order as changed messages.
    const removed: number[] = [];
    const added: number[] = [];
    while (k < script.length && script[k].op === '-') removed.push(script[k++].a!);
    while (k < script.length && script[k].op === '+') added.push(script[k++].b!);
    const pairs = Math.min(removed.length, added.length);
    for (let p = 0; p < pairs; p++) {
      const from = a[removed[p]];
      const to = b[added[p]];
      out.push({ status: 'changed', from_index: removed[p], to_index: added[p], from, to, lines: diffLines(itemContent(from), itemContent(to)) });
    }
    for (const i of removed.slice(pairs)) out.push({ status: 'removed', from_index: i, to_index: null, from: a[i], to: null });
    for (const j of added.slice(pairs)) out.push({ status: 'added', from_index: null, to_index: j, from: null, to: b[j] });
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Config changes by path; objects are compared key by key, everything else (arrays too) as a whole. */
export function diffConfig(a: unknown, b: unknown, path = ''): ConfigChange[] {
  if (isObject(a) && isObject(b)) {
    const out: ConfigChange[] = [];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in b)) out.push({ path: p, op: 'removed', from: a[k] });
      else if (!(k in a)) out.push({ path: p, op: 'added', to: b[k] });
      else out.push(...diffConfig(a[k], b[k], p));
    }
    return out;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path: path || '(config)', op: 'changed', from: a, to: b }];
}

const mark = { '=': ' ', '+': '+', '-': '-' } as const;
const linesText = (lines: DiffLine[], indent = '') => lines.map((l) => `${indent}${mark[l.op]} ${l.text}`).join('\n');
const itemLabel = (m: ChatItem) => ('type' in m ? `placeholder ${m.name}` : m.role);

export function diffVersions(a: VersionRecord, b: VersionRecord): PromptDiff {
  const out: string[] = [`--- ${a.name} v${a.version}`, `+++ ${b.name} v${b.version}`];
  const diff: PromptDiff = { name: b.name, from: a.version, to: b.version, type: { from: a.type, to: b.type }, config: [], changed: false, unified: '' };
  const text = (p: PromptBody) => (typeof p === 'string' ? p : p.map((m) => `[${itemLabel(m)}] ${itemContent(m)}`).join('\n'));
  if (typeof a.prompt === 'string' || typeof b.prompt === 'string') {
    diff.lines = diffLines(text(a.prompt), text(b.prompt));
    diff.changed = diff.lines.some((l) => l.op !== '=');
    out.push('@@ prompt @@', linesText(diff.lines));
  } else {
    diff.messages = diffMessages(a.prompt, b.prompt);
    diff.changed = diff.messages.some((m) => m.status !== 'same');
    for (const m of diff.messages) {
      const where = `#${(m.to_index ?? m.from_index!) + 1}`;
      if (m.status === 'same') out.push(`@@ message ${where} [${itemLabel(m.to!)}] unchanged @@`);
      else if (m.status === 'changed') {
        const role = itemLabel(m.from!) === itemLabel(m.to!) ? itemLabel(m.to!) : `${itemLabel(m.from!)} → ${itemLabel(m.to!)}`;
        out.push(`@@ message ${where} [${role}] changed @@`, linesText(m.lines!));
      } else {
        const item = (m.from ?? m.to)!;
        const op = m.status === 'added' ? '+' : '-';
        out.push(`@@ message ${where} [${itemLabel(item)}] ${m.status} @@`, linesText(itemContent(item).split('\n').map((t) => ({ op, text: t }))));
      }
    }
  }
  diff.config = diffConfig(a.config, b.config);
  if (diff.config.length) {
    diff.changed = true;
    out.push('@@ config @@');
    for (const c of diff.config) {
      if (c.op !== 'added') out.push(`- ${c.path}: ${JSON.stringify(c.from)}`);
      if (c.op !== 'removed') out.push(`+ ${c.path}: ${JSON.stringify(c.to)}`);
    }
  }
  diff.unified = out.join('\n');
  return diff;
}
