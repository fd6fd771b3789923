/**
 * Shared pieces of eval-file loading: the collector of problems (everything a config needs changed,
 * reported together as one error, exit 2) and warnings (things ignored that do not change results),
 * reading `file://` references relative to the config file, and small value checks.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CliError } from '../client.js';

export class Findings {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  problem(msg: string): void {
    this.problems.push(msg);
  }
  warn(msg: string): void {
    if (!this.warnings.includes(msg)) this.warnings.push(msg);
  }
  /** Throws one CliError (exit 2) listing every problem, when there are any. */
  check(file: string): void {
    if (this.problems.length === 0) return;
    const list = this.problems.map((p) => `  - ${p}`).join('\n');
    throw new CliError(`${file}: ${this.problems.length === 1 ? 'this needs a change' : `these ${this.problems.length} things need a change`} to run on Assay (see docs/evals.md):\n${list}`, 2);
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isFileRef = (v: unknown): v is string => typeof v === 'string' && v.startsWith('file://');

/** The path of a `file://` reference, resolved against the config file's folder. */
export function refPath(ref: string, baseDir: string): string {
  const p = ref.slice('file://'.length);
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/** The text of a file, or a problem naming it (then undefined). */
export function readText(path: string, what: string, f: Findings): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    f.problem(`${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
}

/** YAML (a superset of JSON) text as a value, or a problem (then undefined). */
export function parseData(text: string, what: string, f: Findings): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    f.problem(`${what}: not valid YAML/JSON (${(err as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

/** Keys of `obj` not in `known`. */
export const unknownKeys = (obj: Record<string, unknown>, known: readonly string[]): string[] => Object.keys(obj).filter((k) => !known.includes(k));

/** A short id-safe slug of free text ("Says hello!" → "says-hello"). */
export function slug(text: string, max = 60): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
}
