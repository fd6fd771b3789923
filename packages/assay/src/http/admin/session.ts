/**
 * /api/session: the dashboard's sign-in. POST {key} checks the key (admin or read scope) and sets
 * an HttpOnly, SameSite=Strict session cookie (Secure over HTTPS); GET says who is signed in;
 * DELETE signs out. The key itself never goes back to the browser.
 */
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { forbidden, unauthorized } from '../../errors.js';
import { hasScope, publicKey } from '../../keys/service.js';
import type { ApiKeyRecord } from '../../store/keys.js';
import { checkedInHandler, keyFromRequest, publicRoute, SESSION_COOKIE } from '../auth.js';
import { readJson } from '../body.js';
import type { AppDeps } from '../deps.js';

const signInSchema = z.strictObject({ key: z.string({ message: 'key is required: an Assay key with the admin or read scope' }).min(1) });

const view = (k: ApiKeyRecord) => {
  const { id, name, prefix, scopes, project_id } = publicKey(k);
  return { key: { id, name, prefix, scopes, project_id } };
};

export function sessionRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  app.post('/', publicRoute(), async (c) => {
    const { key } = await readJson(c, signInSchema, 16 * 1024);
    const record = await deps.keys.authenticate(key.trim());
    if (!record) throw unauthorized('That key is not valid (unknown or revoked).');
    if (!hasScope(record, 'read')) {
      throw forbidden(`The dashboard needs a key with the admin or read scope; this key has: ${record.scopes.join(', ')}`);
    }
    const { token, expiresAt } = await deps.webSessions.create(record);
    const https = c.req.header('x-forwarded-proto') === 'https' || new URL(c.req.url).protocol === 'https:';
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: https,
      path: '/',
      expires: new Date(expiresAt),
    });
    return c.json(view(record));
  });

  app.get('/', checkedInHandler('any key'), async (c) => {
    const key = await keyFromRequest(deps, c);
    if (!key) throw unauthorized('Not signed in.');
    return c.json(view(key));
  });

  app.delete('/', publicRoute(), async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await deps.webSessions.end(token);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.body(null, 204);
  });
  return app;
}
