/**
 * The config file's schema. Provider entries are validated by each provider module's own schema;
 * cross-references (route targets → providers) are checked here so errors name the exact path.
 */
import { z } from 'zod';
import { regexSource } from './regex.js';
import { providerModules } from '../providers/index.js';
import { toolLoopLimitsSchema, toolSpecSchema } from '../tools/spec.js';
import { httpToolsListSchema, openApiListSchema } from '../tools/http/family.js';
import { hostPattern } from '../tools/http/schema.js';
import { mcpServerSchema } from '../tools/mcp/schema.js';
import { promptRefSchema } from '../prompts/types.js';
import { verifySchema } from '../verify/spec.js';
import { keyRateLimitsSchema } from '../keys/policy.js';

const positiveMs = z.number().int().nonnegative();

export const routerDefaultsSchema = z.strictObject({
  /** Extra attempts on the same target for retryable failures. */
  retries: z.number().int().min(0).max(10).default(0),
  /** Time to the response (or to the first chunk of a stream, and then between chunks), per attempt. */
  timeout_ms: positiveMs.default(60_000),
  /** First backoff between retries; doubles each time, with full jitter. */
  backoff_ms: positiveMs.default(200),
  max_backoff_ms: positiveMs.default(5_000),
  /** A retry-after longer than this moves on to the next target instead of waiting. */
  max_retry_after_ms: positiveMs.default(10_000),
  /** Consecutive failures that put a target in cooldown, and for how long. */
  cooldown_failures: z.number().int().min(1).default(3),
  cooldown_ms: positiveMs.default(30_000),
});

const modelRef = z
  .string()
  .regex(/^[^/\s]+\/\S+$/, { message: 'must be "<provider id>/<model>", e.g. upstream/gpt-4o-mini' });

export const routeSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .regex(/^[^/\s]+$/, { message: 'route names cannot contain "/" or spaces (that form addresses a provider model)' }),
  targets: z
    .array(z.strictObject({ model: modelRef, weight: z.number().positive().default(1), timeout_ms: positiveMs.optional() }))
    .min(1, { message: 'a route needs at least one target' }),
  /** Tried in order after the picked target fails: "<provider>/<model>" or {model, timeout_ms}. */
  fallbacks: z
    .array(z.union([modelRef.transform((model): { model: string; timeout_ms?: number } => ({ model })), z.strictObject({ model: modelRef, timeout_ms: positiveMs.optional() })]))
    .default([]),
  retries: routerDefaultsSchema.shape.retries.optional(),
  timeout_ms: positiveMs.optional(),
  description: z.string().optional(),
  /** Server-side tools the gateway runs for calls to this route (tools/spec.ts, docs/tools.md). */
  tools: z.array(toolSpecSchema).default([]),
  /** Limits of the tool loop for this route. */
  tool_loop: toolLoopLimitsSchema.optional(),
  /** A registry prompt every call to this route starts with: {name, label | version} (docs/prompts.md). */
  prompt: promptRefSchema.optional(),
  /** How answers of this route are verified before the client sees them (verify/spec.ts, docs/verify.md). */
  verify: verifySchema.optional(),
});

const providerTypes = providerModules.map((m) => m.type);

export type ProviderConfig = { id: string; type: string; [k: string]: unknown };

/** A provider entry, validated by the schema of the provider module its `type` names. */
const providerSchema = z.unknown().transform((value, ctx): ProviderConfig => {
  const type = (value as { type?: unknown } | null)?.type;
  const mod = providerModules.find((m) => m.type === type);
  if (!mod) {
    ctx.addIssue({
      code: 'custom',
      path: ['type'],
      message: `unknown provider type ${JSON.stringify(type)}; use one of: ${providerTypes.join(', ')}`,
    });
    return z.NEVER;
  }
  const r = mod.configSchema.safeParse(value);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: issue.path as (string | number)[], message: issue.message });
    return z.NEVER;
  }
  return r.data as ProviderConfig;
});

const ingestSchema = z.strictObject({
  /** OTLP and Langfuse ingest bodies above this (after decompression) get 413. */
  max_body_bytes: z.number().int().positive().default(20 * 1024 * 1024),
});

const redactSchema = z.strictObject({
  /** Built-in detectors to apply to every stored payload. */
  builtins: z.array(z.enum(['emails', 'phones', 'cards', 'api_keys'])).default([]),
  custom: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        /** A regular expression in RE2 syntax (without slashes; linear time, so no lookaround or backreferences); applied globally. */
        pattern: regexSource('pattern'),
        flags: z.string().regex(/^[imsu]*$/, 'flags may be i, m, s, u').default(''),
        replacement: z.string().default('[REDACTED]'),
      }),
    )
    .default([]),
});

