/**
 * Key authentication with a required scope; the key record is set as c.var.key. A key is sent as
 * `Authorization: Bearer <key>`, or as HTTP Basic `<key id>:<key>` (how Langfuse SDKs send their
 * public and secret key, so they can point at Assay unchanged).
 */
import type { MiddlewareHandler } from 'hono';
import { unauthorized } from '../errors.js';
import { requireScope, type Scope } from '../keys/service.js';
import type { ApiKeyRecord } from '../store/keys.js';
import type { AppDeps } from './deps.js';

export type AuthVars = { key: ApiKeyRecord };

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

export function authenticate(deps: AppDeps, scope: Scope): MiddlewareHandler<{ Variables: AuthVars }> {
  return async (c, next) => {
    const key = await keyFromHeader(deps, c.req.header('authorization'));
    c.set('key', requireScope(key, scope));
    await next();
  };
}
