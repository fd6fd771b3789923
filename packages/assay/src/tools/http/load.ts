/**
 * Building tools from config: `loadOpenApiDocument` reads a spec file (JSON or YAML, relative to
 * the config file's folder) or takes the inline document; `openApiTools` and `httpTools` turn
 * config entries into ServerTools.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { ServerTool } from '../types.js';
import { importOpenApi, OpenApiError } from './openapi.js';
import { openApiSourceSchema, formatIssues, type HttpToolInput, type OpenApiSource } from './schema.js';
import { createHttpTool, type HttpToolOptions } from './tool.js';

/** The OpenAPI document of a source: parsed from its file, or the inline object. */
export function loadOpenApiDocument(source: Pick<OpenApiSource, 'name' | 'spec'>, baseDir: string = process.cwd()): unknown {
  if (typeof source.spec !== 'string') return source.spec;
  const file = isAbsolute(source.spec) ? source.spec : resolve(baseDir, source.spec);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new OpenApiError(source.name, [`spec: cannot read ${file}: ${(err as Error).message}`]);
  }
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch (err) {
      if (/\.json$/i.test(file)) throw new OpenApiError(source.name, [`spec: ${file} is not valid JSON: ${(err as Error).message}`]);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    throw new OpenApiError(source.name, doc.errors.map((e) => `spec: ${file}: YAML syntax: ${e.message.split('\n')[0]}`));
  }
  return doc.toJS({ maxAliasCount: 1000 });
}

export interface LoadOptions extends HttpToolOptions {
  /** Folder that relative spec paths are resolved against (the config file's folder). */
  baseDir?: string;
}

/** The tools of one `openapi:` entry (validated here when given raw). */
export function openApiTools(raw: unknown, opts: LoadOptions = {}): ServerTool[] {
  const r = openApiSourceSchema.safeParse(raw);
  if (!r.success) {
    const name = (raw as { name?: unknown } | null)?.name;
    throw new OpenApiError(typeof name === 'string' ? name : '?', formatIssues(r.error));
  }
  const doc = loadOpenApiDocument(r.data, opts.baseDir);
  return importOpenApi(doc, r.data).map((config) => createHttpTool(config, opts));
}

/** The tools of the `http_tools:` entries. */
export function httpTools(entries: readonly HttpToolInput[], opts: HttpToolOptions = {}): ServerTool[] {
  return entries.map((e) => createHttpTool(e, opts));
}
