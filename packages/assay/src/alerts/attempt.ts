/** One delivery attempt's outcome, shared by the channel senders, and the HTTP POST they use. */

export interface Attempt {
  ok: boolean;
  /** HTTP status (webhook, slack) or SMTP reply code (email) when the receiver answered. */
  status: number | null;
  error: string | null;
  /** Whether another attempt may succeed (timeouts, connection errors, 429, 5xx). */
  retryable: boolean;
}

export type Sender<C, P> = (config: C, payload: P, timeoutMs: number) => Promise<Attempt>;

const MAX_ERROR_BODY = 300;

/** POST a body with a hard timeout; a non-2xx answer is a failure that quotes the start of its body. */
export async function postBody(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<Attempt> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return { ok: false, status: null, error: `no answer from ${origin(url)} within ${timeoutMs} ms`, retryable: true };
    }
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    return { ok: false, status: null, error: `could not reach ${origin(url)}: ${why}`, retryable: true };
  }
  const text = await readStart(res);
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null, retryable: false };
  const snippet = text.trim().slice(0, MAX_ERROR_BODY);
  return {
    ok: false,
    status: res.status,
    error: `${origin(url)} answered HTTP ${res.status}${snippet ? `: ${snippet}` : ''}`,
    retryable: res.status === 408 || res.status === 429 || res.status >= 500,
  };
}

/** scheme://host[:port] — never the path or query, which may hold a token. */
export function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the receiver';
  }
}

/** The first few KB of an answer (for error messages); the rest is not read, so memory stays bounded. */
async function readStart(res: Response, limit = 4096): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // the answer's status is what counts
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}
