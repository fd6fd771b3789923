/**
 * The dashboard's server side: cookie sessions (/api/session) and serving the web build at / (gzip,
 * caching, app routes answered with index.html, API paths never shadowed).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('dashboard sessions', () => {
  let assay: TestAssay;
  before(async () => {
    assay = await startAssay({});
  });
  after(async () => {
    await assay?.stop();
  });

  const signIn = async (key: string) => {
    const res = await post(`${assay.url}/api/session`, { key });
    return { res, cookie: res.headers.get('set-cookie')?.split(';')[0] ?? '' };
  };

  test('sign in sets an HttpOnly SameSite=Strict cookie that is not the key; GET says who; DELETE ends it', async () => {
    const { res, cookie } = await signIn(ADMIN_KEY);
    assert.equal(res.status, 200);
    const setCookie = res.headers.get('set-cookie')!;
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.doesNotMatch(setCookie, new RegExp(ADMIN_KEY));
    const body = (await res.json()) as { key: { name: string; scopes: string[] } };
    assert.deepEqual(body.key.scopes, ['admin']);

    const who = await fetch(`${assay.url}/api/session`, { headers: { cookie } });
    assert.equal(who.status, 200);
    assert.equal((await fetch(`${assay.url}/api/traces`, { headers: { cookie } })).status, 200, 'the cookie authenticates the API');

    const out = await fetch(`${assay.url}/api/session`, { method: 'DELETE', headers: { cookie } });
    assert.equal(out.status, 204);
    assert.equal((await fetch(`${assay.url}/api/traces`, { headers: { cookie } })).status, 401);
  });

  test('wrong key → 401, a key without read scope → 403, bad body → 400', async () => {
    assert.equal((await signIn('sk-assay-nope')).res.status, 401);
    const created = (await (await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'm', scopes: ['model'] }) })).json()) as { key: string };
    const r = await signIn(created.key);
    assert.equal(r.res.status, 403);
    assert.match(((await r.res.json()) as { error: { message: string } }).error.message, /admin or read scope/);
    assert.equal((await post(`${assay.url}/api/session`, { token: 'x' })).status, 400);
  });

  test('a cookie does not authorize a cross-site write; same-origin writes work', async () => {
    const { cookie } = await signIn(ADMIN_KEY);
    const body = { name: 'from-cookie', scopes: ['model'] };
    const cross = await post(`${assay.url}/api/keys`, body, { cookie, 'sec-fetch-site': 'cross-site' });
    assert.equal(cross.status, 403);
    const foreign = await post(`${assay.url}/api/keys`, body, { cookie, origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    const same = await post(`${assay.url}/api/keys`, body, { cookie, 'sec-fetch-site': 'same-origin', origin: assay.url });
    assert.equal(same.status, 201);
  });

  test('revoking the key ends its sessions', async () => {
    const created = (await (await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'r', scopes: ['read'] }) })).json()) as { id: string; key: string };
    const { cookie } = await signIn(created.key);
    assert.equal((await fetch(`${assay.url}/api/traces`, { headers: { cookie } })).status, 200);
    await assay.api(`/api/keys/${created.id}`, { method: 'DELETE' });
    assert.equal((await fetch(`${assay.url}/api/traces`, { headers: { cookie } })).status, 401);
  });
});

describe('serving the dashboard build', () => {
  let assay: TestAssay;
  let dir: string;
  const prev = process.env.ASSAY_WEB_DIR;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'assay-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), `<!doctype html><html><body><div id="root"></div>${' '.repeat(600)}</body></html>`);
    writeFileSync(join(dir, 'assets/app-abc123.js'), `console.log(${JSON.stringify('x'.repeat(2000))});`);
    process.env.ASSAY_WEB_DIR = dir;
    assay = await startAssay({});
  });
  after(async () => {
    if (prev === undefined) delete process.env.ASSAY_WEB_DIR;
    else process.env.ASSAY_WEB_DIR = prev;
    await assay?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('assets: gzip when asked, cached for a year; index.html for app routes, not cached', async () => {
    const js = await fetch(`${assay.url}/assets/app-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('content-encoding'), 'gzip'); // fetch decompresses it for us
    assert.match(await js.text(), /^console\.log/);
    const plain = await fetch(`${assay.url}/assets/app-abc123.js`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers.get('content-encoding'), null);

    for (const path of ['/', '/traces', '/traces/abc', '/sessions/s-1?x=1']) {
      const page = await fetch(assay.url + path);
      assert.equal(page.status, 200, path);
      assert.equal(page.headers.get('cache-control'), 'no-cache');
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
      assert.match(await page.text(), /<div id="root">/);
    }
  });

  test('API and asset paths are never answered with the app', async () => {
    assert.equal((await fetch(`${assay.url}/assets/missing.js`)).status, 404);
    const api = await fetch(`${assay.url}/api/nope`);
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type') ?? '', /json/);
    assert.equal((await assay.api('/v1/nope')).status, 404);
    assert.equal((await fetch(`${assay.url}/health`)).status, 200);
  });
});

describe('without a dashboard build', () => {
  test('/ shows the plain home page', async () => {
    const prev = process.env.ASSAY_WEB_DIR;
    process.env.ASSAY_WEB_DIR = join(tmpdir(), 'assay-no-web-build');
    const assay = await startAssay({});
    try {
      const res = await fetch(assay.url);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /The gateway is running/);
    } finally {
      if (prev === undefined) delete process.env.ASSAY_WEB_DIR;
      else process.env.ASSAY_WEB_DIR = prev;
      await assay.stop();
    }
  });
});
