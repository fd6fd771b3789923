/**
 * Which server-side tools a call gets: the `tools:` list of a route in the config, or
 * `assay.tools` in a request body, and the loop's limits (`tool_loop:` / `assay.tool_loop`).
 *
 *   tools:
 *     - retrieve: { kb: docs, k: 5 }
 *     - run_code                      # or { run_code: { timeout_ms: 2000 } }
 *     - memory                        # or { memory: { recall: auto, extract: true } }
 *     - mcp: { server: files }
 *     - http: { name: weather }       # or { http: { openapi: petstore } }
 *
 * Each entry is checked on its own so an error names the entry and the field to fix.
 */
import { z } from 'zod';

/** Chunks a retrieve tool returns per search when its spec sets no `k`. */
export const DEFAULT_RETRIEVE_K = 5;

const retrieveSpec = z.strictObject({
  /** Knowledge base name or id. */
  kb: z.string().min(1),
  /** Chunks returned per search (default DEFAULT_RETRIEVE_K; a request entry without it keeps the route's). */
  k: z.number().int().min(1).max(50).optional(),
  /** Metadata equality filters applied to every search of this tool. */
  filter: z.record(z.string(), z.unknown()).optional(),
  arms: z.enum(['hybrid', 'vector', 'text']).default('hybrid'),
  /** The function name the model sees; default `retrieve` (or `retrieve_<kb>` when a call has several). */
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/).optional(),
  /** Tells the model what the knowledge base holds (used in the tool description). */
  description: z.string().max(2000).optional(),
});

const runCodeSpec = z.strictObject({
  timeout_ms: z.number().int().min(1).max(60_000).optional(),
  memory_mb: z.number().int().min(1).max(1024).optional(),
});

const memorySpec = z.strictObject({
  /** `tool`: the model calls `recall`; `auto`: the user's top memories are added to the call first. */
  recall: z.enum(['tool', 'auto']).default('tool'),
  /** Extract durable facts from the conversation after the answer (needs memory.extract_model). */
  extract: z.boolean().default(false),
});

const mcpSpec = z.strictObject({
  server: z.string().min(1),
  /** Only these tools of the server (its own tool names). */
  tools: z.array(z.string().min(1)).optional(),
});

const httpSpec = z.union([z.strictObject({ name: z.string().min(1) }), z.strictObject({ openapi: z.string().min(1) })], {
  message: 'http needs { name: <an http_tools entry> } or { openapi: <an openapi entry> }',
});

export type RetrieveSpec = z.infer<typeof retrieveSpec>;
export type RunCodeSpec = z.infer<typeof runCodeSpec>;
export type MemorySpec = z.infer<typeof memorySpec>;
export type McpSpec = z.infer<typeof mcpSpec>;
export type HttpSpec = z.infer<typeof httpSpec>;

export type ToolSpec =
  | { kind: 'retrieve'; retrieve: RetrieveSpec }
  | { kind: 'run_code'; run_code: RunCodeSpec }
  | { kind: 'memory'; memory: MemorySpec }
  | { kind: 'mcp'; mcp: McpSpec }
  | { kind: 'http'; http: HttpSpec };

const families = {
  retrieve: retrieveSpec,
  run_code: runCodeSpec,
  memory: memorySpec,
  mcp: mcpSpec,
  http: httpSpec,
} as const;
type Family = keyof typeof families;
const FAMILY_NAMES = Object.keys(families).join(', ');
/** Families that may be named bare, without options. */
const BARE: Family[] = ['run_code', 'memory'];

/** One entry of a tools list: a bare name (`run_code`) or `{ <family>: { …options } }`. */
export const toolSpecSchema = z.unknown().transform((value, ctx): ToolSpec => {
  if (typeof value === 'string') {
    if ((BARE as string[]).includes(value)) return { kind: value, [value]: families[value as 'run_code' | 'memory'].parse({}) } as ToolSpec;
    ctx.addIssue({
      code: 'custom',
      message: `unknown tool "${value}": a bare name can be ${BARE.join(' or ')}; others need options, e.g. { retrieve: { kb: docs } } (families: ${FAMILY_NAMES})`,
    });
    return z.NEVER;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length !== 1) {
    ctx.addIssue({ code: 'custom', message: `a tool is a name or an object with exactly one key, one of: ${FAMILY_NAMES}` });
    return z.NEVER;
  }
  const [family, options] = Object.entries(value)[0];
  const schema = families[family as Family];
  if (!schema) {
    ctx.addIssue({ code: 'custom', path: [family], message: `unknown tool family "${family}"; use one of: ${FAMILY_NAMES}` });
    return z.NEVER;
  }
  const r = (schema as z.ZodType).safeParse(options ?? {});
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: [family, ...(issue.path as (string | number)[])], message: issue.message });
    return z.NEVER;
  }
  return { kind: family, [family]: r.data } as ToolSpec;
});

const loopLimits = {
  /** Model calls per request, the final answer included. */
  max_steps: z.number().int().min(1).max(32),
  /** Tokens (prompt + completion, all steps) after which the model must answer without more tools. */
  max_total_tokens: z.number().int().positive(),
  /** Time after which running tools are cancelled and the model must answer. */
  timeout_ms: z.number().int().positive(),
  /** Characters of one tool result fed back to the model (the rest is cut, saying so). */
  max_tool_output_chars: z.number().int().min(256).max(1_000_000),
};

export const toolLoopSchema = z.strictObject({
  ...loopLimits,
  max_steps: loopLimits.max_steps.default(8),
  max_total_tokens: loopLimits.max_total_tokens.optional(),
  timeout_ms: loopLimits.timeout_ms.optional(),
  max_tool_output_chars: loopLimits.max_tool_output_chars.default(32_000),
});

/** `tool_loop:` of a route or `assay.tool_loop` of a request: only the limits it sets (no defaults filled in). */
export const toolLoopLimitsSchema = z.strictObject({
  max_steps: loopLimits.max_steps.optional(),
  max_total_tokens: loopLimits.max_total_tokens.optional(),
  timeout_ms: loopLimits.timeout_ms.optional(),
  max_tool_output_chars: loopLimits.max_tool_output_chars.optional(),
});

export type ToolLoopOptions = z.infer<typeof toolLoopSchema>;

/** The `assay` extension's tool fields in a request body. */
export const requestToolsSchema = z.object({
  tools: z.array(toolSpecSchema).max(32).optional(),
  tool_loop: toolLoopLimitsSchema.optional(),
  /** Stream progress events for tool steps (chunks with `choices: []` and an `assay` field). */
  progress: z.boolean().optional(),
});
