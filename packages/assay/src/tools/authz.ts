/**
 * Which server-side tools a request may add (docs/tools.md, "Who may add tools"). The route's
 * `tools:` are the operator's policy: a request's `assay.tools` entry is allowed when the route
 * already has that tool (same family and source; a request may narrow it, never widen it) or when
 * the key's `policy.tools` grants it; an admin key is the operator and may add any tool. A request
 * entry for a tool the route has replaces the route's entry (what it leaves out keeps the route's
 * value), so the narrowing applies.
 */
import { isDeepStrictEqual } from 'node:util';
import { AssayError, badRequest } from '../errors.js';
import { listAllows, type KeyTools } from '../keys/policy.js';
import { DEFAULT_LIMITS } from '../sandbox/index.js';
import type { CallKey } from '../gateway/spec.js';
import { DEFAULT_RETRIEVE_K, toolLoopSchema, type McpSpec, type RetrieveSpec, type RunCodeSpec, type ToolLoopOptions, type ToolSpec } from './spec.js';

/** What a key may do with tools beyond its route. */
export interface ToolGrant {
  /** An admin key: the operator, who may add any tool. */
  admin: boolean;
  tools: KeyTools | undefined;
}

export function grantOf(key: Pick<CallKey, 'scopes' | 'policy'> | null): ToolGrant {
  return { admin: !!key?.scopes.includes('admin'), tools: key?.policy?.tools };
}

/** The route a call is addressed to, as far as tools go (null: a provider model, no route). */
export interface RouteTools {
  name: string;
  tools: readonly ToolSpec[];
}

const MiB = 1024 * 1024;
const SANDBOX_DEFAULTS = { timeout_ms: DEFAULT_LIMITS.timeoutMs, memory_mb: DEFAULT_LIMITS.memoryBytes / MiB };

/** The source a spec draws on, to match a request entry with the route's. */
function sourceOf(spec: ToolSpec): string {
  switch (spec.kind) {
    case 'retrieve': return `retrieve:${spec.retrieve.kb}`;
    case 'mcp': return `mcp:${spec.mcp.server}`;
    case 'http': return 'name' in spec.http ? `http:${spec.http.name}` : `openapi:${spec.http.openapi}`;
    default: return spec.kind;
  }
}

/** What the entry asks for, for messages. */
function describe(spec: ToolSpec): string {
  switch (spec.kind) {
    case 'retrieve': return `the knowledge base "${spec.retrieve.kb}"`;
    case 'run_code': return 'run_code (code execution)';
    case 'memory': return 'the memory tools';
    case 'mcp': return `the tools of MCP server "${spec.mcp.server}"`;
    case 'http': return 'name' in spec.http ? `the HTTP tool "${spec.http.name}"` : `the OpenAPI tools "${spec.http.openapi}"`;
  }
}

/** The key policy setting that would grant the entry. */
function policyHint(spec: ToolSpec): string {
  switch (spec.kind) {
    case 'retrieve': return `policy.tools.knowledge_bases: ["${spec.retrieve.kb}"]`;
    case 'run_code': return 'policy.tools.run_code: true';
    case 'memory': return 'policy.tools.memory: true';
    case 'mcp': return `policy.tools.mcp_servers: ["${spec.mcp.server}"]`;
    case 'http': return `policy.tools.http_tools: ["${'name' in spec.http ? spec.http.name : spec.http.openapi}"]`;
  }
}

function keyGrants(spec: ToolSpec, tools: KeyTools | undefined): boolean {
  switch (spec.kind) {
    case 'retrieve': return listAllows(tools?.knowledge_bases, spec.retrieve.kb);
    case 'run_code': return tools?.run_code === true;
    case 'memory': return tools?.memory === true;
    case 'mcp': return listAllows(tools?.mcp_servers, spec.mcp.server);
    case 'http': return listAllows(tools?.http_tools, 'name' in spec.http ? spec.http.name : spec.http.openapi);
  }
}

const notAllowed = (param: string, message: string) => new AssayError({ status: 403, message: `${param}: ${message}`, param, code: 'tool_not_allowed' });
const overLimit = (param: string, max: number, whose: string) =>
  badRequest(`${param}: at most ${max} (${whose}); a request may only lower it`, param, 'limit_exceeded');

/** Why a request entry widens the route's entry of the same source (null: it only narrows). */
function widening(route: ToolSpec, req: ToolSpec): string | null {
  if (route.kind === 'mcp' && req.kind === 'mcp') return mcpWidening(route.mcp, req.mcp);
  if (route.kind === 'retrieve' && req.kind === 'retrieve') return retrieveWidening(route.retrieve, req.retrieve);
  if (route.kind === 'memory' && req.kind === 'memory' && req.memory.extract && !route.memory.extract) {
    return 'memory extraction (extract: true) is off in the route\'s memory tool';
  }
  return null;
}

