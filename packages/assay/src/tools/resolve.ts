/**
 * Turns a call's tool specs into runnable tools. Each family (retrieve, run_code, memory, mcp,
 * http) registers a resolver; a family that is missing or cannot provide its tools makes the call
 * fail with a clear error (ToolUnavailableError, or a 4xx for the caller's mistake) — never a
 * silent run without the tools that were asked for.
 */
import { badRequest } from '../errors.js';
import type { Span } from '../tracing/span.js';
import type { CallKey } from '../gateway/spec.js';
import type { ChatMessage } from '../gateway/types.js';
import type { ToolSpec } from './spec.js';
import { TOOL_NAME, ToolUnavailableError, type ServerTool } from './types.js';

export interface ResolveEnv {
  readonly signal: AbortSignal;
  readonly userId: string | null;
  /** The calling key (model allow-list, memory namespace); absent for Assay's own calls. */
  readonly key?: CallKey;
  readonly traceId: string;
  /** The call's root span (a family may record what it did, e.g. memories recalled up front). */
  readonly span: Span;
  /** The conversation as the client sent it (for auto-recall queries). */
  readonly messages: readonly ChatMessage[];
  /** How many specs of the same family this call has (e.g. to name `retrieve_<kb>` tools apart). */
  readonly siblings: number;
}

/** What one spec contributes to a call. */
export interface ResolvedPart {
  tools: ServerTool[];
  /** Text added to the call as a system message before the first step (e.g. recalled memories). */
  context?: string[];
  /** Runs after the final answer, off the response path (e.g. memory extraction). */
  onFinish?: (conversation: ChatMessage[]) => void;
}

export type FamilyResolver<K extends ToolSpec['kind']> = (spec: Extract<ToolSpec, { kind: K }>, env: ResolveEnv) => Promise<ResolvedPart>;

export type ToolFamilies = { [K in ToolSpec['kind']]?: FamilyResolver<K> };

export interface ResolvedTools {
  tools: ServerTool[];
  context: string[];
  onFinish: ((conversation: ChatMessage[]) => void)[];
}

/** Why a family is absent, for the error message. */
const MISSING: Record<ToolSpec['kind'], string> = {
  retrieve: 'knowledge bases are not available on this server',
  run_code: 'code execution is not available on this server',
  memory: 'memory is off: add a `memory:` section with `embedding_model` to the config',
  mcp: 'no MCP servers are configured (`mcp_servers:` in the config)',
  http: 'no HTTP tools are configured (`http_tools:` or `openapi:` in the config)',
};

export class ToolResolver {
  constructor(private readonly families: ToolFamilies) {}

  async resolve(specs: readonly ToolSpec[], env: Omit<ResolveEnv, 'siblings'>): Promise<ResolvedTools> {
    const counts = new Map<string, number>();
    for (const s of specs) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
    const parts = await Promise.all(
      specs.map((spec) => {
        const family = this.families[spec.kind] as FamilyResolver<typeof spec.kind> | undefined;
        if (!family) throw new ToolUnavailableError(spec.kind, `${spec.kind} tools were asked for, but ${MISSING[spec.kind]}`, { status: 400 });
        return family(spec as never, { ...env, siblings: counts.get(spec.kind) ?? 1 });
      }),
    );
    const out: ResolvedTools = { tools: [], context: [], onFinish: [] };
    const seen = new Set<string>();
    for (const part of parts) {
      for (const tool of part.tools) {
        if (!TOOL_NAME.test(tool.name)) throw new ToolUnavailableError(tool.kind, `tool name "${tool.name}" is not a valid function name`);
        if (seen.has(tool.name)) continue; // the same tool asked for twice (route and request)
        seen.add(tool.name);
        out.tools.push(tool);
      }
      out.context.push(...(part.context ?? []));
      if (part.onFinish) out.onFinish.push(part.onFinish);
    }
    return out;
  }
}

/** A 400 for a tool spec the caller got wrong (unknown knowledge base, server, tool). */
export function toolSpecError(message: string, param = 'assay.tools') {
  return badRequest(message, param, 'invalid_tool');
}
