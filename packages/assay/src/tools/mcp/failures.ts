/**
 * Turns what went wrong with an MCP server into one actionable sentence: which server, what
 * happened (spawn error, exit code or signal, HTTP status, timeout) and the tail of its stderr.
 */
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { StdioTransport } from './stdio.js';
import type { McpServerConfig } from './schema.js';

/** A URL for messages: origin and path only (a query string or user info may hold a token). */
export function displayUrl(url: string | undefined): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

export const isTimeout = (err: unknown): boolean => err instanceof McpError && err.code === ErrorCode.RequestTimeout;

/** The connection itself broke (process gone, socket refused, HTTP error status), not the call. */
export function isTransportFailure(err: unknown): boolean {
  if (err instanceof McpError) return err.code === ErrorCode.ConnectionClosed;
  return !(err instanceof Error && err.name === 'ZodError');
}

/** A network error's most specific message: `fetch failed` hides `connect ECONNREFUSED 127.0.0.1:9`. */
export function errorText(err: unknown): string {
  if (err instanceof StreamableHTTPError) {
    const detail = err.message.replace(/^Streamable HTTP error: /, '').replace(/^Error POSTing to endpoint:\s*/, '').trim().slice(0, 300);
    if (err.code === undefined || err.code <= 0) return detail;
    const hint =
      err.code === 404 || err.code === 405
        ? ' (is "url" the server\'s Streamable HTTP endpoint?)'
        : err.code === 401 || err.code === 403
          ? ' (check the credentials in "headers")'
          : '';
    return `HTTP ${err.code}${detail ? `: ${detail}` : ''}${hint}`;
  }
  if (err instanceof Error) {
    const cause = err.cause;
    if (err.message === 'fetch failed' && cause instanceof Error) {
      const inner = (cause as Error & { errors?: unknown[] }).errors?.find((e): e is Error => e instanceof Error);
      return (inner ?? cause).message || (cause as { code?: string }).code || err.message;
    }
    return err.message;
  }
  return String(err);
}

export function stderrTail(transport: unknown): string {
  const text = (transport as Partial<StdioTransport>).stderr?.text?.() ?? '';
  return text === '' ? '' : `; stderr:\n${text}`;
}

function processState(transport: unknown): string | null {
  return (transport as Partial<StdioTransport>).describe?.() ?? null;
}

/** `MCP server "files" failed to start: process exited with code 3 before it answered initialize; stderr: …`. */
export function startFailure(cfg: McpServerConfig, err: unknown, transport: unknown): string {
  const head = cfg.transport === 'stdio' ? `MCP server "${cfg.name}" failed to start` : `MCP server "${cfg.name}" (${displayUrl(cfg.url)}) failed to connect`;
  const state = processState(transport);
  let what: string;
  if (state && (transport as StdioTransport).spawnError) what = state;
  else if (state) what = `${state} before it answered initialize`;
  else if (isTimeout(err)) what = `no answer to initialize within ${cfg.connect_timeout_ms} ms (connect_timeout_ms)`;
  else what = errorText(err);
  return `${head}: ${what}${stderrTail(transport)}`;
}

/** The connection dropped after it was ready (the process died, the HTTP server went away). */
export function deathMessage(cfg: McpServerConfig, transport: unknown, err?: unknown): string {
  const state = processState(transport);
  if (state) return `MCP server "${cfg.name}" stopped: ${state}${stderrTail(transport)}`;
  if (err !== undefined && !(err instanceof McpError)) return `MCP server "${cfg.name}" is unreachable: ${errorText(err)}`;
  return `MCP server "${cfg.name}": the connection closed${cfg.url ? ` (${displayUrl(cfg.url)})` : ''}`;
}

/** Resolves `p`, or rejects when `signal` aborts first (the shared work `p` goes on for others). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return p;
  const aborted = () => (signal.reason instanceof Error ? signal.reason : new Error(`${what} was cancelled`));
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
