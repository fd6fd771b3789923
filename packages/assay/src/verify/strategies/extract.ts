/** Reading an answer out of a model's text: vote's extractors and program's code block. */
import { compileRegex } from '../../config/regex.js';
import type { Extract } from '../spec.js';
import { readJson } from './schema.js';

/** `$.a.b[0]["c d"]` → ['a', 'b', 0, 'c d'] (the syntax spec.ts accepts). */
export function parseJsonPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\["([^"]*)"\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path.slice(1)))) out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]));
  return out;
}

export type Extracted = { ok: true; answer: string } | { ok: false; error: string };

const asAnswer = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** An extractor for the non-scorer forms of `extract` (the scorer form compares whole answers). */
export function extractor(spec: Exclude<Extract, { scorer: unknown }>): (content: string) => Extracted {
  if (spec === 'content') return (c) => (c.trim() ? { ok: true, answer: c } : { ok: false, error: 'the answer is empty' });
  if (spec === 'last_line') {
    return (c) => {
      const line = c.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).at(-1);
      return line ? { ok: true, answer: line } : { ok: false, error: 'the answer is empty' };
    };
  }
  if ('json_path' in spec) {
    const path = parseJsonPath(spec.json_path);
    return (c) => {
      const read = readJson(c);
      if (!read.ok) return { ok: false, error: read.error };
      let cur: unknown = read.value;
      for (const key of path) {
        if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return { ok: false, error: `${spec.json_path} is not in the answer` };
        cur = (cur as Record<string | number, unknown>)[key];
      }
      return cur === undefined || cur === null ? { ok: false, error: `${spec.json_path} is null` } : { ok: true, answer: asAnswer(cur) };
    };
  }
  const re = compileRegex(spec.regex, spec.flags ?? '');
  return (c) => {
    const m = re.exec(c);
    if (!m) return { ok: false, error: `the pattern /${spec.regex}/ does not match` };
    const g = m[spec.group] ?? (spec.group === 1 && m.length === 1 ? m[0] : undefined);
    return g === undefined ? { ok: false, error: `the pattern has no group ${spec.group}` } : { ok: true, answer: g };
  };
}

/** The key two answers share when they count as the same vote. */
export function normalizer(mode: 'text' | 'number' | 'exact'): (answer: string) => string | null {
  if (mode === 'exact') return (a) => a;
  if (mode === 'text') return (a) => a.trim().replace(/\s+/g, ' ').replace(/\.$/, '').toLowerCase();
  return (a) => {
    const m = /-?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?|-?\.\d+/i.exec(a.replace(/(\d)[\s_](?=\d{3}\b)/g, '$1'));
    if (!m) return null;
    const n = Number(m[0].replace(/,/g, ''));
    return Number.isFinite(n) ? String(n) : null;
  };
}

/** The program in a model's answer: `{"code": …}` JSON, else the first fenced block, else the whole text. */
export function extractCode(content: string): string {
  const read = readJson(content);
  if (read.ok && read.value && typeof read.value === 'object' && typeof (read.value as { code?: unknown }).code === 'string') {
    return (read.value as { code: string }).code;
  }
  const fenced = /```[a-zA-Z]*[ \t]*\r?\n([\s\S]*?)```/.exec(content);
  return (fenced ? fenced[1] : content).trim();
}
