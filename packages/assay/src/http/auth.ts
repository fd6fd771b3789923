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

/** The host of an Origin header; null for an opaque origin (`Origin: null`) or one that is not a URL. */
function originHost(origin: string): string | null {
  return URL.canParse(origin) ? new URL(origin).host || null : null;
}

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
    const crossSite = site ? site !== 'same-origin' && site !== 'none' : origin ? originHost(origin) !== c.req.header('host') : false;
    if (crossSite) throw forbidden('A session cookie is only accepted from the Assay dashboard itself (same origin); send an Authorization header instead');
  }
  return deps.webSessions.authenticate(token);
}

/** Routes needing these scopes are the management API: rate-limited per key (limits/), except for admin keys. */
const MANAGEMENT_SCOPES = new Set<Scope>(['admin', 'read']);

export function authenticate(deps: AppDeps, scope: Scope): MiddlewareHandler<{ Variables: AuthVars }> {
  return declareAccess([scope], async (c, next) => {
    const key = await keyFromRequest(deps, c);
    c.set('key', requireScope(key, scope));
    if (MANAGEMENT_SCOPES.has(scope) && !c.var.key.scopes.includes('admin')) {
      for (const [name, value] of Object.entries(await deps.limits.admitApi(c.var.key))) c.header(name, value);
    }
    await next();
  });
}

/**
 * Who may call a route: keys with one of these scopes (admin always may), any valid key, or anyone.
 * Every route carries one on a middleware (authenticate, publicRoute, …); test/auth-matrix.e2e.test.ts
 * reads them from app.routes, calls every route as each scope, and fails for a route without one.
 */
export type Access = readonly Scope[] | 'any key' | 'public';
const ACCESS = Symbol('assay.access');

/** Tags a middleware that checks access itself with what it lets through. */
export function declareAccess<M extends MiddlewareHandler<any>>(access: Access, middleware: M): M {
  return Object.assign(middleware, { [ACCESS]: access });
}

/** The access a route handler declares, if it is a tagged middleware. */
export function accessOf(handler: unknown): Access | undefined {
  return (handler as { [ACCESS]?: Access } | null)?.[ACCESS];
}

/** Declares, for a handler that checks the key itself, what it lets through (the check stays the handler's). */
export function checkedInHandler(access: Access): MiddlewareHandler {
  return declareAccess(access, async (_c, next) => next());
}

/** Marks a route that needs no key: health, the dashboard's files, sign-in. */
export const publicRoute = (): MiddlewareHandler => checkedInHandler('public');
