/** Anthropic error bodies (`{type:'error', error:{type, message}, request_id}`) → UpstreamError. */
import { UpstreamError } from '../../errors.js';
import { retryAfterMs, type UpstreamResponse } from '../http.js';

/** The HTTP status Anthropic documents for each error type (used for errors that arrive in a 200 stream). */
export const ANTHROPIC_ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** The `error` object of an Anthropic error body, if `value` is one (also accepts a bare `{type, message}`). */
export function parseAnthropicError(value: unknown): { type?: string; message?: string } | null {
  if (!value || typeof value !== 'object') return null;
  const o = value as Record<string, unknown>;
  const e = o.error && typeof o.error === 'object' ? (o.error as Record<string, unknown>) : null;
  if (e) {
    return {
      type: typeof e.type === 'string' ? e.type : undefined,
      message: typeof e.message === 'string' ? e.message : undefined,
    };
  }
  if (typeof o.error === 'string') return { message: o.error };
  if (typeof o.message === 'string') return { type: typeof o.type === 'string' ? o.type : undefined, message: o.message };
  return null;
}

/** An HTTP error answer: keeps the upstream status, error type and message, and the retry-after hint. */
export function anthropicHttpError(res: Pick<UpstreamResponse, 'status' | 'headers'>, text: string, target: string): UpstreamError {
  let message = text.trim() || `HTTP ${res.status}`;
  let type: string | undefined;
  try {
    const e = parseAnthropicError(JSON.parse(text));
    if (e?.message) message = e.message;
    type = e?.type;
  } catch {
    // not JSON: keep the text
  }
  return new UpstreamError({
    status: res.status,
    message,
    type,
    failure: 'http',
    target,
    retryAfterMs: retryAfterMs(res.headers),
  });
}

/** An `error` event inside an event stream. Before any chunk went out it counts as the HTTP status its type implies. */
export function anthropicEventError(
  data: unknown,
  target: string,
  started: boolean,
): UpstreamError {
  const e = parseAnthropicError(data) ?? {};
  const message = e.message ?? `${target} sent an error event`;
  if (started) {
    return new UpstreamError({ status: 502, failure: 'stream', target, type: e.type, message });
  }
  return new UpstreamError({
    status: (e.type && ANTHROPIC_ERROR_STATUS[e.type]) || 502,
    failure: 'http',
    target,
    type: e.type,
    message,
  });
}

export function streamBroken(target: string, message: string, cause?: unknown): UpstreamError {
  return new UpstreamError({ status: 502, failure: 'stream', target, message, cause });
}
