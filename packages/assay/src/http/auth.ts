/** Bearer-key authentication with a required scope; the key record is set as c.var.key. */
import type { MiddlewareHandler } from 'hono';
import { requireScope, type Scope } from '../keys/service.js';
import type { ApiKeyRecord } from '../store/keys.js';
import type { AppDeps } from './deps.js';

export type AuthVars = { key: ApiKeyRecord };

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m ? m[1].trim() : null;
}

export function authenticate(deps: AppDeps, scope: Scope): MiddlewareHandler<{ Variables: AuthVars }> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    const key = token ? await deps.keys.authenticate(token) : null;
    c.set('key', requireScope(key, scope));
    await next();
  };
}
