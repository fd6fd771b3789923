/**
 * The auth matrix: every route registered on the app (Hono's app.routes) declares who may call it
 * (authenticate(scope), declareAccess, publicRoute — http/auth.ts), and is called as each scope and
 * without a key against a real server: 401 without a key, 403 for a scope it does not allow, and
 * anything but 401/403 (never a 5xx) for one it allows. The table in docs/security.md "Routes and
 * scopes" must list every route with the same callers. A route with no declaration fails here.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { createApp } from '../src/http/app.js';
import { accessOf, publicRoute, type Access } from '../src/http/auth.js';
import { registerWeb } from '../src/http/web.js';
import { SCOPES, type Scope } from '../src/keys/service.js';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';
import { sqliteStore, type TestStore } from './helpers/stores.js';

type Caller = Scope | 'no key';
const CALLERS: readonly Caller[] = [...SCOPES, 'no key'];
const DOC = new URL('../../../docs/security.md', import.meta.url);

interface Endpoint {
  method: string;
  path: string;
  /** Every access declaration on the way to the endpoint; all of them must let a caller through. */
  access: Access[];
}

type RouteEntry = Hono['routes'][number];

/** The function Hono calls, under the wrapper app.route() puts around a sub-app with its own onError. */
const target = (h: unknown): unknown => ((h as { __COMPOSED_HANDLER?: unknown }).__COMPOSED_HANDLER ? target((h as { __COMPOSED_HANDLER: unknown }).__COMPOSED_HANDLER) : h);

/** Whether a `use` pattern such as /api/keys/* applies to a route path. */
function covers(pattern: string, path: string): boolean {
  if (!pattern.includes('*')) return pattern === path;
  const prefix = pattern.slice(0, pattern.indexOf('*')).replace(/\/$/, '');
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The app's endpoints (method + path), each with the declarations of its own and enclosing middleware. */
function endpoints(routes: RouteEntry[]): Endpoint[] {
  const byKey = new Map<string, Endpoint>();
  routes.forEach((r, i) => {
    if (r.method === 'ALL') return;
    const key = `${r.method} ${r.path}`;
    let e = byKey.get(key);
    if (!e) {
      const enclosing = routes.slice(0, i).filter((u) => u.method === 'ALL' && covers(u.path, r.path));
      e = { method: r.method, path: r.path, access: enclosing.map((u) => accessOf(target(u.handler))).filter((a): a is Access => a !== undefined) };
      byKey.set(key, e);
    }
    const own = accessOf(target(r.handler));
    if (own !== undefined) e.access.push(own);
  });
  return [...byKey.values()];
}

function allows(access: Access, caller: Caller): boolean {
  if (access === 'public') return true;
  if (caller === 'no key') return false;
  return access === 'any key' || caller === 'admin' || access.includes(caller);
}

const mayCall = (e: Endpoint, caller: Caller) => e.access.every((a) => allows(a, caller));

/** How the doc names who may call an endpoint. */
function callersText(e: Endpoint): string {
  if (mayCall(e, 'no key')) return 'public (no key)';
  const scopes = SCOPES.filter((s) => mayCall(e, s));
  return scopes.length === SCOPES.length ? 'any key' : scopes.join(', ');
}

/** A concrete URL path for a route pattern: every parameter and wildcard becomes "x". */
const concrete = (path: string) => path.replace(/:[A-Za-z_]+(\{[^}]*\})?/g, 'x').replace(/\*/g, 'x');

/** The rows of the "Routes and scopes" table in docs/security.md: "METHOD path" → callers. */
function docTable(): Map<string, string> {
  const text = readFileSync(DOC, 'utf8');
  const section = text.split(/^## /m).find((s) => s.startsWith('Routes and scopes'));
  assert.ok(section, 'docs/security.md has a "## Routes and scopes" section');
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*([A-Z]+)\s*\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (m) rows.set(`${m[1]} ${m[2]}`, m[3]);
  }
  return rows;
}

/** Every route the server can register: the app as started, plus the home page used without a dashboard build. */
function allEndpoints(assay: TestAssay): Endpoint[] {
  const app = createApp(assay.deps);
  const bare = new Hono();
  registerWeb(bare, assay.deps, '/nonexistent-dashboard-build');
  const list = endpoints(app.routes);
  for (const e of endpoints(bare.routes)) if (!list.some((x) => x.method === e.method && x.path === e.path)) list.push(e);
  return list;
}

describe('auth matrix: every route, every scope', () => {
  let assay: TestAssay;
  let store: TestStore;
  const keys = new Map<Caller, string | null>([['admin', ADMIN_KEY], ['no key', null]]);

  before(async () => {
    store = sqliteStore();
    assay = await startAssay({}, { databaseUrl: store.url });
    for (const scope of SCOPES.filter((s) => s !== 'admin')) {
      const res = await assay.post('/api/keys', { name: `matrix ${scope}`, scopes: [scope] });
      assert.equal(res.status, 201, await res.clone().text());
      keys.set(scope, ((await res.json()) as { key: string }).key);
    }
  });
  after(async () => {
    await assay?.stop();
    await store?.cleanup();
  });

  test('every route declares who may call it', () => {
    const undeclared = allEndpoints(assay).filter((e) => e.access.length === 0).map((e) => `${e.method} ${e.path}`);
    assert.deepEqual(undeclared, [], 'routes without authenticate(scope), declareAccess(…) or publicRoute()');
  });

  test('a route without a declaration is caught', () => {
    const app = new Hono();
    app.get('/declared', publicRoute(), (c) => c.text('ok'));
    app.get('/forgotten', (c) => c.text('ok'));
    assert.deepEqual(endpoints(app.routes).filter((e) => e.access.length === 0).map((e) => e.path), ['/forgotten']);
  });

  test('docs/security.md lists every route with the callers it allows, and no other route', () => {
    const doc = docTable();
    const actual = new Map(allEndpoints(assay).map((e) => [`${e.method} ${e.path}`, callersText(e)]));
    const missing = [...actual].filter(([k, v]) => doc.get(k) !== v).map(([k, v]) => `| ${k.replace(' ', ' | `')}\` | ${v} |`);
    assert.deepEqual(missing, [], 'rows to add or correct in docs/security.md');
    assert.deepEqual([...doc.keys()].filter((k) => !actual.has(k)), [], 'rows in docs/security.md for routes that do not exist');
  });

  test('each route answers each caller as declared: 401 without a key, 403 for a scope it does not allow, never a 5xx', async () => {
    const wrong: string[] = [];
    for (const e of allEndpoints(assay)) {
      for (const caller of CALLERS) {
        const key = keys.get(caller);
        const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
        const withBody = !['GET', 'HEAD', 'OPTIONS', 'DELETE'].includes(e.method);
        if (withBody) headers['content-type'] = 'application/json';
        const res = await fetch(assay.url + concrete(e.path), { method: e.method, headers, body: withBody ? '{}' : undefined });
        const body = await res.text();
        const expected = mayCall(e, caller) ? 'not 401/403' : caller === 'no key' ? 401 : 403;
        const ok = expected === 'not 401/403' ? res.status !== 401 && res.status !== 403 && res.status < 500 : res.status === expected;
        if (!ok) wrong.push(`${e.method} ${e.path} as ${caller}: ${res.status}, expected ${expected} — ${body.slice(0, 160)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
