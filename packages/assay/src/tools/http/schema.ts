/**
 * Config schemas of HTTP tools: one `http_tools:` entry (`httpToolSchema`) and one `openapi:`
 * source (`openApiSourceSchema`). The URL template is checked here: every `{placeholder}` must be
 * a declared parameter, the scheme must be http(s), and a host that is itself a placeholder needs
 * an explicit `allow_hosts`. Parsing fills the defaults (method GET, body by method, allow_hosts =
 * the template's own host), and is idempotent: a parsed config parses to itself.
 */
import { z } from 'zod';
import { TOOL_NAME } from '../types.js';
import { parseHostPattern } from './ssrf.js';
import { placeholders, sampleUrl, splitUrlTemplate, templateProblems } from './template.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;
/** Redirects followed per call (each hop re-checked). */
export const MAX_REDIRECTS = 3;

const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive']);

const method = z.preprocess(
  (v) => (typeof v === 'string' ? v.toUpperCase() : v),
  z.enum(HTTP_METHODS, { message: `method must be one of ${HTTP_METHODS.join(', ')}` }),
);

/** One allow_hosts entry (also alerts.allow_hosts). */
export const hostPattern = z.string().superRefine((p, ctx) => {
  try {
    parseHostPattern(p);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const headers = z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid header name'), z.string()).superRefine((h, ctx) => {
  for (const [name, value] of Object.entries(h)) {
    if (FORBIDDEN_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: `the ${name} header is set by Assay and cannot be configured` });
    if (/[\r\n\0]/.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'header values cannot contain line breaks' });
    for (const p of templateProblems(value)) ctx.addIssue({ code: 'custom', path: [name], message: p });
  }
});

/** The JSON Schema of the tool's arguments: an object schema. */
const parametersSchema = z.looseObject({
  type: z.literal('object', { message: 'parameters must be a JSON Schema with type: object' }),
  properties: z.record(z.string(), z.record(z.string(), z.unknown(), { message: 'each property must be a JSON Schema object' })).optional(),
  required: z.array(z.string()).optional(),
});

const limits = {
  allow_hosts: z.array(hostPattern).min(1, { message: 'allow_hosts needs at least one host' }).optional(),
  allow_private: z.boolean().optional(),
  timeout_ms: z.number().int().positive().max(600_000).optional(),
  max_response_bytes: z.number().int().positive().max(64 * 1024 * 1024).optional(),
};

const httpToolObject = z.strictObject({
  name: z.string().regex(TOOL_NAME, { message: 'name must be 1-64 letters, digits, _ or - (a function name the model can call)' }),
  description: z.string().min(1, { message: 'description tells the model what the tool does; it cannot be empty' }),
  method: method.default('GET'),
  /** `https://host/path/{param}?q={param}`; `${ENV}` is interpolated at config load, `{param}` per call. */
  url: z.string().min(1),
  parameters: parametersSchema.default({ type: 'object', properties: {} }),
  headers: headers.default({}),
  /** `json`: arguments the URL/headers do not use become a JSON body; `none`: they go to the query string. */
  body: z.enum(['json', 'none'], { message: 'body must be "json" or "none"' }).optional(),
  /** Send this one argument as the whole JSON body (OpenAPI request bodies); the rest go to the query. */
  body_arg: z.string().min(1).optional(),
  ...limits,
  allow_private: z.boolean().default(false),
  timeout_ms: limits.timeout_ms.unwrap().default(DEFAULT_TIMEOUT_MS),
  max_response_bytes: limits.max_response_bytes.unwrap().default(DEFAULT_MAX_RESPONSE_BYTES),
});

