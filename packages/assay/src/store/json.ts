/** JSON columns: jsonb on PostgreSQL, text on SQLite. Both take a JSON string on write. */
export type DialectName = 'sqlite' | 'postgres';

export const toJson = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

/** Decode on read: PostgreSQL returns parsed jsonb, SQLite the text written. */
export function fromJson<T>(dialect: DialectName, v: unknown): T | null {
  if (v === null || v === undefined) return null;
  if (dialect === 'postgres' || typeof v !== 'string') return v as T;
  return JSON.parse(v) as T;
}
