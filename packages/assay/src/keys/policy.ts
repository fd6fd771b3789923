/**
 * A key's own policy, set by the admin who creates it (docs/security.md). The route config is the
 * operator's policy and a request may only narrow it; a key's policy can widen what a route allows
 * for that key alone (server-side tools it may add to a call) and narrows everything else (a bound
 * end user, rate and concurrency limits). Absent fields change nothing.
 */
import { z } from 'zod';
import { NAMESPACE_HELP, NAMESPACE_PATTERN } from '../memory/owner.js';

const sourceName = z.string().min(1).max(200);

/** Server-side tools this key may add to a call beyond what the route already has. */
export const keyToolsSchema = z.strictObject({
  /** The run_code tool (code execution in the sandbox). */
  run_code: z.boolean().optional(),
  /** The remember / recall memory tools. */
  memory: z.boolean().optional(),
  /** Knowledge bases the retrieve tool may search; "*" = all. */
  knowledge_bases: z.array(sourceName).max(1000).optional(),
  /** MCP servers (names in `mcp_servers:`) whose tools the key may use; "*" = all. */
  mcp_servers: z.array(sourceName).max(1000).optional(),
  /** HTTP tools (names in `http_tools:` or OpenAPI documents) the key may use; "*" = all. */
  http_tools: z.array(sourceName).max(1000).optional(),
});

const positiveInt = z.number().int().positive();

/** Per-key limits: requests and tokens per minute, calls in flight at once. */
export const keyRateLimitsSchema = z.strictObject({
  requests_per_minute: positiveInt.optional(),
  tokens_per_minute: positiveInt.optional(),
  max_in_flight: positiveInt.optional(),
});

export const keyPolicySchema = z.strictObject({
  tools: keyToolsSchema.optional(),
  /**
   * The end user every call of this key is attributed to (memory, budgets, traces). A request that
   * names another user (`user`, `x-assay-user`) is refused, so a per-user budget cannot be dodged
   * by inventing users.
   */
  user: z.string().min(1).max(200).optional(),
  /**
   * Whose end users' memories this key's calls read and write (docs/memory.md). Default: the key's
   * own id, so no other key sees them; keys of one app that share end users share a namespace.
   */
  memory_namespace: z.string().regex(NAMESPACE_PATTERN, { message: NAMESPACE_HELP }).optional(),
  rate_limits: keyRateLimitsSchema.optional(),
});

export type KeyTools = z.infer<typeof keyToolsSchema>;
export type KeyRateLimits = z.infer<typeof keyRateLimitsSchema>;
export type KeyPolicy = z.infer<typeof keyPolicySchema>;

/** The memory namespace of a key's calls: its policy's `memory_namespace`, else its id. */
export function memoryNamespaceOf(key: { id: string; policy?: KeyPolicy | null }): string {
  return key.policy?.memory_namespace ?? key.id;
}

/** Whether a name is in an allow-list ("*" allows every name); an absent list allows none. */
export function listAllows(list: readonly string[] | undefined, name: string): boolean {
  return !!list && (list.includes('*') || list.includes(name));
}
