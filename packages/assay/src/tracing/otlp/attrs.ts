/**
 * Reading span attributes while remembering which ones were mapped, so everything that mapped to
 * nothing can be kept in metadata.attributes. Only the winning key of a precedence list counts as
 * mapped: a losing alternative (say gen_ai.request.model when gen_ai.response.model won) is kept.
 */
import type { AttrValue, Attributes } from './decode.js';

export class AttrReader {
  private readonly used = new Set<string>();

  constructor(readonly attrs: Attributes) {}

  /** The first key with a usable value (per `accept`), marked as mapped. */
  pick<T>(keys: readonly string[], accept: (v: AttrValue) => T | null): T | null {
    for (const key of keys) {
      const v = this.attrs[key];
      if (v === undefined || v === null) continue;
      const out = accept(v);
      if (out !== null) {
        this.used.add(key);
        return out;
      }
    }
    return null;
  }

  str(keys: readonly string[]): string | null {
    return this.pick(keys, asString);
  }

  num(keys: readonly string[]): number | null {
    return this.pick(keys, asNumber);
  }

  /** The raw value of one key without marking it. */
  peek(key: string): AttrValue | undefined {
    return this.attrs[key];
  }

  mark(key: string): void {
    this.used.add(key);
  }

  isUsed(key: string): boolean {
    return this.used.has(key);
  }

  /** Keys starting with `prefix` (not yet mapped), as [rest of key, value]. */
  prefixed(prefix: string): [string, AttrValue][] {
    const out: [string, AttrValue][] = [];
    for (const key in this.attrs) {
      if (key.length > prefix.length && key.startsWith(prefix) && !this.used.has(key)) out.push([key.slice(prefix.length), this.attrs[key]]);
    }
    return out;
  }

  /**
   * A flattened list `prefix.N.field…` rebuilt into an array of nested objects (all its keys are
   * marked as mapped), or null when there is none.
   */
  indexed(prefix: string): unknown[] | null {
    const entries: [string[], AttrValue][] = [];
    const p = `${prefix}.`;
    for (const [rest, value] of this.prefixed(p)) {
      if (!/^\d+(\.|$)/.test(rest)) continue;
      entries.push([rest.split('.'), value]);
      this.used.add(p + rest);
    }
    if (entries.length === 0) return null;
    const root = unflatten(entries);
    return Array.isArray(root) ? root.filter((e) => e !== undefined) : null;
  }

  /** Every attribute no mapping used. */
  rest(): Attributes {
    const out: Attributes = {};
    for (const key in this.attrs) if (!this.used.has(key)) out[key] = this.attrs[key];
    return out;
  }
}

/** A string (numbers and booleans as text), or null for empty/structured values. */
export function asString(v: AttrValue): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** A finite number (numeric strings too), or null. */
export function asNumber(v: AttrValue): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A non-negative integer count, or null. */
export function asCount(v: AttrValue): number | null {
  const n = asNumber(v);
  return n !== null && n >= 0 ? Math.round(n) : null;
}

/** JSON text (object, array or a quoted string) parsed; anything else as it is. */
export function maybeJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trimStart();
  const c = t[0];
  if (c !== '{' && c !== '[' && c !== '"') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** A value that should be an object (JSON string or kvlist) → the object, else null. */
export function asObject(v: AttrValue): Record<string, unknown> | null {
  const parsed = maybeJson(v);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
}

/** Tags from an array, a JSON array string or a comma-separated string. */
export function asTags(v: AttrValue): string[] | null {
  const parsed = maybeJson(v);
  let tags: unknown[];
  if (Array.isArray(parsed)) tags = parsed;
  else if (typeof parsed === 'string') tags = parsed.split(',');
  else return null;
  const out = tags.map((t) => (typeof t === 'string' ? t.trim() : typeof t === 'number' ? String(t) : '')).filter((t) => t !== '');
  return out.length > 0 ? out : null;
}

/** Path segments → nested objects; numeric segments make arrays. */
export function unflatten(entries: [string[], unknown][]): unknown {
  const root: Record<string, unknown> | unknown[] = /^\d+$/.test(entries[0][0][0]) ? [] : {};
  for (const [path, value] of entries) {
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      const key: string | number = Array.isArray(node) && /^\d+$/.test(seg) ? Number(seg) : seg;
      if (Array.isArray(node) && typeof key === 'string') break; // a non-index key under a list: keep nothing wrong
      const slot = (node as Record<string | number, unknown>)[key];
      if (last) {
        (node as Record<string | number, unknown>)[key] = value;
      } else {
        if (typeof slot !== 'object' || slot === null) {
          const child = /^\d+$/.test(path[i + 1]) ? [] : {};
          (node as Record<string | number, unknown>)[key] = child;
          node = child;
        } else {
          node = slot as Record<string, unknown> | unknown[];
        }
      }
    }
  }
  return root;
}
