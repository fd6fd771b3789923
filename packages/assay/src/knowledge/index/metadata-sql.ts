/** Metadata filters as SQL over a chunk's metadata JSON (alias `c`), with bound parameters only. */
import type { MetadataValue } from './types.js';

export interface SqlFragment {
  sql: string;
  params: (string | number)[];
}

/**
 * `key = value` matches by JSON type as well as value: the string "1" does not match the number 1,
 * true matches only true, null matches an explicit null (not a missing key).
 */
export function filterSql(filter: [string, MetadataValue[]][]): SqlFragment {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  for (const [key, values] of filter) {
    const path = `$."${key}"`;
    const ors: string[] = [];
    const strings = values.filter((v): v is string => typeof v === 'string');
    const numbers = values.filter((v): v is number => typeof v === 'number');
    if (strings.length) {
      ors.push(`(json_type(c.metadata, ?) = 'text' AND json_extract(c.metadata, ?) IN (${strings.map(() => '?').join(',')}))`);
      params.push(path, path, ...strings);
    }
    if (numbers.length) {
      ors.push(`(json_type(c.metadata, ?) IN ('integer', 'real') AND json_extract(c.metadata, ?) IN (${numbers.map(() => '?').join(',')}))`);
      params.push(path, path, ...numbers);
    }
    for (const v of [true, false, null] as const) {
      if (values.includes(v)) {
        ors.push(`json_type(c.metadata, ?) = ?`);
        params.push(path, String(v));
      }
    }
    parts.push(`(${ors.join(' OR ')})`);
  }
  return { sql: parts.length ? parts.join(' AND ') : '1', params };
}
