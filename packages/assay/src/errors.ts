/**
 * One error type for everything a caller can be told about. HTTP surfaces render it:
 * `/v1/*` in the OpenAI error shape, `/api/*` as {error:{message, code}}.
 */
import { randomBytes } from 'node:crypto';

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'upstream_error'
  | 'timeout_error'
  | 'unavailable_error';

export interface AssayErrorInit {
  status: number;
  message: string;
  type?: ErrorType | string;
  code?: string | null;
  param?: string | null;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AssayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(init: AssayErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'AssayError';
    this.status = init.status;
    this.type = init.type ?? defaultType(init.status);
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.headers = init.headers ?? {};
  }
}

export function defaultType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new AssayError({ status: 400, message, param, code });
export const notFound = (message: string, code: string | null = 'not_found', param: string | null = null) =>
  new AssayError({ status: 404, message, code, param });
export const unauthorized = (message: string) =>
  new AssayError({ status: 401, message, code: 'invalid_api_key' });
export const forbidden = (message: string) => new AssayError({ status: 403, message, code: 'insufficient_scope' });

/**
 * How an upstream attempt failed. `http` carries the upstream status; `connection` and `timeout`
 * never got an answer; `stream` broke after the first chunk (too late to retry); `unavailable` means
 * the target cannot serve now (e.g. a local model that is not downloaded): no retry, but fallbacks.
 */
export type UpstreamFailure = 'http' | 'connection' | 'timeout' | 'stream' | 'unavailable';

/**
 * A provider call that failed. Keeps the upstream status and message so the client sees what the
 * provider said; the router reads `retryable` and `retryAfterMs` to decide on retries and fallbacks.
 */
export class UpstreamError extends AssayError {
  readonly failure: UpstreamFailure;
  readonly target: string;
  readonly retryAfterMs: number | null;

  constructor(
    init: AssayErrorInit & { failure: UpstreamFailure; target: string; retryAfterMs?: number | null },
  ) {
    super(init);
    this.name = 'UpstreamError';
    this.failure = init.failure;
    this.target = init.target;
    this.retryAfterMs = init.retryAfterMs ?? null;
  }

  /** Connection errors, timeouts, 408, 429 and 5xx are worth another attempt; other 4xx are the request's fault. */
  get retryable(): boolean {
    if (this.failure === 'connection' || this.failure === 'timeout') return true;
    if (this.failure !== 'http') return false;
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }

  /** Whether the next target (a fallback) should be tried. */
  get fallbackable(): boolean {
    return this.retryable || this.failure === 'unavailable';
  }
}

/** The client went away (or the server is shutting down) before the call finished. */
export const clientClosed = (detail = 'the client closed the request') =>
  new AssayError({ status: 499, message: detail, type: 'client_closed', code: 'client_closed' });

/**
 * An unexpected failure (a bug, a driver error). The client sees only a generic message and an id;
 * the real text is logged once under that id, so SQL and driver details never leave the server.
 */
export class InternalError extends AssayError {
  readonly id: string;

  constructor(cause: unknown) {
    const id = `err_${randomBytes(6).toString('hex')}`;
    super({ status: 500, message: `internal error (id ${id}): the server log has the details under this id`, type: 'server_error', cause });
    this.name = 'InternalError';
    this.id = id;
    console.error(`[assay] internal error ${id}:`, cause instanceof Error ? (cause.stack ?? cause.message) : String(cause));
  }
}

export function toAssayError(err: unknown): AssayError {
  if (err instanceof AssayError) return err;
  return new InternalError(err);
}