const governanceSchema = z.strictObject({
  /** Observations and scores older than this many days are deleted; unset keeps everything. */
  retention_days: z.number().positive().optional(),
  /** How often the retention job runs. */
  retention_interval_ms: z.number().int().positive().default(3_600_000),
  redact: redactSchema.default(redactSchema.parse({})),
});

const smtpSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().positive().default(587),
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().optional(),
  password: z.string().optional(),
  from: z.string().min(1),
});

/** End-user feedback from browsers (POST /api/public/feedback, docs/feedback.md). */
const feedbackSchema = z.strictObject({
  /** Origins allowed to post feedback (CORS); ["*"] = any. Only this endpoint answers CORS. */
  cors_origins: z.array(z.string().min(1)).default(['*']),
  /** Feedback posts per minute per key and client IP. */
  rate_per_minute: z.number().int().positive().default(60),
});

const alertsSchema = z.strictObject({
  /** How often alert rules are evaluated. */
  interval_ms: z.number().int().positive().default(60_000),
  smtp: smtpSchema.optional(),
  /** Webhook/Slack receivers on private addresses that channels may use (`host[:port]`, `*.domain`); others must be public. */
  allow_hosts: z.array(hostPattern).default([]),
});

/** A model as the gateway addresses it: "<provider id>/<model>" or a route name. */
const modelOrRoute = z.string().min(1).regex(/^\S+$/, { message: 'must be "<provider id>/<model>" or a route name' });

const knowledgeSchema = z.strictObject({
  /** The embedding model a new knowledge base gets when its creator names none. */
  default_embedding_model: modelOrRoute.optional(),
  /** Uploaded documents above this size get 413. */
  max_document_bytes: z.number().int().positive().default(50 * 1024 * 1024),
  /** Texts per embeddings request during ingest. */
  embed_batch_size: z.number().int().min(1).max(2048).default(64),
  /** Chunking: target tokens per chunk and overlap between neighbours. */
  chunk_tokens: z.number().int().min(32).max(8192).default(512),
  chunk_overlap: z.number().int().min(0).max(4096).default(64),
}).refine((k) => k.chunk_overlap <= Math.floor(k.chunk_tokens / 2), {
  message: 'chunk_overlap must be at most half of chunk_tokens',
  path: ['chunk_overlap'],
});

const memorySchema = z.strictObject({
  /** Embeds memories and recall queries; memory is off when unset. */
  embedding_model: modelOrRoute,
  /** Extracts durable facts from a finished conversation (routes with `memory: {extract: true}`). */
  extract_model: modelOrRoute.optional(),
  /** Memories recalled into a call. */
  recall_k: z.number().int().min(1).max(50).default(5),
  /** Oldest memories beyond this many per user are dropped. */
  max_per_user: z.number().int().min(1).max(1_000_000).default(10_000),
});

