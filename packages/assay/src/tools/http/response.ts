/**
 * Turns a received HTTP response into what the model reads: text bodies decoded with their
 * charset (JSON re-serialized compactly), binary ones summarized as `[binary <type>, N bytes]`,
 * a `[truncated at N bytes]` note when the limit was hit, and `HTTP <status> <text>: <excerpt>`
 * for non-2xx answers.
 */
import { STATUS_CODES } from 'node:http';
import { TextDecoder } from 'node:util';
import type { ReceivedResponse } from './client.js';

/** Characters of a non-2xx body quoted in the error message. */
export const ERROR_EXCERPT_CHARS = 2000;

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|ecmascript|x-www-form-urlencoded|yaml|x-yaml|toml|graphql|csv|x-ndjson|ld\+json|sql)\b)|\+(json|xml|yaml)\b/;

function header(res: ReceivedResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function mediaType(res: ReceivedResponse): { mime: string; charset: string | null } {
  const raw = header(res, 'content-type') ?? '';
  const [mime, ...params] = raw.split(';');
  const charset = params.map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(p)?.[1]).find(Boolean) ?? null;
  return { mime: mime.trim().toLowerCase(), charset };
}

function isText(mime: string, body: Buffer): boolean {
  if (mime) return TEXT_TYPES.test(mime);
  return !body.subarray(0, 1024).includes(0);
}

function decode(body: Buffer, charset: string | null): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  // stream: true holds back a multi-byte character cut by the byte limit.
  return decoder.decode(body, { stream: true });
}

/** The response body as the model should read it. */
export function bodyText(res: ReceivedResponse): string {
  const { mime, charset } = mediaType(res);
  const n = res.body.length;
  if (!isText(mime, res.body)) {
    const declared = Number(header(res, 'content-length'));
    const size = Number.isFinite(declared) && declared > 0 ? declared : n;
    return `[binary ${mime || 'application/octet-stream'}, ${size}${res.truncated && size === n ? '+' : ''} bytes]`;
  }
  let text = decode(res.body, charset);
  if (!res.truncated && /json/.test(mime)) {
    try {
      text = JSON.stringify(JSON.parse(text));
    } catch {
      /* not JSON after all: keep the text */
    }
  }
  if (res.truncated) text += `\n[truncated at ${n} bytes]`;
  return text;
}

export function statusLine(res: ReceivedResponse): string {
  return `HTTP ${res.status} ${res.statusText || STATUS_CODES[res.status] || ''}`.trimEnd();
}

/** Content for the model and whether it is an error result. */
export function formatResponse(res: ReceivedResponse): { content: string; isError: boolean } {
  const ok = res.status >= 200 && res.status < 300;
  const text = bodyText(res);
  if (ok) return { content: text === '' ? `(empty response, ${statusLine(res)})` : text, isError: false };
  const excerpt = text.length > ERROR_EXCERPT_CHARS ? `${text.slice(0, ERROR_EXCERPT_CHARS)}…` : text;
  return { content: `${statusLine(res)}${excerpt ? `: ${excerpt}` : ''}`, isError: true };
}

const SECRET_QUERY_KEY = /key|token|secret|passw|signature|^sig$|auth|credential|session/i;

/** The URL for traces: query values under secret-looking keys (api_key, token, sig …) are masked. */
export function traceUrl(url: URL): string {
  const u = new URL(url);
  if (!u.search) return u.href;
  const parts = u.search.slice(1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    let key = pair.slice(0, eq);
    try {
      key = decodeURIComponent(key);
    } catch {
      /* keep the raw key */
    }
    return SECRET_QUERY_KEY.test(key) ? `${pair.slice(0, eq)}=REDACTED` : pair;
  });
  u.search = parts.join('&');
  return u.href;
}
