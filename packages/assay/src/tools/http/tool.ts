/**
 * `createHttpTool(config)`: a ServerTool (kind `http`) that fills the URL/header templates from
 * the model's arguments, sends the request through the SSRF-safe agent, and returns the response
 * body. Bad arguments, refused targets and non-2xx answers are error results the model reads;
 * timeouts and network failures throw (the tool loop reports them).
 */
import type { Dispatcher } from 'undici';
import { VERSION } from '../../version.js';
import type { JsonSchema, ServerTool, ToolContext, ToolResult } from '../types.js';
import { argumentProblems, sendableArgs } from './args.js';
import { sendRequest, type ReceivedResponse } from './client.js';
import { formatResponse, mediaType, traceUrl } from './response.js';
import { parseHttpTool, type HttpToolConfig, type HttpToolInput } from './schema.js';
import { createSafeAgent, findRefusal, parseHostPattern, sharedSafeAgent, type Resolver } from './ssrf.js';
import { appendQuery, ArgumentError, fillTemplates, placeholders, splitUrlTemplate } from './template.js';

export interface HttpToolOptions {
  /** Sends the requests (tests: a MockAgent). Default: the SSRF-safe agent for the config. */
  dispatcher?: Dispatcher;
  /** Resolves hostnames for the safe agent (tests: a fake resolver). Default: the system resolver. */
  lookup?: Resolver;
}

const USER_AGENT = `assay-http-tool/${VERSION}`;

/** The parameters the model sees: the configured schema, with path placeholders made required. */
function exposedParameters(config: HttpToolConfig): JsonSchema {
  const t = splitUrlTemplate(config.url)!;
  const pathArgs = placeholders(t.authority + t.path);
  const required = [...new Set([...(config.parameters.required ?? []), ...pathArgs])];
  return { ...config.parameters, properties: config.parameters.properties ?? {}, ...(required.length ? { required } : {}) };
}

/** Builds the request of one call; throws ArgumentError for unusable arguments. */
function buildRequest(config: HttpToolConfig, parameters: JsonSchema, args: Record<string, unknown>) {
  const sendable = sendableArgs(parameters, args);
  const built = fillTemplates(config.url, config.headers, sendable);
  const rest = Object.entries(sendable).filter(([k]) => !built.used.has(k) && k !== config.body_arg);
  let body: string | undefined;
  const query: string[] = [];
  if (config.body === 'json' && config.body_arg === undefined) {
    body = JSON.stringify(Object.fromEntries(rest));
  } else {
    for (const [k, v] of rest) appendQuery(query, k, v);
    if (config.body_arg !== undefined && sendable[config.body_arg] !== undefined) body = JSON.stringify(sendable[config.body_arg]);
  }
  let url: URL;
  try {
    const full = query.length ? `${built.url}${built.url.includes('?') ? '&' : '?'}${query.join('&')}` : built.url;
    url = new URL(full);
  } catch {
    throw new ArgumentError('the arguments do not form a valid URL (check the values that fill the host)');
  }
  return { url, headers: built.headers, body };
}

export function createHttpTool(input: HttpToolConfig | HttpToolInput, opts: HttpToolOptions = {}): ServerTool {
  const config = parseHttpTool(input);
  const parameters = exposedParameters(config);
  const t = splitUrlTemplate(config.url)!;
  const pathArgs = placeholders(t.authority + t.path);
  const allowHosts = config.allow_hosts.map(parseHostPattern);
  let dispatcher = opts.dispatcher;
  const getDispatcher = () =>
    (dispatcher ??= opts.lookup ? createSafeAgent({ allowPrivate: config.allow_private, resolve: opts.lookup }) : sharedSafeAgent(config.allow_private));

  async function run(input: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult> {
    const args = input && typeof input === 'object' && !Array.isArray(input) ? input : {};
    const problems = argumentProblems(parameters, args, pathArgs);
    if (problems.length) return { content: `invalid arguments for ${config.name}: ${problems.join('; ')}`, isError: true };
    let req: ReturnType<typeof buildRequest>;
    try {
      req = buildRequest(config, parameters, args);
    } catch (err) {
      if (err instanceof ArgumentError) return { content: `invalid arguments for ${config.name}: ${err.message}`, isError: true };
      throw err;
    }
    const trace = { method: config.method as string, url: traceUrl(req.url), status: null as number | null, bytes: 0, redirects: 0 };
    const record = () => ctx.span.meta({ http: { ...trace } });
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error('timeout')), config.timeout_ms);
    const signal = AbortSignal.any([ctx.signal, timeout.signal]);
    let res: ReceivedResponse;
    try {
      res = await sendRequest(
        { method: config.method, url: req.url, headers: req.headers, body: req.body },
        {
          dispatcher: getDispatcher(),
          signal,
          maxBytes: config.max_response_bytes,
          allowHosts,
          allowPrivate: config.allow_private,
          userAgent: USER_AGENT,
          onHop: (url, method) => Object.assign(trace, { url: traceUrl(url), method }),
        },
      );
    } catch (err) {
      record();
      const refusal = findRefusal(err);
      if (refusal) return { content: `${config.name}: ${refusal.message}`, isError: true, data: { refused: true, url: trace.url } };
      if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error(`${config.name}: the call was cancelled`, { cause: err });
      if (timeout.signal.aborted) throw new Error(`${config.name}: no complete answer from ${trace.url} within ${config.timeout_ms} ms`, { cause: err });
      const e = err as { code?: string; message?: string };
      throw new Error(`${config.name}: ${trace.method} ${trace.url} failed: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    Object.assign(trace, { status: res.status, bytes: res.body.length, redirects: res.redirects });
    record();
    const { content, isError } = formatResponse(res);
    return {
      content,
      isError: isError || undefined,
      data: { status: res.status, url: trace.url, content_type: mediaType(res).mime || null, bytes: res.body.length, truncated: res.truncated },
      citations: isError ? undefined : [{ type: 'url', id: trace.url, source: config.name }],
    };
  }

  return { name: config.name, description: config.description, parameters, kind: 'http', run };
}
