/**
 * Alerts end to end against real receivers on 127.0.0.1: a webhook server that verifies the HMAC
 * signature, a Slack-compatible incoming webhook, an SMTP server (smtp-server), and a receiver that
 * always answers 500. Metric data comes from real gateway calls (fake upstream) and from observations
 * inserted into the store; evaluation is driven by POST /api/alerts/:id/evaluate, and one test
 * shows the scheduler firing on its own with a short alerts.interval_ms.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { ADMIN_KEY, startAssay, type TestAssay, expectJson } from './helpers/assay.js';
import { emptyObservation } from '../src/tracing/span.js';

const SECRET = 'whsec-test-0123456789abcdef';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  json: any;
}

interface Receiver {
  url: string;
  got: Received[];
  close(): Promise<void>;
}

async function startReceiver(status: (n: number) => number = () => 200): Promise<Receiver> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      got.push({ path: req.url ?? '', headers: req.headers, raw, json: JSON.parse(raw) });
      const s = status(got.length);
      res.writeHead(s, { 'content-type': 'text/plain' }).end(s === 200 ? 'ok' : 'receiver exploded');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    got,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** The verification docs/alerts.md tells receivers to do. */
function verify(secret: string, headers: Received['headers'], rawBody: string): boolean {
  const timestamp = String(headers['x-assay-timestamp']);
  const signature = String(headers['x-assay-signature']);
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

async function startSmtp(): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const decodeQuotedPrintable = (s: string) =>
  s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, limitMs = 15_000) => {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

let up: FakeOpenAI;
let hook: Receiver;
let slack: Receiver;
let broken: Receiver;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let assay: TestAssay;

const patch = (path: string, body: unknown) => assay.api(path, { method: 'PATCH', body: JSON.stringify(body) });

async function chat(route: string, n: number) {
  for (let i = 0; i < n; i++) {
    await fetch(`${assay.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: route, messages: [{ role: 'user', content: 'hi' }] }),
    }).then((r) => r.text());
  }
  await assay.flush();
}

before(async () => {
  [up, hook, slack, broken, smtp] = await Promise.all([
    startFakeOpenAI({ apiKey: 'sk-upstream' }),
    startReceiver(),
    startReceiver(),
    startReceiver(() => 500),
    startSmtp(),
  ]);
  assay = await startAssay({
    providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'sk-upstream', models: ['gpt-4o-mini', 'fail-500'] }],
    routes: [
      { name: 'smart', targets: [{ model: 'up/gpt-4o-mini' }] },
      { name: 'broken', targets: [{ model: 'up/fail-500' }] },
    ],
    // Long interval: these tests drive evaluation with POST /api/alerts/:id/evaluate.
    // The receivers run on 127.0.0.1: internal receivers must be allow-listed.
    alerts: { interval_ms: 3_600_000, smtp: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'assay@example.com' }, allow_hosts: ['127.0.0.1'] },
  });
});
after(async () => {
  await assay?.stop();
  await Promise.all([up?.close(), hook?.close(), slack?.close(), broken?.close(), smtp?.close()]);
});

describe('channels', () => {
  test('webhook: created with a masked secret; a test notification arrives signed', async () => {
    const ch = await expectJson(await assay.post('/api/channels', { name: 'ops hook', type: 'webhook', config: { url: `${hook.url}/assay`, secret: SECRET } }), 201);
    assert.match(ch.id, /^chan_/);
    assert.equal(ch.config.secret, '****cdef');
    assert.equal(ch.enabled, true);
    assert.equal(JSON.stringify(await expectJson(await assay.api(`/api/channels/${ch.id}`), 200)).includes(SECRET), false);
    assert.equal(JSON.stringify(await expectJson(await assay.api('/api/channels'), 200)).includes(SECRET), false);

    const d = await expectJson(await assay.post(`/api/channels/${ch.id}/test`, {}), 200);
    assert.deepEqual([d.ok, d.attempts, d.status, d.error], [true, 1, 200, null]);
    const got = hook.got.at(-1)!;
    assert.equal(got.path, '/assay');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.ok(verify(SECRET, got.headers, got.raw), 'the signature verifies with the channel secret');
    assert.ok(!verify('another-secret-0000000', got.headers, got.raw), 'and not with another');
    assert.equal(got.json.kind, 'test');
    assert.equal(got.json.version, 1);
    assert.equal(got.json.rule, null);
  });

  test('validation: unknown type, missing secret, bad URL → 400 that says what to fix', async () => {
    let e = await expectJson(await assay.post('/api/channels', { name: 'x', type: 'pager', config: {} }), 400);
    assert.match(e.error.message, /type must be one of webhook, slack, email/);
    e = await expectJson(await assay.post('/api/channels', { name: 'x', type: 'webhook', config: { url: hook.url } }), 400);
    assert.match(e.error.message, /config\.secret is required/);
    e = await expectJson(await assay.post('/api/channels', { name: 'x', type: 'slack', config: { url: 'ftp://x' } }), 400);
    assert.match(e.error.message, /config\.url.*http:\/\/ or https:\/\//);
    e = await expectJson(await assay.post('/api/channels', { name: 'x', type: 'email', config: { to: ['not-an-address'] } }), 400);
    assert.match(e.error.message, /config\.to\[0\]: each recipient in config\.to must be an email address/);
  });

  test('a receiver that fails 5 deliveries in a row gets its channel disabled with the reason', async () => {
    const ch = await expectJson(await assay.post('/api/channels', { name: 'flaky', type: 'webhook', config: { url: broken.url, secret: SECRET } }), 201);
    for (let i = 1; i <= 5; i++) {
      const d = await expectJson(await assay.post(`/api/channels/${ch.id}/test`, {}), 200);
      assert.deepEqual([d.ok, d.status, d.attempts, d.disabled], [false, 500, 2, i === 5]);
      assert.match(d.error, /answered HTTP 500 Internal Server Error$/);
      assert.doesNotMatch(d.error, /receiver exploded/, 'the receiver\'s body is not quoted');
    }
    assert.equal(broken.got.length, 10, 'each delivery was tried twice');
    const g = await expectJson(await assay.api(`/api/channels/${ch.id}`), 200);
    assert.equal(g.enabled, false);
    assert.equal(g.consecutive_failures, 5);
    assert.match(g.disabled_reason, /after 5 consecutive failed deliveries; last error: .*HTTP 500.*PATCH \/api\/channels\/chan_\w+ \{"enabled": true\}/);

    const on = await expectJson(await patch(`/api/channels/${ch.id}`, { enabled: true }), 200);
    assert.deepEqual([on.enabled, on.consecutive_failures, on.disabled_reason], [true, 0, null]);
  });
});

describe('rules', () => {
  test('error rate on a failing route: ALERT to webhook, Slack and email, history, then recovery', async () => {
    const wh = await expectJson(await assay.post('/api/channels', { name: 'hook', type: 'webhook', config: { url: hook.url, secret: SECRET } }), 201);
    const sl = await expectJson(await assay.post('/api/channels', { name: 'slack', type: 'slack', config: { url: `${slack.url}/services/T1/B2/abcdefgh` } }), 201);
    assert.equal(sl.config.url, `${slack.url}/****efgh`);
    const em = await expectJson(await assay.post('/api/channels', { name: 'mail', type: 'email', config: { to: ['oncall@example.com'] } }), 201);

    await chat('broken', 3);
    await chat('smart', 2);
    const rule = await expectJson(
      await assay.post('/api/alerts', {
        name: 'Broken route errors',
        metric: 'error_rate',
        filters: { route: 'broken' },
        window_s: 600,
        operator: '>',
        warning: 0.2,
        threshold: 0.5,
        channel_ids: [wh.id, sl.id, em.id],
      }),
      201,
    );
    assert.deepEqual([rule.state, rule.no_data, rule.renotify_s, rule.enabled], ['OK', 'no_data', 0, true]);

    const hookBefore = hook.got.length;
    const r = await expectJson(await assay.post(`/api/alerts/${rule.id}/evaluate`, {}), 200);
    assert.equal(r.state, 'ALERT');
    assert.equal(r.last_value, 1);
    assert.deepEqual([r.transition.from_state, r.transition.to_state], ['OK', 'ALERT']);
    assert.deepEqual(r.deliveries.map((d: { ok: boolean }) => d.ok), [true, true, true], JSON.stringify(r.deliveries));

    // The webhook: signed, and the payload exactly as documented.
    assert.equal(hook.got.length, hookBefore + 1);
    const w = hook.got.at(-1)!;
    assert.ok(verify(SECRET, w.headers, w.raw));
    assert.equal(w.headers['x-assay-event'], 'alert');
    const dedupe = `${rule.id}:${r.episode_start}`;
    assert.deepEqual(w.json, {
      version: 1,
      kind: 'alert',
      dedupe_key: dedupe,
      rule: { id: rule.id, name: 'Broken route errors', metric: 'error_rate', filters: { route: 'broken' }, window_s: 600, operator: '>', warning: 0.2, threshold: 0.5 },
      state: 'ALERT',
      previous_state: 'OK',
      value: 1,
      title: '[ALERT] Broken route errors',
      message: 'error_rate for route=broken over the last 600 s is 1, which is > 0.5 (alert threshold)',
      details: null,
      at: new Date(r.episode_start).toISOString(),
    });

    // Slack: an incoming-webhook message with text.
    const s = slack.got.at(-1)!;
    assert.equal(s.path, '/services/T1/B2/abcdefgh');
    assert.match(s.json.text, /\*\[ALERT\] Broken route errors\*\nerror_rate for route=broken over the last 600 s is 1/);
    assert.ok(Array.isArray(s.json.blocks));

    // Email over SMTP.
    await waitFor('the alert email', () => smtp.mails.length >= 1);
    const m = smtp.mails.at(-1)!;
    assert.equal(m.from, 'assay@example.com');
    assert.deepEqual(m.to, ['oncall@example.com']);
    assert.match(m.raw, /^Subject: \[Assay\] \[ALERT\] Broken route errors\r?$/m);
    assert.match(m.raw, new RegExp(`^X-Assay-Dedupe-Key: ${dedupe}\\r?$`, 'm'));
    const text = decodeQuotedPrintable(m.raw.split(/\r?\n\r?\n/).slice(1).join('\n\n'));
    assert.match(text, /^error_rate for route=broken over the last 600 s is 1, which is > 0\.5 \(alert threshold\)/);
    assert.match(text, /Condition: error_rate for route=broken over 600 s > 0\.5 \(warning at 0\.2\)/);

    // Evaluating again in the same state sends nothing (renotify_s 0).
    const again = await expectJson(await assay.post(`/api/alerts/${rule.id}/evaluate`, {}), 200);
    assert.deepEqual([again.state, again.transition, again.deliveries], ['ALERT', null, []]);

    // Pointing the rule at the healthy route recovers it: one recovery notice with the same key.
    await expectJson(await patch(`/api/alerts/${rule.id}`, { filters: { route: 'smart' } }), 200);
    const ok = await expectJson(await assay.post(`/api/alerts/${rule.id}/evaluate`, {}), 200);
    assert.equal(ok.state, 'OK');
    assert.equal(ok.last_value, 0);
    const rec = hook.got.at(-1)!;
    assert.deepEqual([rec.json.kind, rec.json.state, rec.json.previous_state, rec.json.dedupe_key], ['recovery', 'OK', 'ALERT', dedupe]);
    assert.ok(verify(SECRET, rec.headers, rec.raw));
    assert.match(slack.got.at(-1)!.json.text, /\[RECOVERED\] Broken route errors/);
    await waitFor('the recovery email', () => smtp.mails.length >= 2);
    assert.match(smtp.mails.at(-1)!.raw, /^Subject: \[Assay\] \[RECOVERED\] Broken route errors\r?$/m);

    // History, newest first, in cursor pages.
    const h1 = await expectJson(await assay.api(`/api/alerts/${rule.id}/history?limit=1`), 200);
    assert.deepEqual([h1.data[0].from_state, h1.data[0].to_state], ['ALERT', 'OK']);
    assert.ok(h1.next_cursor);
    const h2 = await expectJson(await assay.api(`/api/alerts/${rule.id}/history?limit=1&cursor=${h1.next_cursor}`), 200);
    assert.deepEqual([h2.data[0].from_state, h2.data[0].to_state, h2.data[0].value], ['OK', 'ALERT', 1]);
    assert.equal(h2.next_cursor, null);

    const got = await expectJson(await assay.api(`/api/alerts/${rule.id}`), 200);
    assert.equal(got.state, 'OK');
    const list = await expectJson(await assay.api('/api/alerts'), 200);
    assert.ok(list.data.some((x: { id: string }) => x.id === rule.id));

    // A channel used by a rule cannot be deleted; a rule can, then its channels can.
    let e = await expectJson(await assay.api(`/api/channels/${wh.id}`, { method: 'DELETE' }), 409);
    assert.match(e.error.message, /used by alert rule/);
    await expectJson(await assay.api(`/api/alerts/${rule.id}`, { method: 'DELETE' }), 200);
    await expectJson(await assay.api(`/api/alerts/${rule.id}`), 404);
    await expectJson(await assay.api(`/api/channels/${wh.id}`, { method: 'DELETE' }), 200);
    e = await expectJson(await assay.api(`/api/channels/${wh.id}`), 404);
    assert.match(e.error.message, /no channel/);
  });

  test('no data: a rate over an empty window goes to NO_DATA (policy no_data) or stays OK (policy ok)', async () => {
    const a = await expectJson(await assay.post('/api/alerts', { name: 'nd', metric: 'latency_p95', filters: { route: 'nothing-here' }, window_s: 60, operator: '>', threshold: 1000 }), 201);
    assert.equal((await expectJson(await assay.post(`/api/alerts/${a.id}/evaluate`, {}), 200)).state, 'NO_DATA');
    const b = await expectJson(await assay.post('/api/alerts', { name: 'nd-ok', metric: 'latency_p95', filters: { route: 'nothing-here' }, window_s: 60, operator: '>', threshold: 1000, no_data: 'ok' }), 201);
    const rb = await expectJson(await assay.post(`/api/alerts/${b.id}/evaluate`, {}), 200);
    assert.deepEqual([rb.state, rb.last_value, rb.transition], ['OK', null, null]);
  });

  test('validation: unknown metric or dimension, warning order, missing channels → precise 400s', async () => {
    const base = { name: 'v', metric: 'error_rate', window_s: 60, operator: '>', threshold: 0.5 };
    const cases: [unknown, RegExp][] = [
      [{ ...base, metric: 'error_ratio' }, /metric: unknown metric "error_ratio": use one of requests, errors, error_rate/],
      [{ ...base, filters: { modle: 'x' } }, /filters\.modle: unknown dimension "modle": filter by one of model, route/],
      [{ ...base, warning: 0.9 }, /warning \(0\.9\) must be below threshold \(0\.5\) with operator ">"/],
      [{ ...base, operator: '<', warning: 0.1 }, /warning \(0\.1\) must be above threshold \(0\.5\) with operator "<"/],
      [{ ...base, channel_ids: ['chan_missing'] }, /channel_ids\[0\]: no channel "chan_missing" in this project/],
      [{ ...base, operator: '!=' }, /operator must be one of ">", ">=", "<", "<="/],
      [{ ...base, window_s: 0 }, /window_s must be at least 1 second/],
      [{ ...base, threshold: undefined }, /threshold/],
      [{ ...base, surprise: 1 }, /surprise/],
    ];
    for (const [body, re] of cases) {
      const e = await expectJson(await assay.post('/api/alerts', body), 400);
      assert.match(e.error.message, re);
    }
    await expectJson(await patch('/api/alerts/rule_nope', { threshold: 1 }), 404);
    await expectJson(await assay.post('/api/alerts/rule_nope/evaluate', {}), 404);
    const e = await expectJson(await assay.api('/api/alerts?limit=0'), 400);
    assert.match(e.error.message, /limit/);
  });

  test('scopes: a read key lists rules and channels but cannot change them', async () => {
    const k = await expectJson(await assay.post('/api/keys', { name: 'viewer', scopes: ['read'] }), 201);
    const get = await assay.api('/api/alerts', { key: k.key });
    assert.equal(get.status, 200);
    assert.equal((await assay.api('/api/channels', { key: k.key })).status, 200);
    const denied = await assay.api('/api/alerts', { key: k.key, method: 'POST', body: JSON.stringify({ name: 'x' }) });
    assert.equal(denied.status, 403);
    assert.equal((await assay.api('/api/channels', { key: k.key, method: 'POST', body: '{}' })).status, 403);
    assert.equal((await assay.api('/api/alerts', { key: 'sk-assay-wrong' })).status, 401);
  });

  test('notify (used by budgets) delivers kind "budget" through the same channels', async () => {
    const ch = await expectJson(await assay.post('/api/channels', { name: 'budget hook', type: 'webhook', config: { url: hook.url, secret: SECRET } }), 201);
    const [d] = await assay.deps.alerts.notify('default', [ch.id], {
      kind: 'budget', dedupe_key: 'budget_x:2026-01', state: 'ALERT', title: 'Budget "team" exceeded', message: 'spent $12 of $10 this month', details: { value: 12, limit: 10 },
    });
    assert.equal(d.ok, true);
    const w = hook.got.at(-1)!;
    assert.ok(verify(SECRET, w.headers, w.raw));
    assert.deepEqual([w.json.kind, w.json.rule, w.json.value, w.json.details], ['budget', null, 12, { value: 12, limit: 10 }]);
  });
});

test('email channels need alerts.smtp; the scheduler evaluates rules on its own', async () => {
  const receiver = await startReceiver();
  const fast = await startAssay({ alerts: { interval_ms: 100, allow_hosts: ['127.0.0.1'] } });
  try {
    const e = await expectJson(await fast.api('/api/channels', { method: 'POST', body: JSON.stringify({ name: 'm', type: 'email', config: { to: ['a@example.com'] } }) }), 400);
    assert.match(e.error.message, /configure alerts\.smtp/);

    const ch = await expectJson(await fast.api('/api/channels', { method: 'POST', body: JSON.stringify({ name: 'h', type: 'webhook', config: { url: receiver.url, secret: SECRET } }) }), 201);
    const rule = await expectJson(
      await fast.api('/api/alerts', {
        method: 'POST',
        body: JSON.stringify({ name: 'Traffic', metric: 'requests', filters: { tag: 'checkout' }, window_s: 300, operator: '>', threshold: 2, channel_ids: [ch.id] }),
      }),
      201,
    );
    const now = Date.now();
    await fast.deps.store.observations.insertMany(
      [0, 1, 2].map((i) =>
        emptyObservation({ trace_id: `t${i}`.padEnd(32, '0'), type: 'generation', name: 'chat', start_time: now - 1000 * i, tags: ['checkout'], model: 'm', status: 'ok' }),
      ),
    );
    await waitFor('a scheduled alert', () => receiver.got.some((g) => g.json.kind === 'alert' && g.json.rule?.id === rule.id));
    const alert = receiver.got.find((g) => g.json.kind === 'alert')!;
    assert.equal(alert.json.value, 3);
    assert.ok(verify(SECRET, alert.headers, alert.raw));
    const r = await expectJson(await fast.api(`/api/alerts/${rule.id}`), 200);
    assert.equal(r.state, 'ALERT');
    assert.ok(r.last_evaluated_at >= now);
  } finally {
    await fast.stop();
    await receiver.close();
  }
});
