/**
 * Alert deliveries go through the SSRF guard: webhook and Slack channels to private addresses are
 * refused unless their host is in alerts.allow_hosts (at creation and again at delivery); delivery
 * records keep the status, never the receiver's body; read keys see webhook URLs masked.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectError, expectJson, startAssay, type TestAssay } from './helpers/assay.js';
import { sqliteStore, type TestStore } from './helpers/stores.js';

const SECRET = 'a-webhook-secret-0123456789abcdef';
const RECEIVER_BODY = 'internal-token=hunter2-do-not-echo';

let receiver: Server;
let hits = 0;
let base: string;
let store: TestStore;

before(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    hits++;
    res.writeHead(req.url === '/fail' ? 500 : 200).end(RECEIVER_BODY);
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  store = sqliteStore();
});
after(async () => {
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
  await store.cleanup();
});

const webhook = (url: string) => ({ name: 'hook', type: 'webhook', config: { url, secret: SECRET } });

describe('without alerts.allow_hosts', () => {
  let assay: TestAssay;
  before(async () => {
    assay = await startAssay({}, { databaseUrl: store.url });
  });
  after(async () => assay?.stop());

  test('webhook and Slack channels to loopback, private and metadata addresses are refused with a 400 naming the URL problem', async () => {
    let e = await expectError(await assay.post('/api/channels', webhook(`${base}/hook`)), 400, 'receiver_refused', /config\.url refused: address 127\.0\.0\.1 is/);
    assert.match(e.message, /add its host \(e\.g\. "127\.0\.0\.1:\d+"\) to alerts\.allow_hosts/);
    await expectError(await assay.post('/api/channels', webhook('http://localhost:9093/')), 400, 'receiver_refused', /localhost is a loopback name/);
    await expectError(await assay.post('/api/channels', webhook('http://169.254.169.254/latest/meta-data')), 400, 'receiver_refused', /169\.254\.169\.254/);
    e = await expectError(await assay.post('/api/channels', { name: 's', type: 'slack', config: { url: 'http://10.0.0.7/services/T/B/X' } }), 400, 'receiver_refused');
    assert.equal((e as { param?: string }).param ?? 'config.url', 'config.url');
    assert.equal(hits, 0);
  });
});

describe('with the receiver in alerts.allow_hosts', () => {
  let assay: TestAssay;
  let channelId: string;
  before(async () => {
    assay = await startAssay({ alerts: { allow_hosts: [new URL(base).host] } }, { databaseUrl: store.url });
  });
  after(async () => assay?.stop());

  test('the channel is created and delivered to; a failed delivery keeps the status, not the body', async () => {
    const ok = await expectJson(await assay.post('/api/channels', webhook(`${base}/hook?token=abcdef123456`)), 201);
    assert.deepEqual(pick(await expectJson(await assay.post(`/api/channels/${ok.id}/test`, {}), 200)), [true, 200, null]);

    const failing = await expectJson(await assay.post('/api/channels', webhook(`${base}/fail`)), 201);
    channelId = failing.id;
    const d = await expectJson(await assay.post(`/api/channels/${failing.id}/test`, {}), 200);
    assert.deepEqual(pick(d), [false, 500, `${base} answered HTTP 500 Internal Server Error`]);
    const stored = await expectJson(await assay.api(`/api/channels/${failing.id}`), 200);
    assert.equal(stored.last_error, `${base} answered HTTP 500 Internal Server Error`);
    const everything = JSON.stringify(await assay.deps.store.alerts.listChannels('default'));
    assert.equal(everything.includes('hunter2'), false, 'no stored record holds the receiver body');
  });

  test('a read key sees webhook URLs masked; an admin key in full', async () => {
    const { key } = await expectJson(await assay.post('/api/keys', { name: 'viewer', scopes: ['read'] }), 201);
    const list = await expectJson(await assay.api('/api/channels', { key }), 200);
    const urls = list.data.map((c: { config: { url: string } }) => c.config.url);
    assert.ok(urls.length >= 2);
    for (const u of urls) assert.match(u, /^http:\/\/127\.0\.0\.1:\d+\/\*\*\*\*/);
    assert.equal(JSON.stringify(list).includes('abcdef123456'), false);
    const one = await expectJson(await assay.api(`/api/channels/${channelId}`, { key }), 200);
    assert.match(one.config.url, /\*\*\*\*/);
    const admin = await expectJson(await assay.api('/api/channels'), 200);
    assert.ok(admin.data.some((c: { config: { url: string } }) => c.config.url === `${base}/hook?token=abcdef123456`));
  });
});

describe('after the allow-list entry is removed', () => {
  let assay: TestAssay;
  before(async () => {
    assay = await startAssay({}, { databaseUrl: store.url });
  });
  after(async () => assay?.stop());

  test('the stored channel is checked again at delivery: nothing is sent', async () => {
    const { data } = await expectJson(await assay.api('/api/channels'), 200);
    const before = hits;
    const d = await expectJson(await assay.post(`/api/channels/${data[0].id}/test`, {}), 200);
    assert.equal(d.ok, false);
    assert.equal(d.attempts, 1, 'a refusal is not retried');
    assert.match(d.error, /^not sent to http:\/\/127\.0\.0\.1:\d+: refused: address 127\.0\.0\.1 is/);
    assert.equal(hits, before);
  });
});

function pick(d: { ok: boolean; status: number | null; error: string | null }) {
  return [d.ok, d.status, d.error];
}
