/**
 * The one way the dashboard talks to Assay: same-origin fetch with the session cookie, JSON in and
 * out, and every non-2xx turned into an ApiError carrying the server's message (never a blank page).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** Listeners told when the session is gone (401), so the app shows the sign-in page. */
const unauthorized = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

/** The ApiError for a non-2xx response: the server's `{error: {message, code}}`, else the status line. */
export async function errorFrom(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  let code: string | null = null;
  try {
    const body = (await res.json()) as { error?: { message?: string; code?: string } };
    if (body?.error?.message) message = body.error.message;
    code = body?.error?.code ?? null;
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiError(res.status, message, code);
}

/** Raw fetch with the session cookie; throws ApiError on non-2xx. For streams (the playground). */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, {
      credentials: 'same-origin',
      ...init,
      headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) },
    });
  } catch (err) {
    throw new ApiError(0, `Assay did not answer (${(err as Error).message}). Is the server running?`);
  }
  if (!res.ok) {
    const e = await errorFrom(res);
    if (res.status === 401 && !path.startsWith('/api/session')) for (const fn of unauthorized) fn();
    throw e;
  }
  return res;
}

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const res = await apiFetch(path, json === undefined ? rest : { ...rest, body: JSON.stringify(json) });
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A query string from an object, skipping empty values. */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}
