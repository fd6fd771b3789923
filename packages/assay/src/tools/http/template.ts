/**
 * URL and header templates of HTTP tools: `https://api.example.com/users/{id}/orders?status={status}`.
 * Path values are encoded with encodeURIComponent (so `../admin` stays one segment, and `.`/`..`
 * are refused); query values are encoded; a query pair or header whose placeholder has no value is
 * dropped. Arguments the templates do not use go to the query string or the JSON body.
 */

/** `{name}` placeholders (names are argument names); `{{` and `}}` are literal braces. */
const PLACEHOLDER = /\{\{|\}\}|\{([^{}]*)\}/g;
export const PLACEHOLDER_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const TEMPLATE = /^(https?):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/i;

/** Problems of a template string: unbalanced braces, bad placeholder names. */
export function templateProblems(s: string): string[] {
  const problems: string[] = [];
  const stripped = s.replace(PLACEHOLDER, (whole, name: string | undefined) => {
    if (name !== undefined && !PLACEHOLDER_NAME.test(name)) problems.push(`placeholder ${whole} is not a valid parameter name (letters, digits, _ . -)`);
    return '';
  });
  if (/[{}]/.test(stripped)) problems.push('unbalanced "{" or "}" (placeholders are written {name})');
  return problems;
}

/** Placeholder names in order of appearance (duplicates removed). */
export function placeholders(s: string): string[] {
  return [...new Set([...s.matchAll(PLACEHOLDER)].flatMap((m) => (m[1] === undefined ? [] : [m[1]])))];
}

/** `s` as a template that yields `s` itself (braces doubled). */
export function escapeTemplate(s: string): string {
  return s.replace(/[{}]/g, (b) => b + b);
}

export interface UrlTemplate {
  scheme: string;
  authority: string;
  path: string;
  query: string | null;
}

/** Splits a URL template; null when it does not start with http:// or https://. */
export function splitUrlTemplate(url: string): UrlTemplate | null {
  const m = TEMPLATE.exec(url.trim());
  if (!m) return null;
  return { scheme: m[1].toLowerCase(), authority: m[2], path: m[3], query: m[4] ?? null };
}

/** The template with every placeholder replaced by `x`, parsed: checks its shape, gives its host. */
export function sampleUrl(url: string): URL | null {
  try {
    return new URL(url.trim().replace(PLACEHOLDER, (w, name: string | undefined) => (name === undefined ? w[0] : 'x')));
  } catch {
    return null;
  }
}

/** An argument value the template cannot use; surfaced to the model as an error result. */
export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

const absent = (v: unknown) => v === undefined || v === null;

/** A scalar as text (objects and arrays as JSON). */
export function stringify(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

function fill(template: string, args: Record<string, unknown>, encode: (v: unknown, name: string) => string): string {
  return template.replace(PLACEHOLDER, (w, name: string | undefined) => (name === undefined ? w[0] : encode(args[name], name)));
}

function pathValue(v: unknown, name: string): string {
  if (absent(v)) throw new ArgumentError(`missing required argument "${name}" (it fills the URL path)`);
  const parts = Array.isArray(v) ? v.map(stringify) : [stringify(v)];
  for (const p of parts) {
    if (p === '.' || p === '..') throw new ArgumentError(`argument "${name}" cannot be "${p}" (it fills a URL path segment)`);
  }
  return parts.map(encodeURIComponent).join(',');
}

/** Appends `key=value` pairs (arrays repeat the key) to a query list. */
export function appendQuery(out: string[], key: string, v: unknown): void {
  if (absent(v)) return;
  for (const item of Array.isArray(v) ? v : [v]) out.push(`${encodeURIComponent(key)}=${encodeURIComponent(stringify(item))}`);
}

export interface BuiltRequest {
  url: string;
  headers: Record<string, string>;
  /** The argument names the URL and headers used. */
  used: Set<string>;
}

/** Fills the URL and header templates. Throws ArgumentError for values that cannot be used. */
export function fillTemplates(url: string, headers: Record<string, string>, args: Record<string, unknown>): BuiltRequest {
  const t = splitUrlTemplate(url);
  if (!t) throw new Error(`not an http(s) URL template: ${url}`);
  const used = new Set<string>();
  for (const name of placeholders(url)) used.add(name);
  const authority = fill(t.authority, args, (v, name) => {
    if (absent(v)) throw new ArgumentError(`missing required argument "${name}" (it fills the URL host)`);
    return encodeURIComponent(stringify(v));
  });
  const path = fill(t.path, args, pathValue);
  const query: string[] = [];
  for (const pair of t.query ? t.query.split('&') : []) {
    if (pair === '') continue;
    const names = placeholders(pair);
    if (names.some((n) => absent(args[n]))) continue;
    const eq = pair.indexOf('=');
    const single = eq >= 0 ? /^\{([^{}]*)\}$/.exec(pair.slice(eq + 1)) : null;
    if (single && Array.isArray(args[single[1]])) {
      for (const item of args[single[1]] as unknown[]) query.push(`${pair.slice(0, eq)}=${encodeURIComponent(stringify(item))}`);
    } else query.push(fill(pair, args, (v) => encodeURIComponent(stringify(v))));
  }
  const outHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const names = placeholders(value);
    for (const n of names) used.add(n);
    if (names.some((n) => absent(args[n]))) continue;
    const filled = fill(value, args, (v) => stringify(v));
    if (/[\r\n\0]/.test(filled)) throw new ArgumentError(`header ${name}: argument values cannot contain line breaks`);
    outHeaders[name] = filled;
  }
  const full = `${t.scheme}://${authority}${path}${query.length ? `?${query.join('&')}` : ''}`;
  return { url: full, headers: outHeaders, used };
}
