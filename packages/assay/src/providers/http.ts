/**
 * The HTTP client every remote provider uses: an undici keep-alive agent, JSON requests with the
 * caller's abort signal, bounded error-body reads, and the retry hints (retry-after) of a response.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { UpstreamError } from '../errors.js';

export interface HttpClientOptions {
  /** Max sockets per upstream origin. */
  connections?: number;
  keepAliveTimeoutMs?: number;
}

export function createAgent(opts: HttpClientOptions = {}): Agent {
  return new Agent({
    connections: opts.connections ?? 256,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 0, // the router's per-target timeout governs, through the abort signal
    bodyTimeout: 0,
    pipelining: 1,
  });
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/** POST a JSON body. Network failures become UpstreamError(failure 'connection'); HTTP errors are returned. */
export async function postJson(
  agent: Agent,
  url: string,
  body: unknown,
  headers: Record<string, string>,
  signal: AbortSignal,
  target: string,
): Promise<UpstreamResponse> {
  try {
    const res = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  } catch (err) {
    throw connectionError(err, target, signal);
  }
}

export function connectionError(err: unknown, target: string, signal?: AbortSignal): Error {
  if (err instanceof UpstreamError) return err;
  if (signal?.aborted) return abortReason(signal, err);
  const e = err as { code?: string; message?: string };
  const detail = e.code ? `${e.code}: ${e.message}` : (e.message ?? String(err));
  return new UpstreamError({
    status: 502,
    type: 'upstream_error',
    code: 'upstream_unreachable',
    message: `could not reach ${target}: ${detail}`,
    failure: 'connection',
    target,
    cause: err,
  });
}

/** The reason a signal was aborted, as an Error (the router puts an UpstreamError there on timeout). */
export function abortReason(signal: AbortSignal, fallback?: unknown): Error {
  const r = signal.reason;
  if (r instanceof Error) return r;
  if (fallback instanceof undiciErrors.RequestAbortedError || fallback instanceof Error) return fallback;
  return new Error('aborted');
}

const MAX_ERROR_BODY = 64 * 1024;

/** Read at most 64 KiB of a (usually error) body as text. */
export async function readText(body: AsyncIterable<Uint8Array> & { destroy?: () => void }, limit = MAX_ERROR_BODY): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.from(chunk);
    parts.push(buf);
    size += buf.length;
    if (size >= limit) {
      body.destroy?.();
      break;
    }
  }
  return Buffer.concat(parts).toString('utf8').slice(0, limit);
}

function header(headers: UpstreamResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `retry-after-ms`, else `retry-after` (seconds or an HTTP date), in milliseconds. */
export function retryAfterMs(headers: UpstreamResponse['headers'], now = Date.now()): number | null {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = header(headers, 'retry-after');
  if (ra === undefined) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.max(0, Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Server-sent events from a byte stream, one message at a time, without buffering the stream. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (msg) => queue.push(msg) });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (queue.length) yield queue.shift()!;
  }
  parser.feed(decoder.decode());
  while (queue.length) yield queue.shift()!;
}

/** A whole JSON body; a broken connection or a body that is not JSON becomes an UpstreamError. */
export async function readJsonBody<T>(res: UpstreamResponse, target: string, signal: AbortSignal): Promise<T> {
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    throw connectionError(err, target, signal);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UpstreamError({ status: 502, failure: 'http', target, message: `${target} answered with a body that is not JSON: ${text.slice(0, 200)}` });
  }
}
