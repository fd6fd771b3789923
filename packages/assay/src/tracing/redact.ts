/**
 * Redaction of stored payloads: built-in detectors (emails, phone numbers, card numbers, API-key-like
 * strings) and custom regular expressions, applied to every string inside a JSON value before it
 * is written. Keys are kept; only string values change. Custom patterns match in linear time (RE2).
 */
import { compileRegex, type LinearRegex } from '../config/regex.js';

export interface RedactRule {
  name: string;
  /** Built-ins are global native patterns (ours); custom ones are linear-time. */
  pattern: RegExp | LinearRegex;
  replacement: string;
  /** Extra check on a match (card numbers must pass Luhn). */
  accept?: (match: string) => boolean;
}

export interface Redactor {
  text(s: string): string;
  value(v: unknown): unknown;
}

function luhn(digits: string): boolean {
  const d = digits.replace(/\D/g, '');
  if (d.length < 13 || d.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

export const BUILTIN_REDACTORS = {
  emails: { name: 'emails', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, replacement: '[REDACTED_EMAIL]' },
  // Card numbers first: their digit runs would otherwise look like phone numbers.
  cards: {
    name: 'cards',
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    replacement: '[REDACTED_CARD]',
    accept: luhn,
  },
  phones: {
    name: 'phones',
    pattern: /(?<![\w.])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?![\w.])/g,
    replacement: '[REDACTED_PHONE]',
  },
  api_keys: {
    name: 'api_keys',
    pattern: /\b(?:sk|pk|rk|sk-ant|sk-proj|sk-assay|sk-lf|pk-lf|ghp|gho|xox[abpr]|AKIA)[-_][A-Za-z0-9_-]{12,}\b|\bAKIA[0-9A-Z]{16}\b|\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
    replacement: '[REDACTED_KEY]',
  },
} satisfies Record<string, RedactRule>;

export type BuiltinRedactor = keyof typeof BUILTIN_REDACTORS;

/** The config's `governance.redact.custom` rules, compiled (the config check has vetted each pattern). */
export function customRedactRules(custom: readonly { name: string; pattern: string; flags: string; replacement: string }[]): RedactRule[] {
  return custom.map((r) => ({ name: r.name, pattern: compileRegex(r.pattern, r.flags), replacement: r.replacement }));
}

/** The order built-ins run in, whatever order the config lists them. */
const BUILTIN_ORDER: BuiltinRedactor[] = ['api_keys', 'emails', 'cards', 'phones'];

export function createRedactor(builtins: readonly BuiltinRedactor[], custom: readonly RedactRule[] = []): Redactor | null {
  const rules: RedactRule[] = [
    ...BUILTIN_ORDER.filter((b) => builtins.includes(b)).map((b) => BUILTIN_REDACTORS[b] as RedactRule),
    ...custom,
  ];
  if (rules.length === 0) return null;
  const text = (s: string): string => {
    let out = s;
    for (const r of rules) {
      const replace = (m: string) => (r.accept && !r.accept(m) ? m : r.replacement);
      if (r.pattern instanceof RegExp) {
        r.pattern.lastIndex = 0;
        out = out.replace(r.pattern, replace);
      } else out = r.pattern.replaceAll(out, replace);
    }
    return out;
  };
  const value = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(value);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = value(x);
      return out;
    }
    return v;
  };
  return { text, value };
}
