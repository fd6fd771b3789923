/** JSON columns: jsonb on PostgreSQL, text on SQLite. Both take a JSON string on write. */
export type DialectName = 'sqlite' | 'postgres';

export const toJson = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

/** Decode on read: PostgreSQL returns parsed jsonb, SQLite the text written. */
export function fromJson<T>(dialect: DialectName, v: unknown): T | null {
  if (v === null || v === undefined) return null;
  if (dialect === 'postgres' || typeof v !== 'string') return v as T;
  return JSON.parse(v) as T;
}

const NUL = /\u0000/g;

/** PostgreSQL text and jsonb cannot hold U+0000: strings lose it for U+FFFD, everything else is kept. */
export function withoutNul<T>(v: T): T {
  if (typeof v === 'string') return (v.includes('\u0000') ? v.replace(NUL, '\uFFFD') : v) as T;
  if (Array.isArray(v)) return v.map(withoutNul) as T;
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    // Keys too: a jsonb object cannot hold U+0000 in a key either.
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [withoutNul(k), withoutNul(x)])) as T;
  }
  return v;
}
