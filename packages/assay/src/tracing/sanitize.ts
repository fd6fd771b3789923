/**
 * What every observation and score goes through before it is queued or written, so no input can
 * poison a trace batch: strings made well-formed (lone surrogates → U+FFFD) and free of NUL (which
 * PostgreSQL refuses), nesting capped, oversized strings and values cut with a visible marker,
 * non-finite numbers, bigints, binary data and cycles turned into plain JSON, numeric columns kept
 * within their column types. The walk is depth-bounded (never deeper than `max_depth`) and
 * copy-on-write: a clean value is returned as is, so a normal span costs one read-only pass.
 */
import type { Score } from '../store/scores.js';
import type { Observation } from './span.js';

export interface SanitizeLimits {
  /** Objects and arrays nested deeper than this are replaced by a marker string. */
  maxDepth: number;
  /** Strings longer than this (UTF-16 code units) are cut, with a marker saying how much. */
  maxStringLength: number;
  /** A JSON field (input, output, metadata …) larger than about this many bytes is cut. */
  maxValueBytes: number;
}

export const DEFAULT_SANITIZE_LIMITS: SanitizeLimits = { maxDepth: 64, maxStringLength: 1_000_000, maxValueBytes: 8_000_000 };

/** Label columns (names, ids of users and sessions …) are cut to this many characters. */
const LABEL_MAX = 1_000;
/** Rough size of a row's fixed columns, for the byte estimate. */
const ROW_OVERHEAD_BYTES = 400;
const INT32_MAX = 2 ** 31 - 1;
const MAX_EPOCH_MS = 8.64e15;

/** How much a walk had to change; `bytes` is an estimate of the value's JSON size. */
export interface SanitizeStats {
  truncated: number;
  repaired: number;
}

interface Walk extends SanitizeStats {
  bytes: number;
  budget: number;
  depthCap: number;
  stringCap: number;
  ancestors: object[];
}

const OBS_JSON = ['input', 'output', 'metadata', 'usage', 'cost_details', 'tags'] as const;
const OBS_LABELS = [
  'type', 'name', 'status', 'model', 'route', 'provider', 'key_id', 'user_id', 'session_id', 'environment', 'release',
  'level', 'prompt_name', 'price_version',
] as const;
const OBS_IDS = ['id', 'trace_id', 'parent_id', 'project_id'] as const;
const OBS_INTS = ['status_code', 'prompt_version', 'input_tokens', 'output_tokens', 'total_tokens', 'cached_input_tokens', 'reasoning_tokens', 'cache_hit'] as const;
const OBS_FLOATS = ['cost', 'latency_ms', 'ttft_ms'] as const;

export class Sanitizer {
  /** Totals since start, for /health. */
  readonly stats: SanitizeStats = { truncated: 0, repaired: 0 };

  constructor(readonly limits: SanitizeLimits = DEFAULT_SANITIZE_LIMITS) {}

  /** Cleans the observation in place; returns its estimated size in bytes. */
  observation(o: Observation): number {
    const w = this.walk();
    const row = o as unknown as Record<string, unknown>;
    for (const f of OBS_JSON) row[f] = this.field(row[f], w);
    for (const f of OBS_IDS) row[f] = text(row[f], w, Infinity);
    for (const f of OBS_LABELS) row[f] = text(row[f], w, LABEL_MAX);
    o.error = text(o.error, w, this.limits.maxStringLength) as string | null;
    for (const f of OBS_INTS) row[f] = int(row[f], w);
    for (const f of OBS_FLOATS) row[f] = finite(row[f], w);
    o.start_time = time(o.start_time, w) ?? Date.now();
    o.end_time = time(o.end_time, w);
    if (!Array.isArray(o.tags)) o.tags = [];
    return this.finish(w);
  }

  /** Cleans the score in place; returns its estimated size in bytes. */
  score(s: Score): number {
    const w = this.walk();
    const row = s as unknown as Record<string, unknown>;
    s.metadata = this.field(s.metadata, w) as Score['metadata'];
    for (const f of ['id', 'trace_id', 'observation_id', 'session_id', 'project_id', 'config_id', 'experiment_id', 'experiment_item_id'] as const) {
      row[f] = text(row[f], w, Infinity);
    }
    for (const f of ['name', 'source', 'author', 'environment', 'data_type'] as const) row[f] = text(row[f], w, LABEL_MAX);
    for (const f of ['comment', 'string_value'] as const) row[f] = text(row[f], w, this.limits.maxStringLength);
    row.value = finite(row.value, w);
    return this.finish(w);
  }

  /** A single JSON value, cleaned (the same value when nothing had to change). */
  value(v: unknown): { value: unknown; bytes: number } {
    const w = this.walk();
    const value = this.field(v, w);
    const bytes = w.bytes;
    this.finish(w);
    return { value, bytes };
  }

  private walk(): Walk {
    const { maxDepth, maxStringLength } = this.limits;
    return { truncated: 0, repaired: 0, bytes: ROW_OVERHEAD_BYTES, budget: 0, depthCap: maxDepth, stringCap: maxStringLength, ancestors: [] };
  }