export const configSchema = z
  .strictObject({
    providers: z.array(providerSchema).default([]),
    routes: z.array(routeSchema).default([]),
    router: routerDefaultsSchema.default(routerDefaultsSchema.parse({})),
    tracing: z
      .strictObject({
        /** Store request and response bodies with traces. */
        store_bodies: z.boolean().default(true),
        batch_size: z.number().int().positive().default(500),
        flush_interval_ms: z.number().int().positive().default(50),
        queue_capacity: z.number().int().positive().default(50_000),
        /** Estimated bytes of queued spans past which new calls wait (tracing/recorder.ts). */
        queue_capacity_bytes: z.number().int().positive().default(256_000_000),
        /** Trace values nested deeper than this are replaced by a marker (tracing/sanitize.ts). */
        max_depth: z.number().int().min(1).max(1_000).default(64),
        /** Strings in traces longer than this many characters are cut, with a marker. */
        max_string_length: z.number().int().positive().default(1_000_000),
        /** A trace field (input, output, metadata …) larger than about this many bytes is cut, with a marker. */
        max_value_bytes: z.number().int().positive().default(8_000_000),
      })
      .default({
        store_bodies: true,
        batch_size: 500,
        flush_interval_ms: 50,
        queue_capacity: 50_000,
        queue_capacity_bytes: 256_000_000,
        max_depth: 64,
        max_string_length: 1_000_000,
        max_value_bytes: 8_000_000,
      }),
    limits: z
      .strictObject({
        /** Request bodies above this get 413. */
        max_body_bytes: z.number().int().positive().default(10 * 1024 * 1024),
        /** A stream is ended with an error event after this long. */
        max_stream_ms: z.number().int().positive().default(30 * 60_000),
        /** Rate and concurrency limits of every key whose policy does not set its own (docs/limits.md); none by default. */
        per_key: keyRateLimitsSchema.default({}),
        /** Requests per minute per key on the management API (routes that need the admin or read scope); null: no limit. */
        api_requests_per_minute: z.number().int().positive().nullable().default(600),
      })
      .default({ max_body_bytes: 10 * 1024 * 1024, max_stream_ms: 30 * 60_000, per_key: {}, api_requests_per_minute: 600 }),
    ingest: ingestSchema.default(ingestSchema.parse({})),
    governance: governanceSchema.default(governanceSchema.parse({})),
    alerts: alertsSchema.default(alertsSchema.parse({})),
    knowledge: knowledgeSchema.default(knowledgeSchema.parse({})),
    /** MCP servers whose tools routes can use (`tools: [{ mcp: { server } }]`); docs/tools-mcp.md. */
    mcp_servers: z.array(mcpServerSchema).default([]),
    /** HTTP APIs as tools (`tools: [{ http: { name } }]`); docs/tools-http.md. */
    http_tools: httpToolsListSchema.default([]),
    /** OpenAPI documents whose operations become tools (`tools: [{ http: { openapi } }]`). */
    openapi: openApiListSchema.default([]),
    /** Long-term memory per end user (docs/memory.md). */
    memory: memorySchema.optional(),
    feedback: feedbackSchema.default(feedbackSchema.parse({})),
    /** Shared state for several Assay instances (budget counters); in memory when unset. */
    /** Shared state for several instances: budget counters and rate limits. `key_prefix` starts every Redis key Assay writes. */
    redis: z.strictObject({ url: z.string().min(1), key_prefix: z.string().min(1).max(100).default('assay:') }).optional(),
  })
  .superRefine((cfg, ctx) => {
    const ids = new Map<string, number>();
    cfg.providers.forEach((p, i) => {
      if (ids.has(p.id)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'id'], message: `duplicate provider id "${p.id}"` });
      ids.set(p.id, i);
    });
    const known = new Set([...ids.keys(), 'local']);
    const check = (ref: string, path: (string | number)[]) => {
      const pid = ref.slice(0, ref.indexOf('/'));
      if (!known.has(pid)) {
        ctx.addIssue({ code: 'custom', path, message: `provider "${pid}" is not defined in providers (defined: ${[...known].join(', ')})` });
      }
    };
    const names = new Set<string>();
    cfg.routes.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `duplicate route name "${r.name}"` });
      names.add(r.name);
      r.targets.forEach((t, j) => check(t.model, ['routes', i, 'targets', j, 'model']));
      r.fallbacks.forEach((f, j) => check(f.model, ['routes', i, 'fallbacks', j]));
      r.tools.forEach((t, j) => {
        const path = ['routes', i, 'tools', j];
        if (t.kind === 'mcp' && !cfg.mcp_servers.some((m) => m.name === t.mcp.server)) {
          ctx.addIssue({ code: 'custom', path: [...path, 'mcp', 'server'], message: `MCP server "${t.mcp.server}" is not defined in mcp_servers (defined: ${cfg.mcp_servers.map((m) => m.name).join(', ') || 'none'})` });
        }
        if (t.kind === 'http' && 'name' in t.http && !cfg.http_tools.some((h) => h.name === (t.http as { name: string }).name)) {
          ctx.addIssue({ code: 'custom', path: [...path, 'http', 'name'], message: `http tool "${t.http.name}" is not defined in http_tools (defined: ${cfg.http_tools.map((h) => h.name).join(', ') || 'none'})` });
        }
        if (t.kind === 'http' && 'openapi' in t.http && !cfg.openapi.some((o) => o.name === (t.http as { openapi: string }).openapi)) {
          ctx.addIssue({ code: 'custom', path: [...path, 'http', 'openapi'], message: `openapi source "${t.http.openapi}" is not defined in openapi (defined: ${cfg.openapi.map((o) => o.name).join(', ') || 'none'})` });
        }
        if (t.kind === 'memory' && !cfg.memory) {
          ctx.addIssue({ code: 'custom', path: [...path], message: 'memory tools need a `memory:` section with `embedding_model`' });
        }
      });
    });
    const mcpNames = new Set<string>();
    cfg.mcp_servers.forEach((m, i) => {
      if (mcpNames.has(m.name)) ctx.addIssue({ code: 'custom', path: ['mcp_servers', i, 'name'], message: `duplicate MCP server name "${m.name}"` });
      mcpNames.add(m.name);
    });
  });

export type AssayConfig = z.infer<typeof configSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type RouterDefaults = z.infer<typeof routerDefaultsSchema>;
export type KnowledgeConfig = z.infer<typeof knowledgeSchema>;
export type MemoryConfig = z.infer<typeof memorySchema>;
