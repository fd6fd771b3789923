/** One delivery attempt's outcome, shared by the channel senders, and the HTTP POST they use. */
import { STATUS_CODES } from 'node:http';
import { fetch, type Dispatcher } from 'undici';
import { findRefusal } from '../tools/http/ssrf.js';

export interface Attempt {
  ok: boolean;
  /** HTTP status (webhook, slack) or SMTP reply code (email) when the receiver answered. */
  status: number | null;
  error: string | null;
  /** Whether another attempt may succeed (timeouts, connection errors, 429, 5xx). */
  retryable: boolean;
}

export type Sender<C, P> = (config: C, payload: P, timeoutMs: number) => Promise<Attempt>;

/**
 * POST a body with a hard timeout through `dispatcher` (the SSRF-checked pool of receiver.ts). A
 * non-2xx answer is a failure recorded by its status and standard reason phrase only: nothing the
 * receiver wrote (body, custom reason) goes into history or API answers.
 */
export async function postBody(url: string, body: string, headers: Record<string, string>, timeoutMs: number, dispatcher?: Dispatcher): Promise<Attempt> {
  let res: Awaited<ReturnType<typeof fetch>>;
  try {
    res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), dispatcher });
  } catch (err) {
    return unreachable(url, err as Error & { cause?: { code?: string; message?: string } }, timeoutMs);
  }
  void res.body?.cancel().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null, retryable: false };
  const reason = STATUS_CODES[res.status] ?? '';
  return {
    ok: false,
    status: res.status,
    error: `${origin(url)} answered HTTP ${res.status}${reason ? ` ${reason}` : ''}`,
    retryable: res.status === 408 || res.status === 429 || res.status >= 500,
  };
}

function unreachable(url: string, e: Error & { cause?: { code?: string; message?: string } }, timeoutMs: number): Attempt {
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return { ok: false, status: null, error: `no answer from ${origin(url)} within ${timeoutMs} ms`, retryable: true };
  }
  const refusal = findRefusal(e);
  if (refusal) return { ok: false, status: null, error: `not sent to ${origin(url)}: ${refusal.message}`, retryable: false };
  const why = e.cause?.code ?? e.cause?.message ?? e.message;
  return { ok: false, status: null, error: `could not reach ${origin(url)}: ${why}`, retryable: true };
}

/** scheme://host[:port] — never the path or query, which may hold a token. */
export function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the receiver';
  }
}
