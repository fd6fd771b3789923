/**
 * The `http` tool family for the tool resolver: the config's `http_tools:` and `openapi:` lists
 * are built into tools once (at startup, so a bad spec file fails loudly there), and a call's
 * `{ http: { name } }` / `{ http: { openapi } }` spec picks them by name.
 */
import { z } from 'zod';
import type { FamilyResolver } from '../resolve.js';
import { toolSpecError } from '../resolve.js';
import type { ServerTool } from '../types.js';
import { openApiTools, type LoadOptions } from './load.js';
import { httpToolSchema, openApiSourceSchema } from './schema.js';
import { createHttpTool } from './tool.js';

const uniqueNames = <T extends { name: string }>(what: string) =>
  (list: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate ${what} name "${e.name}"` });
      seen.add(e.name);
    });
  };

/** The top-level `http_tools:` list (names unique). */
export const httpToolsListSchema = z.array(httpToolSchema).superRefine(uniqueNames('http tool'));
/** The top-level `openapi:` list (names unique). */
export const openApiListSchema = z.array(openApiSourceSchema).superRefine(uniqueNames('openapi source'));

export interface HttpToolsConfig {
  http_tools?: readonly unknown[];
  openapi?: readonly unknown[];
}

export interface HttpToolSet {
  /** `http_tools:` entries by name. */
  byName: Map<string, ServerTool>;
  /** The tools of each `openapi:` source, by source name. */
  bySource: Map<string, ServerTool[]>;
}

/** Builds every configured HTTP tool. Throws (naming the entry) on an invalid entry or spec. */
export function buildHttpTools(cfg: HttpToolsConfig, opts: LoadOptions = {}): HttpToolSet {
  const byName = new Map<string, ServerTool>();
  for (const entry of cfg.http_tools ?? []) {
    const tool = createHttpTool(entry as never, opts);
    if (byName.has(tool.name)) throw new Error(`http_tools: duplicate name "${tool.name}"`);
    byName.set(tool.name, tool);
  }
  const bySource = new Map<string, ServerTool[]>();
  for (const entry of cfg.openapi ?? []) {
    const tools = openApiTools(entry, opts);
    const name = (entry as { name: string }).name;
    if (bySource.has(name)) throw new Error(`openapi: duplicate name "${name}"`);
    bySource.set(name, tools);
  }
  return { byName, bySource };
}

/** The resolver of `{ http: { name } }` and `{ http: { openapi } }` specs. */
export function httpFamily(set: HttpToolSet): FamilyResolver<'http'> {
  return async (spec) => {
    const s = spec.http;
    if ('name' in s) {
      const tool = set.byName.get(s.name);
      if (!tool) throw toolSpecError(`unknown http tool "${s.name}" (configured: ${[...set.byName.keys()].join(', ') || 'none'})`);
      return { tools: [tool] };
    }
    const tools = set.bySource.get(s.openapi);
    if (!tools) throw toolSpecError(`unknown openapi source "${s.openapi}" (configured: ${[...set.bySource.keys()].join(', ') || 'none'})`);
    return { tools };
  };
}