function mcpWidening(route: McpSpec, req: McpSpec): string | null {
  const extra = route.tools ? (req.tools ?? []).filter((t) => !route.tools!.includes(t)) : [];
  if (!extra.length) return null;
  const list = (names: string[]) => names.map((t) => `"${t}"`).join(', ');
  return `the route allows only ${list(route.tools!)} of MCP server "${route.server}", not ${list(extra)}`;
}

function retrieveWidening(route: RetrieveSpec, req: RetrieveSpec): string | null {
  for (const [field, value] of Object.entries(route.filter ?? {})) {
    if (!isDeepStrictEqual(req.filter?.[field], value)) {
      return `the route searches knowledge base "${route.kb}" with filter.${field} = ${JSON.stringify(value)}; a request may add filters, not change it`;
    }
  }
  return null;
}

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** A request entry over the route's entry of the same source: what the request leaves out keeps the route's value. */
function overlay(route: ToolSpec, req: ToolSpec): ToolSpec {
  if (route.kind === 'run_code' && req.kind === 'run_code') return { kind: 'run_code', run_code: { ...route.run_code, ...defined(req.run_code) } };
  if (route.kind === 'mcp' && req.kind === 'mcp') return { kind: 'mcp', mcp: { ...req.mcp, tools: req.mcp.tools ?? route.mcp.tools } };
  if (route.kind === 'retrieve' && req.kind === 'retrieve') {
    const filter = route.retrieve.filter || req.retrieve.filter ? { ...route.retrieve.filter, ...req.retrieve.filter } : undefined;
    return { kind: 'retrieve', retrieve: { ...route.retrieve, ...defined(req.retrieve), ...(filter ? { filter } : {}) } };
  }
  return req;
}

/** Per-tool limits: a request's value above the route's (or the server default) is a 400. */
function checkToolLimits(req: ToolSpec, route: ToolSpec | undefined, param: string): void {
  if (req.kind === 'retrieve' && route?.kind === 'retrieve') {
    const max = route.retrieve.k ?? DEFAULT_RETRIEVE_K;
    if ((req.retrieve.k ?? DEFAULT_RETRIEVE_K) > max) throw overLimit(`${param}.retrieve.k`, max, 'the route\'s k');
  }
  if (req.kind !== 'run_code') return;
  const own = route?.kind === 'run_code' ? route.run_code : {};
  for (const field of ['timeout_ms', 'memory_mb'] as const satisfies (keyof RunCodeSpec)[]) {
    const value = req.run_code[field];
    const max = own[field] ?? SANDBOX_DEFAULTS[field];
    if (value !== undefined && value > max) {
      throw overLimit(`${param}.run_code.${field}`, max, own[field] !== undefined ? 'the route\'s limit' : 'the server default');
    }
  }
}

/**
 * The tool specs of a call: the route's, with each request entry either narrowing the route's
 * entry of the same source (replacing it) or added when the key may add it. Throws 403 for an
 * entry neither the route nor the key allows, 400 for a limit above the route's.
 */
export function authorizeTools(requested: readonly ToolSpec[], route: RouteTools | null, grant: ToolGrant): ToolSpec[] {
  const specs = [...(route?.tools ?? [])];
  requested.forEach((spec, i) => {
    const param = `assay.tools[${i}]`;
    const at = specs.findIndex((s) => s.kind === spec.kind && sourceOf(s) === sourceOf(spec));
    const own = at >= 0 && at < (route?.tools.length ?? 0) ? specs[at] : undefined;
    const merged = own ? overlay(own, spec) : spec;
    if (!grant.admin) {
      const why = own ? widening(own, merged) : null;
      if ((!own || why) && !keyGrants(spec, grant.tools)) throw notAllowed(param, refusal(spec, route, why));
      checkToolLimits(merged, own, param);
    }
    if (own) specs[at] = merged;
    else specs.push(spec);
  });
  return specs;
}

function refusal(spec: ToolSpec, route: RouteTools | null, why: string | null): string {
  const where = route ? `route "${route.name}"` : 'this model (a provider model has no route tools)';
  const reason = why ?? `${where} does not have it`;
  const fix = route ? `add it to the route's tools in the config, or give the key ${policyHint(spec)}` : `call a route that has it, or give the key ${policyHint(spec)}`;
  return `this key may not add ${describe(spec)}: ${reason}, and the key's policy does not grant it. To allow it, ${fix} (POST /api/keys, docs/tools.md)`;
}

const LOOP_DEFAULTS: Partial<Record<keyof ToolLoopOptions, number>> = toolLoopSchema.parse({});

/** A request's `assay.tool_loop` may only lower the route's limits (or the defaults where it sets none). */
export function checkLoopLimits(requested: Partial<ToolLoopOptions>, route: Partial<ToolLoopOptions> | undefined, grant: ToolGrant): void {
  if (grant.admin) return;
  for (const [field, value] of Object.entries(requested) as [keyof ToolLoopOptions, number | undefined][]) {
    const max = route?.[field] ?? LOOP_DEFAULTS[field];
    if (value !== undefined && max !== undefined && value > max) {
      throw overLimit(`assay.tool_loop.${field}`, max, route?.[field] !== undefined ? 'the route\'s limit' : 'the default');
    }
  }
}
