/**
 * Loads the config file: YAML, `${ENV_VAR}` / `${ENV_VAR:-default}` interpolation in string values
 * (`$${…}` keeps a literal), then zod validation. Every problem is reported with the file, the path
 * inside it and what is wrong; `assay up` prints them and exits with code 2.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { configSchema, type AssayConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `routes[0].targets[1].model` from a zod/issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(top level)';
}

const VAR = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: string[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR, (whole, escaped: string | undefined, name: string, def: string | undefined) => {
      if (escaped) return whole.slice(1);
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (def !== undefined) return def;
      problems.push(`${formatPath(path)}: environment variable ${name} is not set (set it, or write \${${name}:-default})`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, problems, [...path, i]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, problems, [...path, k]);
    return out;
  }
  return value;
}

/** Validate an already-parsed config object (from YAML or from code). */
export function parseConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv = process.env): AssayConfig {
  const problems: string[] = [];
  const interpolated = interpolate(raw ?? {}, env, problems);
  if (problems.length) throw new ConfigError(file, problems);
  const r = configSchema.safeParse(interpolated);
  if (!r.success) {
    throw new ConfigError(
      file,
      r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`),
    );
  }
  return r.data;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): AssayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    throw new ConfigError(file, doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`));
  }
  return parseConfig(doc.toJS(), file, env);
}
