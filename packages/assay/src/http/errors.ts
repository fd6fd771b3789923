/**
 * Error rendering: `/v1/*` answers in the OpenAI error shape, everything else as
 * {error:{message, code}}. Headers such as retry-after travel with the error.
 */
import type { Context } from 'hono';
import { AssayError, InternalError, UpstreamError, toAssayError } from '../errors.js';

export function isModelApi(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

export function errorBody(err: AssayError, modelApi: boolean): unknown {
  return modelApi
    ? { error: { message: err.message, type: err.type, param: err.param, code: err.code } }
    : { error: { message: err.message, code: err.code ?? err.type } };
}

export function errorHeaders(err: AssayError): Record<string, string> {
  const headers: Record<string, string> = { ...err.headers };
  if (err instanceof UpstreamError && err.retryAfterMs !== null) {
    headers['retry-after'] = String(Math.ceil(err.retryAfterMs / 1000));
    headers['retry-after-ms'] = String(Math.round(err.retryAfterMs));
  }
  // Clients (openai-node) retry 408/409/429/5xx unless told otherwise; a request's own fault is not retried.
  if (err.status >= 400 && err.status < 500 && ![408, 409, 429].includes(err.status)) headers['x-should-retry'] = 'false';
  return headers;
}

export function errorResponse(c: Context, err: unknown, extraHeaders: Record<string, string> = {}): Response {
  const e = toAssayError(err);
  if (e.status >= 500 && !(e instanceof UpstreamError) && !(e instanceof InternalError)) {
    // A failure Assay explained (a tool source that cannot serve, the sandbox busy) is one line; a bug gets its stack.
    if (e.status === 500) console.error(`[assay] ${c.req.method} ${c.req.path}:`, (e.cause as Error)?.stack ?? e.stack);
    else console.error(`[assay] ${c.req.method} ${c.req.path}: ${e.status} ${e.code ?? e.type}: ${e.message}`);
  }
  const status = e.status === 499 ? 499 : e.status;
  return new Response(JSON.stringify(errorBody(e, isModelApi(c.req.path))), {
    status,
    headers: { 'content-type': 'application/json', ...errorHeaders(e), ...extraHeaders },
  });
}