export const httpToolSchema = httpToolObject
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const declared = Object.keys(c.parameters.properties ?? {});
    const list = declared.length ? declared.join(', ') : 'none';
    for (const p of templateProblems(c.url)) issue(['url'], p);
    const t = splitUrlTemplate(c.url);
    if (!t || !sampleUrl(c.url)) {
      issue(['url'], `url must be an absolute http:// or https:// URL template, got "${c.url}"`);
      return;
    }
    for (const name of placeholders(c.url)) {
      if (!declared.includes(name)) issue(['url'], `placeholder {${name}} is not a declared parameter (declared: ${list}); add it to parameters.properties`);
    }
    for (const [h, value] of Object.entries(c.headers)) {
      for (const name of placeholders(value)) {
        if (!declared.includes(name)) issue(['headers', h], `placeholder {${name}} is not a declared parameter (declared: ${list})`);
      }
    }
    if (placeholders(t.authority).length && !c.allow_hosts) {
      issue(['allow_hosts'], 'the url host contains a placeholder, so allow_hosts must list the hosts it may become');
    }
    (c.parameters.required ?? []).forEach((r, i) => {
      if (!declared.includes(r)) issue(['parameters', 'required', i], `"${r}" is required but not in parameters.properties`);
    });
    if (c.method === 'GET' && c.body === 'json') issue(['body'], 'GET requests cannot have a body; use body: none (arguments go to the query string)');
    if (c.body_arg !== undefined) {
      if (!declared.includes(c.body_arg)) issue(['body_arg'], `body_arg "${c.body_arg}" is not a declared parameter (declared: ${list})`);
      if (c.method === 'GET' || c.body === 'none') issue(['body_arg'], 'body_arg needs a request body (a method other than GET, and body: json)');
    }
  })
  .transform((c) => {
    const sample = sampleUrl(c.url)!;
    return {
      ...c,
      body: c.body ?? (c.method === 'POST' || c.method === 'PUT' || c.method === 'PATCH' || c.body_arg ? 'json' : 'none'),
      allow_hosts: c.allow_hosts ?? [sample.port ? sample.host : sample.hostname],
    };
  });

/** A validated HTTP tool config (defaults filled). */
export type HttpToolConfig = z.output<typeof httpToolSchema>;
/** What a config file (or code) may write. */
export type HttpToolInput = z.input<typeof httpToolSchema>;

/** An `openapi:` entry: every operation of the spec (or the listed ones) becomes a tool. */
export const openApiSourceSchema = z.strictObject({
  /** Prefix of the tool names: `<name>_<operationId>`; also how a route names the source. */
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, { message: 'name must be 1-40 letters, digits, _ or - (it prefixes the tool names)' }),
  /** A file path (JSON or YAML, relative to the config file) or the document inline. */
  spec: z.union([z.string().min(1), z.record(z.string(), z.unknown())], { message: 'spec must be a file path or an inline OpenAPI document' }),
  /** Overrides servers[0].url of the document. */
  base_url: z.url({ protocol: /^https?$/, message: 'base_url must be an http(s) URL such as https://api.example.com/v1' }).optional(),
  /** Only these operationIds become tools. */
  operations: z.array(z.string().min(1)).min(1).optional(),
  /** Sent with every call (e.g. Authorization: Bearer ${PETSTORE_TOKEN}). */
  headers: headers.optional(),
  ...limits,
});

export type OpenApiSource = z.output<typeof openApiSourceSchema>;

/** Issues of a zod error as `path: message` lines. */
export function formatIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    const where = [prefix, path].filter(Boolean).join(prefix && path && !path.startsWith('[') ? '.' : '');
    return where ? `${where}: ${i.message}` : i.message;
  });
}

/** Parses one tool config, throwing an Error that lists every problem. */
export function parseHttpTool(raw: unknown): HttpToolConfig {
  const r = httpToolSchema.safeParse(raw);
  if (r.success) return r.data;
  const name = (raw as { name?: unknown } | null)?.name;
  throw new Error(`invalid HTTP tool${typeof name === 'string' ? ` "${name}"` : ''}:\n${formatIssues(r.error).map((p) => `  - ${p}`).join('\n')}`);
}
