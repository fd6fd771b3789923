import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendWebhook, signWebhook, webhookRequest } from './webhook.js';
import type { NotificationPayload } from './types.js';

const payload: NotificationPayload = {
  version: 1, kind: 'test', dedupe_key: 'test:c:1', rule: null, state: 'OK', previous_state: null, value: null,
  title: 't', message: 'm', details: null, at: '2026-01-01T00:00:00.000Z',
};

const held: ServerResponse[] = [];
const server = createServer((req, res) => {
  req.resume();
  if (req.url === '/hang') return void held.push(res);
  const status = Number(req.url!.slice(1)) || 200;
  res.writeHead(status).end(status === 200 ? 'ok' : 'x'.repeat(100_000));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('the signature is sha256=HMAC(secret, "<timestamp>.<body>") in hex', () => {
  const { body, headers } = webhookRequest({ url: base, secret: 's3cret-s3cret-s3cret' }, payload, 1_767_225_600_123);
  assert.equal(headers['x-assay-timestamp'], '1767225600');
  assert.equal(body, JSON.stringify(payload));
  const expected = createHmac('sha256', 's3cret-s3cret-s3cret').update(`1767225600.${body}`).digest('hex');
  assert.equal(headers['x-assay-signature'], `sha256=${expected}`);
  assert.equal(signWebhook('other-secret-000000', '1767225600', body) === headers['x-assay-signature'], false);
});

test('outcomes: 2xx ok; 5xx retryable, with the status but not the body; 404 final; timeout; refused', async () => {
  const cfg = (path: string) => ({ url: `${base}${path}`, secret: 'x'.repeat(16) });
  assert.deepEqual(await sendWebhook(cfg('/200'), payload, 2000), { ok: true, status: 200, error: null, retryable: false });
  const e500 = await sendWebhook(cfg('/500'), payload, 2000);
  assert.deepEqual([e500.ok, e500.status, e500.retryable], [false, 500, true]);
  assert.equal(e500.error, `${base} answered HTTP 500 Internal Server Error`);
  const e404 = await sendWebhook(cfg('/404'), payload, 2000);
  assert.deepEqual([e404.status, e404.retryable], [404, false]);
  const slow = await sendWebhook(cfg('/hang'), payload, 100);
  assert.deepEqual([slow.ok, slow.status, slow.retryable], [false, null, true]);
  assert.match(slow.error!, /no answer from .* within 100 ms/);
  const gone = createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
  const port = (gone.address() as AddressInfo).port;
  await new Promise((r) => gone.close(r));
  const refused = await sendWebhook({ url: `http://127.0.0.1:${port}/x`, secret: 'x'.repeat(16) }, payload, 2000);
  assert.deepEqual([refused.ok, refused.retryable], [false, true]);
  assert.equal(refused.error, `could not reach http://127.0.0.1:${port}: ECONNREFUSED`);
});
