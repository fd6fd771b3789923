/**
 * Key authentication with a required scope; the key record is set as c.var.key. A key is sent as
 * `Authorization: Bearer <key>`, as HTTP Basic `<key id>:<key>` (how Langfuse SDKs send their public
 * and secret key), or — from the dashboard — as the HttpOnly session cookie set by /api/session.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { forbidden, unauthorized } from '../errors.js';
import { requireScope, type Scope } from '../keys/service.js';
import type { ApiKeyRecord } from '../store/keys.js';
import type { AppDeps } from './deps.js';

export type AuthVars = { key: ApiKeyRecord };

export const SESSION_COOKIE = 'assay_session';

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m ? m[1].trim() : null;
}

/** `Basic base64(public:secret)` → its two parts, or null when the header is not Basic. */
export function basicCredentials(header: string | undefined): { publicKey: string; secretKey: string } | null {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!m) return null;
  const raw = Buffer.from(m[1], 'base64').toString('utf8');
  const i = raw.indexOf(':');
  if (i < 0) return null;
  return { publicKey: raw.slice(0, i), secretKey: raw.slice(i + 1) };
}

export async function keyFromHeader(deps: AppDeps, header: string | undefined): Promise<ApiKeyRecord | null> {
  const token = bearerToken(header);
  if (token) return deps.keys.authenticate(token);
  const basic = basicCredentials(header);
  if (!basic) return null;
  const key = await deps.keys.authenticate(basic.secretKey);
  if (key && basic.publicKey !== key.id) {
    throw unauthorized(
      `HTTP Basic credentials are <public key>:<secret key>; with Assay the public key is the key's id (${key.id}) and the secret key is the key itself`,
    );
  }
  return key;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The key of a request: its Authorization header, else its session cookie. A cookie only counts for
 * same-origin requests that change something (the browser's Sec-Fetch-Site, else Origin vs Host),
 * so another site cannot act with a signed-in user's session.
 */
export async function keyFromRequest(deps: AppDeps, c: Context): Promise<ApiKeyRecord | null> {
  const header = c.req.header('authorization');
  if (header) return keyFromHeader(deps, header);
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return null;
  if (!SAFE_METHODS.has(c.req.method)) {
    const site = c.req.header('sec-fetch-site');
    const origin = c.req.header('origin');
    const crossSite = site ? site !== 'same-origin' && site !== 'none' : origin ? new URL(origin).host !== c.req.header('host') : false;
    if (crossSite) throw forbidden('A session cookie is only accepted from the Assay dashboard itself (same origin); send an Authorization header instead');
  }
  return deps.webSessions.authenticate(token);
}

export function authenticate(deps: AppDeps, scope: Scope): MiddlewareHandler<{ Variables: AuthVars }> {
  return async (c, next) => {
    const key = await keyFromRequest(deps, c);
    c.set('key', requireScope(key, scope));
    await next();
  };
}
