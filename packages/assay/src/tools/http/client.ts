/**
 * Sends one HTTP tool request with undici: redirects are followed by hand (at most MAX_REDIRECTS),
 * each hop re-checked against the scheme, allow_hosts and address rules; configured headers are
 * dropped when a redirect leaves the origin. The response body is read up to a byte limit, and
 * the connection is closed when the limit is hit.
 */
import { request, type Dispatcher } from 'undici';
import { checkTarget, RefusedError, type HostPattern } from './ssrf.js';
import { MAX_REDIRECTS } from './schema.js';

export interface OutgoingRequest {
  method: string;
  url: URL;
  /** Headers from the config and arguments (dropped on a cross-origin redirect). */
  headers: Record<string, string>;
  body?: string;
}

export interface SendOptions {
  dispatcher: Dispatcher;
  signal: AbortSignal;
  maxBytes: number;
  allowHosts: readonly HostPattern[];
  allowPrivate: boolean;
  userAgent: string;
  /** Called with each URL just before it is requested (for the trace). */
  onHop?: (url: URL, method: string) => void;
}

export interface ReceivedResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  /** The URL that answered (after redirects) and the method used there. */
  url: URL;
  method: string;
  redirects: number;
  /** The body as read: at most maxBytes. */
  body: Buffer;
  truncated: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function sendRequest(req: OutgoingRequest, opts: SendOptions): Promise<ReceivedResponse> {
  let { method, url, body } = req;
  let extra = req.headers;
  for (let hop = 0; ; hop++) {
    opts.onHop?.(url, method);
    checkTarget(url, opts.allowHosts, opts.allowPrivate);
    const headers: Record<string, string> = {
      'user-agent': opts.userAgent,
      accept: 'application/json, text/*;q=0.9, */*;q=0.5',
      ...extra,
    };
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await request(url, {
      method: method as Dispatcher.HttpMethod,
      headers,
      body,
      signal: opts.signal,
      dispatcher: opts.dispatcher,
    });
    const location = res.headers.location;
    if (REDIRECTS.has(res.statusCode) && typeof location === 'string' && location !== '') {
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new RefusedError(`too many redirects: stopped after ${MAX_REDIRECTS} (last one to ${location})`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new RefusedError(`refused: the redirect location ${JSON.stringify(location)} is not a URL`);
      }
      next.hash = '';
      if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      if (next.origin !== url.origin) extra = {};
      url = next;
      continue;
    }
    const { buf, truncated } = await readBounded(res.body, opts.maxBytes);
    return {
      status: res.statusCode,
      statusText: res.statusText ?? '',
      headers: res.headers,
      url,
      method,
      redirects: hop,
      body: buf,
      truncated,
    };
  }
}

/** Reads at most `max` bytes; when there is more, stops and destroys the stream (closing the connection). */
export async function readBounded(body: Dispatcher.ResponseData['body'], max: number): Promise<{ buf: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (bytes + chunk.length > max) {
      chunks.push(chunk.subarray(0, max - bytes));
      bytes = max;
      truncated = true;
      break;
    }
    chunks.push(chunk);
    bytes += chunk.length;
  }
  if (truncated) body.destroy();
  return { buf: Buffer.concat(chunks, bytes), truncated };
}
