/**
 * Text assertions (promptfoo names): equals, contains, icontains, contains-any, contains-all,
 * icontains-any, icontains-all, starts-with, regex, word-count. All are pass/fail (score 1 or 0).
 */
import { compileRegex } from '../../config/regex.js';
import { deepEqual } from './json-schema.js';
import { asNonEmptyString, asString, asStringList, kind, prepareValue, q, ValueError, verdict } from './common.js';
import { SpecError, type ScorerFactory } from './types.js';

const equals: ScorerFactory = (spec, _deps, base) => {
  const value = prepareValue(spec, base, (v) => {
    if (v === null || typeof v === 'object') return { kind: 'json' as const, json: v };
    return { kind: 'text' as const, text: asString('value')(v) };
  });
  return (ctx, env) => {
    const v = value(env.vars);
    if (v.kind === 'text') {
      const pass = ctx.output === v.text;
      return verdict(pass, pass ? `output equals ${q(v.text)}` : `output ${q(ctx.output)} does not equal ${q(v.text)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(ctx.output);
    } catch {
      return verdict(false, 'output is not JSON, so it does not equal the expected JSON value');
    }
    const pass = deepEqual(parsed, v.json);
    return verdict(pass, pass ? 'output JSON equals the expected value' : `output JSON ${q(JSON.stringify(parsed))} does not equal ${q(JSON.stringify(v.json))}`);
  };
};

function containsFactory(mode: 'one' | 'any' | 'all', fold: boolean): ScorerFactory {
  return (spec, _deps, base) => {
    const norm = (s: string) => (fold ? s.toLowerCase() : s);
    const where = fold ? ' (ignoring case)' : '';
    if (mode === 'one') {
      const value = prepareValue(spec, base, asNonEmptyString('value'));
      return (ctx, env) => {
        const needle = value(env.vars);
        const pass = norm(ctx.output).includes(norm(needle));
        return verdict(pass, `output ${pass ? 'contains' : 'does not contain'} ${q(needle)}${where}`);
      };
    }
    const value = prepareValue(spec, base, asStringList('value'));
    return (ctx, env) => {
      const list = value(env.vars);
      const hay = norm(ctx.output);
      const found = list.filter((s) => hay.includes(norm(s)));
      const missing = list.filter((s) => !hay.includes(norm(s)));
      if (mode === 'any') {
        const pass = found.length > 0;
        return verdict(pass, pass ? `output contains ${found.map((s) => q(s)).join(', ')}${where}` : `output contains none of ${list.map((s) => q(s)).join(', ')}${where}`, { found, missing });
      }
      const pass = missing.length === 0;
      return verdict(pass, pass ? `output contains all of ${list.map((s) => q(s)).join(', ')}${where}` : `output is missing ${missing.map((s) => q(s)).join(', ')}${where}`, { found, missing });
    };
  };
}

const startsWith: ScorerFactory = (spec, _deps, base) => {
  const value = prepareValue(spec, base, asNonEmptyString('value'));
  return (ctx, env) => {
    const prefix = value(env.vars);
    const pass = ctx.output.startsWith(prefix);
    return verdict(pass, `output ${pass ? 'starts' : 'does not start'} with ${q(prefix)}`);
  };
};

const regex: ScorerFactory = (spec, _deps, base) => {
  const flags = spec.config?.flags ?? '';
  if (typeof flags !== 'string' || !/^[dimsuv]*$/.test(flags)) throw new SpecError('config.flags must be a string of RegExp flags (d i m s u v; patterns run in linear time, RE2 syntax)', 'config.flags');
  const value = prepareValue(spec, base, (v) => {
    const source = asNonEmptyString('value')(v);
    try {
      return compileRegex(source, flags);
    } catch (err) {
      throw new ValueError(`invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
  });
  return (ctx, env) => {
    const re = value(env.vars);
    const m = re.exec(ctx.output);
    return verdict(m !== null, m ? `output matches /${re.source}/${re.flags} at ${q(m[0])}` : `output does not match /${re.source}/${re.flags}`);
  };
};

/** Words are runs of non-whitespace (as promptfoo counts them). */
export function countWords(s: string): number {
  const t = s.trim();
  return t === '' ? 0 : t.split(/\s+/u).length;
}

const wordCount: ScorerFactory = (spec, _deps, base) => {
  const count = (v: unknown) => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new ValueError(`word counts must be non-negative integers, got ${JSON.stringify(v)}`);
    return n;
  };
  const value = prepareValue(spec, base, (v): { min: number; max: number } => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const extra = Object.keys(o).filter((k) => k !== 'min' && k !== 'max');
      if (extra.length) throw new ValueError(`value takes only min and max (got ${extra.join(', ')})`);
      if (o.min === undefined && o.max === undefined) throw new ValueError('value needs min and/or max');
      const min = o.min === undefined ? 0 : count(o.min);
      const max = o.max === undefined ? Infinity : count(o.max);
      if (min > max) throw new ValueError(`min (${min}) must be ≤ max (${max})`);
      return { min, max };
    }
    if (typeof v !== 'number' && typeof v !== 'string') throw new ValueError(`value must be a number or {min, max}, got ${kind(v)}`);
    const n = count(v);
    return { min: n, max: n };
  });
  return (ctx, env) => {
    const { min, max } = value(env.vars);
    const n = countWords(ctx.output);
    const want = min === max ? `exactly ${min}` : max === Infinity ? `at least ${min}` : min === 0 ? `at most ${max}` : `between ${min} and ${max}`;
    const pass = n >= min && n <= max;
    return verdict(pass, `output has ${n} words (wanted ${want})`, { words: n });
  };
};

export const textScorers: Record<string, ScorerFactory> = {
  equals,
  contains: containsFactory('one', false),
  icontains: containsFactory('one', true),
  'contains-any': containsFactory('any', false),
  'contains-all': containsFactory('all', false),
  'icontains-any': containsFactory('any', true),
  'icontains-all': containsFactory('all', true),
  'starts-with': startsWith,
  regex,
  'word-count': wordCount,
};
