/**
 * Helpers shared by the scorer families: values that are checked once at compile time (or on each
 * call when they contain {{vars}}), config readers, and RawResult builders. Reasons state what was
 * observed ("output contains …" / "output does not contain …") so they stay true under `not-`.
 */
import { hasTemplate, renderValue } from './template.js';
import { SpecError, type AssertionSpec, type RawResult } from './types.js';

/** Thrown by a value check; at compile time it becomes a SpecError on `value`. */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

/**
 * The assertion's `value`, validated by `check`. A literal value is checked now (a bad one throws
 * SpecError); a templated one is rendered and checked on every call (a bad one becomes an error result).
 */
export function prepareValue<T>(spec: AssertionSpec, base: string, check: (v: unknown) => T, opts: { optional?: boolean } = {}): (vars: Record<string, unknown>) => T {
  if (spec.value === undefined && !opts.optional) throw new SpecError(`${base} needs a value`, 'value');
  if (!hasTemplate(spec.value)) {
    let v: T;
    try {
      v = check(renderValue(spec.value, {})); // no variables: only resolves \{{ escapes
    } catch (err) {
      if (err instanceof ValueError) throw new SpecError(`${base}: ${err.message}`, 'value');
      throw err;
    }
    return () => v;
  }
  return (vars) => check(renderValue(spec.value, vars));
}

export function asString(what: string) {
  return (v: unknown): string => {
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') throw new ValueError(`${what} must be a string, got ${kind(v)}`);
    return v;
  };
}

export function asNonEmptyString(what: string) {
  const s = asString(what);
  return (v: unknown): string => {
    const out = s(v);
    if (out === '') throw new ValueError(`${what} must not be empty`);
    return out;
  };
}

/**
 * A list of strings: an array, or promptfoo's comma-separated string (double quotes keep commas:
 * `a, "b, c"` → ["a", "b, c"]).
 */
export function asStringList(what: string) {
  return (v: unknown): string[] => {
    let list: unknown[];
    if (Array.isArray(v)) list = v;
    else if (typeof v === 'string') list = splitCommaList(v);
    else throw new ValueError(`${what} must be a list of strings or a comma-separated string, got ${kind(v)}`);
    const out = list.map((x) => (typeof x === 'number' || typeof x === 'boolean' ? String(x) : x));
    if (out.length === 0) throw new ValueError(`${what} must not be empty`);
    if (!out.every((x): x is string => typeof x === 'string' && x !== '')) throw new ValueError(`${what} must contain only non-empty strings`);
    return out;
  };
}

export function splitCommaList(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      if (quoted && s[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out.filter((x) => x !== '');
}

export function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** `config[key]` as a number within [min, max], or `dflt`. */
export function configNumber(spec: AssertionSpec, key: string, dflt: number, range: { min?: number; max?: number; integer?: boolean } = {}): number {
  const v = spec.config?.[key];
  if (v === undefined) return dflt;
  const ok = typeof v === 'number' && Number.isFinite(v) && (!range.integer || Number.isInteger(v)) && (range.min === undefined || v >= range.min) && (range.max === undefined || v <= range.max);
  if (!ok) {
    const bounds = [range.min !== undefined ? `≥ ${range.min}` : '', range.max !== undefined ? `≤ ${range.max}` : ''].filter(Boolean).join(' and ');
    throw new SpecError(`config.${key} must be ${range.integer ? 'an integer' : 'a number'}${bounds ? ` ${bounds}` : ''}`, `config.${key}`);
  }
  return v;
}

export function configEnum<T extends string>(spec: AssertionSpec, key: string, allowed: readonly T[], dflt: T): T {
  const v = spec.config?.[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw new SpecError(`config.${key} must be one of ${allowed.join(', ')}`, `config.${key}`);
  return v as T;
}

/** The threshold, checked to lie in [min, max]. */
export function thresholdIn(spec: AssertionSpec, base: string, dflt: number | undefined, min: number, max = Infinity): number | undefined {
  const t = spec.threshold ?? dflt;
  if (t !== undefined && (t < min || t > max)) throw new SpecError(`${base}: threshold must be between ${min} and ${max === Infinity ? '∞' : max}`, 'threshold');
  return t;
}

export function verdict(pass: boolean, reason: string, metadata?: RawResult['metadata']): RawResult {
  return { pass, score: pass ? 1 : 0, reason, ...(metadata ? { metadata } : {}) };
}

export function scored(score: number, pass: boolean, reason: string, metadata?: RawResult['metadata']): RawResult {
  return { pass, score, reason, ...(metadata ? { metadata } : {}) };
}

/** A scorer failure: never a pass, whatever the prefix or weight. */
export function failure(error: string, metadata?: RawResult['metadata']): RawResult {
  return { pass: false, score: 0, reason: error, error, ...(metadata ? { metadata } : {}) };
}

/** Shortens text for reasons. */
export function clip(s: string, max = 120): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export const q = (s: string) => JSON.stringify(clip(s));
