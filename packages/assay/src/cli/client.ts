/** The CLI's client for a running server: ASSAY_URL (default http://127.0.0.1:4141) and ASSAY_API_KEY (default ASSAY_ADMIN_KEY). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    /** The HTTP status when the server answered with an error. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  url?: string;
  key?: string;
}

export function clientSettings(env: NodeJS.ProcessEnv = process.env, opts: ClientOptions = {}) {
  const url = (opts.url ?? env.ASSAY_URL ?? 'http://127.0.0.1:4141').replace(/\/+$/, '');
  const key = opts.key ?? env.ASSAY_API_KEY ?? env.ASSAY_ADMIN_KEY;
  return { url, key };
}

/** A JSON request (a FormData body is sent as multipart/form-data); errors become CliError with the server's message. */
export async function api<T>(method: string, path: string, body?: unknown, opts: ClientOptions = {}): Promise<T> {
  const { url, key } = clientSettings(process.env, opts);
  if (!key) {
    throw new CliError('No API key: set ASSAY_API_KEY (or ASSAY_ADMIN_KEY) to an Assay key with the needed scope.');
  }
  let res: Response;
  try {
    res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`Cannot reach Assay at ${url} (${(err as Error).cause ?? (err as Error).message}): is \`assay up\` running? Set ASSAY_URL if it runs elsewhere.`);
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const msg = (parsed as { error?: { message?: string } })?.error?.message ?? text;
    throw new CliError(`${method} ${path} failed (${res.status}): ${msg}`, 1, res.status);
  }
  return parsed as T;
}