  /** Each JSON field has its own byte budget. */
  private field(v: unknown, w: Walk): unknown {
    w.budget = w.bytes + this.limits.maxValueBytes;
    const out = clean(v, 0, w);
    return out === undefined ? null : out;
  }

  private finish(w: Walk): number {
    this.stats.truncated += w.truncated;
    this.stats.repaired += w.repaired;
    return w.bytes;
  }
}

function clean(v: unknown, depth: number, w: Walk): unknown {
  switch (typeof v) {
    case 'string':
      return cleanString(v, w, Math.min(w.stringCap, Math.max(0, w.budget - w.bytes)));
    case 'number':
      w.bytes += 8;
      if (Number.isFinite(v)) return v;
      w.repaired++;
      return String(v);
    case 'boolean':
      w.bytes += 5;
      return v;
    case 'bigint':
      w.bytes += 20;
      w.repaired++;
      return v.toString();
    case 'object':
      return v === null ? (w.bytes += 4, null) : cleanObject(v, depth, w);
    default:
      return undefined; // undefined, functions and symbols: what JSON.stringify leaves out
  }
}

function cleanObject(v: object, depth: number, w: Walk): unknown {
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return marker(w, `[binary data: ${v.byteLength} bytes]`);
  const json = (v as { toJSON?: unknown }).toJSON;
  if (typeof json === 'function') return clean(json.call(v), depth + 1, w); // Date and friends, as JSON would
  if (depth >= w.depthCap) return marker(w, `[truncated: nested deeper than ${w.depthCap} levels]`);
  if (w.ancestors.includes(v)) return marker(w, '[circular reference]');
  w.ancestors.push(v);
  try {
    return Array.isArray(v) ? cleanArray(v, depth, w) : cleanRecord(v as Record<string, unknown>, depth, w);
  } finally {
    w.ancestors.pop();
  }
}

function cleanArray(v: unknown[], depth: number, w: Walk): unknown[] {
  let out: unknown[] | null = null;
  w.bytes += 2;
  for (let i = 0; i < v.length; i++) {
    if (w.bytes >= w.budget) {
      out ??= v.slice(0, i);
      out.push(marker(w, `[truncated: ${v.length - i} more items]`));
      return out;
    }
    const x = clean(v[i], depth + 1, w);
    w.bytes += 1;
    if (x !== v[i] && !out) out = v.slice(0, i);
    out?.push(x === undefined ? null : x);
  }
  return out ?? v;
}

function cleanRecord(v: Record<string, unknown>, depth: number, w: Walk): Record<string, unknown> {
  const keys = Object.keys(v);
  let out: Record<string, unknown> | null = null;
  w.bytes += 2;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (w.bytes >= w.budget) {
      out ??= copyKeys(v, keys, i);
      put(out, '…', marker(w, `[truncated: ${keys.length - i} more keys]`));
      return out;
    }
    const key = cleanString(k, w, LABEL_MAX);
    const x = clean(v[k], depth + 1, w);
    w.bytes += 2;
    if ((x !== v[k] || key !== k) && !out) out = copyKeys(v, keys, i);
    if (out && x !== undefined) put(out, key, x);
  }
  return out ?? v;
}

function copyKeys(v: Record<string, unknown>, keys: string[], n: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) put(out, keys[i], v[keys[i]]);
  return out;
}

/** Sets an own property, even for the key "__proto__" (plain assignment would change the prototype). */
function put(o: Record<string, unknown>, k: string, x: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
  else o[k] = x;
}

function cleanString(s: string, w: Walk, cap: number): string {
  let out = s;
  if (out.length > cap) {
    out = `${out.slice(0, cap)}…[truncated ${s.length - cap} of ${s.length} characters]`;
    w.truncated++;
  }
  w.bytes += out.length + 2;
  if (!out.isWellFormed()) {
    out = out.toWellFormed();
    w.repaired++;
  }
  if (out.includes('\u0000')) {
    out = out.replaceAll('\u0000', '\uFFFD');
    w.repaired++;
  }
  return out;
}

function marker(w: Walk, text: string): string {
  w.truncated++;
  w.bytes += text.length + 2;
  return text;
}

/** A text column: strings cleaned and capped; anything else but null becomes its JSON text. */
function text(v: unknown, w: Walk, cap: number): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return cleanString(v, w, cap);
  w.repaired++;
  if (typeof v !== 'object') return cleanString(String(v), w, cap);
  w.budget = w.bytes + cap;
  return cleanString(JSON.stringify(clean(v, 0, w)) ?? 'null', w, cap);
}

/** A PostgreSQL `integer` column: finite, whole and within 32 bits, else null. */
function int(v: unknown, w: Walk): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= INT32_MAX) return v;
  w.repaired++;
  const n = Math.round(Number(v));
  return Number.isFinite(n) && Math.abs(n) <= INT32_MAX ? n : null;
}

/** A `double precision` or `bigint` column: a finite number, else null. */
function finite(v: unknown, w: Walk): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  w.repaired++;
  const n = typeof v === 'bigint' || typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** Epoch milliseconds (a `bigint` column): within the range of a Date, else null. */
function time(v: unknown, w: Walk): number | null {
  const n = finite(v, w);
  if (n === null || Math.abs(n) <= MAX_EPOCH_MS) return n;
  w.repaired++;
  return null;
}
