/**
 * Smaller hardening items through a started server: a cookie POST with `Origin: null`, internal
 * errors without driver text, ASSAY_ADMIN_KEY length and rotation.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { parseConfig } from '../src/config/load.js';
import { startServer } from '../src/server.js';
import { ADMIN_KEY, expectError, expectJson, startAssay, type TestAssay } from './helpers/assay.js';
import { storeKinds } from './helpers/stores.js';

for (const kind of storeKinds) {
  describe(`hardening items on ${kind.name}`, { skip: kind.skip }, () => {
    let assay: TestAssay;
    let store: ReturnType<(typeof kind)['make']>;

    before(async () => {
      store = kind.make();
      assay = await startAssay({}, { databaseUrl: store.url });
    });
    after(async () => {
      await assay?.stop();
      await store?.cleanup();
    });

    test('a cookie-authenticated POST with Origin: null is refused as cross-site (403), not a 500', async () => {
      const signIn = await fetch(`${assay.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: ADMIN_KEY }) });
      assert.equal(signIn.status, 200, await signIn.text());
      const cookie = signIn.headers.get('set-cookie')!.split(';')[0];
      const res = await fetch(`${assay.url}/api/keys`, {
        method: 'POST',
        headers: { cookie, origin: 'null', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'from a sandboxed frame' }),
      });
      await expectError(res, 403, 'insufficient_scope', /same origin/);
    });

    test('an internal error answers a generic message with an error id, never the driver text', async () => {
      await sql`drop table datasets cascade`.execute(assay.deps.store.db.kysely).catch(() => sql`drop table datasets`.execute(assay.deps.store.db.kysely));
      const res = await assay.api('/api/datasets');
      const err = await expectError(res, 500, 'server_error', /^internal error \(id err_[0-9a-f]{12}\)/);
      assert.doesNotMatch(err.message, /datasets|relation|no such table|SELECT/i);
    });
  });
}

describe('ASSAY_ADMIN_KEY', () => {
  const config = parseConfig({}, 'test config', {});
  let store: ReturnType<(typeof storeKinds)[0]['make']>;
  before(() => {
    store = storeKinds[0].make();
  });
  after(async () => store?.cleanup());
  const start = (adminKey: string) => startServer({ config, port: 0, dataDir: store.url.replace(/assay\.db$/, ''), databaseUrl: store.url, adminKey, log: () => undefined });

  test('shorter than 20 characters stops the start with a clear message', async () => {
    await assert.rejects(start('sk-short'), /ASSAY_ADMIN_KEY is 8 characters long; it must have at least 20/);
  });

  test('a new value revokes the admin key the previous value registered', async () => {
    const oldKey = 'sk-assay-old-admin-key-0001';
    const newKey = 'sk-assay-new-admin-key-0002';
    let server = await start(oldKey);
    const keys = (k: string) => fetch(`${server.url}/api/keys`, { headers: { authorization: `Bearer ${k}` } });
    await expectJson(await keys(oldKey), 200);
    await server.close();

    server = await start(newKey);
    try {
      const list = await expectJson<{ data: { name: string }[] }>(await keys(newKey), 200);
      assert.equal(list.data.filter((k) => k.name === 'admin (ASSAY_ADMIN_KEY)').length, 1);
      await expectError(await keys(oldKey), 401, 'invalid_api_key');
    } finally {
      await server.close();
    }
  });
});
