/**
 * HTTP tools against a local node:http server on 127.0.0.1 (so the tools use allow_private: true,
 * except where the refusal itself is tested): templating and encoding, JSON bodies, errors,
 * timeout, truncation, allow_hosts, redirects (followed, and refused when they lead to a private
 * address), the trace metadata, and the config schema's errors.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Dispatcher, MockAgent } from 'undici';
import { emptyObservation, Span } from '../../tracing/span.js';
import type { ToolContext } from '../types.js';
import { createHttpTool, createSafeAgent, httpToolSchema, type HttpToolInput, type Resolver } from './index.js';

const seen: string[] = [];
const held: ServerResponse[] = [];
let bigClosed: Promise<void> | null = null;

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const url = new URL(req.url!, 'http://x');
  seen.push(`${req.method} ${req.headers.host} ${req.url}`);
  if (url.pathname === '/hang') return void held.push(res);
  if (url.pathname === '/big') {
    bigClosed = new Promise((r) => req.socket.once('close', () => r()));
    res.writeHead(200, { 'content-type': 'text/plain' });
    const block = Buffer.alloc(16 * 1024, 'a');
    const pump = () => {
      while (!res.destroyed && res.write(block));
      if (!res.destroyed) res.once('drain', pump);
    };
    return pump();
  }
  if (url.pathname.startsWith('/status/')) {
    const code = Number(url.pathname.slice(8));
    return void res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no such thing', code }));
  }
  if (url.pathname === '/redirect') {
    return void res.writeHead(Number(url.searchParams.get('code') ?? 302), { location: url.searchParams.get('to')! }).end();
  }
  if (url.pathname === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
  if (url.pathname === '/png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, key: req.headers['x-api-key'] ?? null, type: req.headers['content-type'] ?? null, body: Buffer.concat(chunks).toString() }, null, 2));
}

const server = createServer((req, res) => void handle(req, res));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as AddressInfo).port;
const base = `http://127.0.0.1:${port}`;
after(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const fakeResolver =
  (table: Record<string, string>): Resolver =>
  async (hostname) => {
    const address = table[hostname];
    if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [{ address, family: 4 }];
  };
const lookup = fakeResolver({ 'a.test': '127.0.0.1', 'b.test': '127.0.0.1', 'internal.test': '127.0.0.1' });

function context(signal: AbortSignal = new AbortController().signal): ToolContext & { span: Span } {
  const span = new Span({ record() {} }, emptyObservation({ trace_id: 't1', type: 'tool', name: 'http' }));
  return { signal, traceId: 't1', userId: null, span };
}

const echo = (extra: Partial<HttpToolInput> = {}): HttpToolInput => ({
  name: 'orders',
  description: 'List a user’s orders',
  url: `${base}/users/{id}/orders?status={status}`,
  parameters: {
    type: 'object',
    properties: { id: { type: 'string' }, status: { type: 'string' }, limit: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
    required: ['id'],
  },
  headers: { 'x-api-key': 'secret-key' },
  allow_private: true,
  ...extra,
});

const json = (content: string) => JSON.parse(content) as Record<string, unknown>;

test('GET: path and query templating; a "../admin" argument stays inside one path segment', async () => {
  const tool = createHttpTool(echo());
  assert.equal(tool.kind, 'http');
  assert.deepEqual(tool.parameters.required, ['id']);
  const ctx = context();
  const r = await tool.run({ id: '../admin', status: 'a b&c=d', limit: 5, tags: ['x', 'y'], undeclared: 'dropped' }, ctx);
  assert.equal(r.isError, undefined);
  const got = json(r.content);
  assert.equal(got.url, '/users/..%2Fadmin/orders?status=a%20b%26c%3Dd&limit=5&tags=x&tags=y');
  assert.equal(got.key, 'secret-key');
  assert.equal(got.body, '');
  assert.ok(!r.content.includes('\n'), 'JSON is re-serialized compactly');
  assert.deepEqual(ctx.span.observation.metadata, {
    http: { method: 'GET', url: `${base}/users/..%2Fadmin/orders?status=a%20b%26c%3Dd&limit=5&tags=x&tags=y`, status: 200, bytes: Buffer.byteLength(JSON.stringify(got, null, 2)), redirects: 0 },
  });
  assert.ok(!JSON.stringify(ctx.span.observation.metadata).includes('secret-key'), 'headers are never traced');
  // An absent optional query placeholder drops its pair.
  assert.equal(json((await tool.run({ id: 'u/1' }, context())).content).url, '/users/u%2F1/orders');
  const dots = await tool.run({ id: '..' }, context());
  assert.equal(dots.isError, true);
  assert.match(dots.content, /argument "id" cannot be "\.\."/);
});

test('missing and mistyped arguments are an error result naming them', async () => {
  const tool = createHttpTool(echo());
  const before = seen.length;
  const r = await tool.run({ limit: '5', status: 3 }, context());
  assert.equal(r.isError, true);
  assert.match(r.content, /missing required argument "id"/);
  assert.match(r.content, /"limit" must be an integer \(got string "5"\)/);
  assert.match(r.content, /"status" must be a string \(got number\)/);
  assert.equal(seen.length, before, 'nothing was sent');
});

test('POST: arguments the URL does not use go to a JSON body', async () => {
  const tool = createHttpTool({
    name: 'create_item',
    description: 'Create an item',
    method: 'post',
    url: `${base}/items/{id}`,
    parameters: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, tags: { type: 'array' } } },
    headers: { 'x-api-key': '{{literal}}' },
    allow_private: true,
  });
  const got = json((await tool.run({ id: 7, name: 'Ünïcode', tags: ['a'] }, context())).content);
  assert.equal(got.method, 'POST');
  assert.equal(got.url, '/items/7');
  assert.equal(got.type, 'application/json');
  assert.equal(got.key, '{literal}', '{{ and }} are literal braces');
  assert.deepEqual(JSON.parse(got.body as string), { name: 'Ünïcode', tags: ['a'] });
});

test('non-2xx answers are an error result with the status and a body excerpt', async () => {
  const tool = createHttpTool({ name: 'st', description: 'status', url: `${base}/status/{code}`, parameters: { type: 'object', properties: { code: { type: 'integer' } } }, allow_private: true });
  const ctx = context();
  const r = await tool.run({ code: 404 }, ctx);
  assert.equal(r.isError, true);
  assert.equal(r.content, 'HTTP 404 Not Found: {"error":"no such thing","code":404}');
  assert.equal((ctx.span.observation.metadata!.http as { status: number }).status, 404);
  assert.match((await tool.run({ code: 503 }, context())).content, /^HTTP 503 Service Unavailable: /);
});

test('the same local tool without allow_private is refused with a clear message, before anything is sent', async () => {
  const before = seen.length;
  const r = await createHttpTool(echo({ allow_private: false })).run({ id: '1' }, context());
  assert.equal(r.isError, true);
  assert.match(r.content, /^orders: refused: address 127\.0\.0\.1 is loopback \(127\.0\.0\.0\/8\); only public addresses are allowed \(allow_private: true lifts this\)$/);
  const viaName = await createHttpTool(echo({ url: `http://a.test:${port}/users/{id}`, allow_private: false }), { lookup }).run({ id: '1' }, context());
  assert.match(viaName.content, /refused: a\.test resolves to 127\.0\.0\.1, which is loopback/);
  const local = await createHttpTool(echo({ url: `http://localhost:${port}/users/{id}`, allow_private: false })).run({ id: '1' }, context());
  assert.match(local.content, /refused: localhost is a loopback name/);
  assert.equal(seen.length, before);
});

test('timeout_ms ends a call that does not answer', async () => {
  const tool = createHttpTool({ name: 'slow', description: 'hangs', url: `${base}/hang`, allow_private: true, timeout_ms: 150 });
  const t0 = Date.now();
  await assert.rejects(tool.run({}, context()), /slow: no complete answer from http:\/\/127\.0\.0\.1:\d+\/hang within 150 ms/);
  assert.ok(Date.now() - t0 < 2000);
  const ac = new AbortController();
  const p = tool.run({}, context(ac.signal));
  ac.abort(new Error('client went away'));
  await assert.rejects(p, /client went away/);
});

test('a response above max_response_bytes is truncated and its connection closed', async () => {
  const tool = createHttpTool({ name: 'big', description: 'big', url: `${base}/big`, allow_private: true, max_response_bytes: 1000 });
  const r = await tool.run({}, context());
  assert.equal(r.isError, undefined);
  assert.equal(r.content, `${'a'.repeat(1000)}\n[truncated at 1000 bytes]`);
  assert.deepEqual((r.data as { truncated: boolean }).truncated, true);
  const closed = await Promise.race([bigClosed!.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]);
  assert.equal(closed, true, 'the server saw the connection close');
});

test('binary bodies are summarized', async () => {
  const r = await createHttpTool({ name: 'png', description: 'png', url: `${base}/png`, allow_private: true }).run({}, context());
  assert.equal(r.content, '[binary image/png, 7 bytes]');
});

test('a host outside allow_hosts is refused (host placeholder, and redirects)', async () => {
  const tool = createHttpTool(
    { name: 'multi', description: 'm', url: `http://{host}:${port}/x`, parameters: { type: 'object', properties: { host: { type: 'string' } } }, allow_hosts: ['a.test'], allow_private: true },
    { lookup },
  );
  assert.match((await tool.run({ host: 'a.test' }, context())).content, /"host":"a\.test:\d+"/);
  const r = await tool.run({ host: 'b.test' }, context());
  assert.equal(r.isError, true);
  assert.match(r.content, /refused: host b\.test:\d+ is not in allow_hosts \(a\.test\)/);
  const sneaky = await tool.run({ host: 'a.test@b.test' }, context());
  assert.equal(sneaky.isError, true);
  const redirect = createHttpTool({ name: 'r', description: 'r', url: `${base}/redirect?to={to}`, parameters: { type: 'object', properties: { to: { type: 'string' } } }, allow_private: true });
  const off = await redirect.run({ to: `http://b.test:${port}/x` }, context());
  assert.match(off.content, /refused: host b\.test:\d+ is not in allow_hosts \(127\.0\.0\.1:\d+\)/);
  assert.match((await redirect.run({ to: 'file:///etc/passwd' }, context())).content, /file: URLs are not allowed/);
});

test('a redirect to another allowed host is followed; configured headers stay with the origin', async () => {
  const tool = createHttpTool(
    { name: 'hop', description: 'h', url: `http://a.test:${port}/redirect?to={to}&code={code}`, parameters: { type: 'object', properties: { to: { type: 'string' }, code: { type: 'integer' } } }, headers: { 'x-api-key': 'k' }, allow_hosts: ['a.test', 'b.test'], allow_private: true },
    { lookup },
  );
  const ctx = context();
  const r = await tool.run({ to: `http://b.test:${port}/final?x=1` }, ctx);
  const got = json(r.content);
  assert.deepEqual([got.host, got.url, got.key], [`b.test:${port}`, '/final?x=1', null]);
  assert.deepEqual(ctx.span.observation.metadata!.http, { method: 'GET', url: `http://b.test:${port}/final?x=1`, status: 200, bytes: (r.data as { bytes: number }).bytes, redirects: 1 });
  const same = json((await tool.run({ to: '/final' }, context())).content);
  assert.equal(same.key, 'k', 'same-origin redirects keep the headers');
  const loop = createHttpTool({ name: 'loop', description: 'l', url: `${base}/loop`, allow_private: true });
  assert.match((await loop.run({}, context())).content, /too many redirects: stopped after 3/);
});

test('a redirect to a private address is refused (DNS name and literal), re-checked at connect time', async () => {
  // public.test is mocked (it stands for a public API); every other origin goes through the real safe agent.
  const mock = new MockAgent();
  mock.disableNetConnect();
  const safe = createSafeAgent({ allowPrivate: false, resolve: lookup });
  const router = new (class extends Dispatcher {
    dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      return (String(opts.origin).startsWith('https://public.test') ? mock : safe).dispatch(opts, handler);
    }
  })();
  const pub = mock.get('https://public.test');
  pub.intercept({ path: '/start?to=internal', method: 'GET' }).reply(302, '', { headers: { location: `http://internal.test:${port}/secret` } });
  pub.intercept({ path: '/start?to=metadata', method: 'GET' }).reply(307, '', { headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
  pub.intercept({ path: '/start?to=decimal', method: 'GET' }).reply(302, '', { headers: { location: `http://2130706433:${port}/secret` } });
  const tool = createHttpTool(
    { name: 'pub', description: 'p', url: 'https://public.test/start?to={to}', parameters: { type: 'object', properties: { to: { type: 'string' } } }, allow_hosts: ['public.test', 'internal.test', '*'] },
    { dispatcher: router },
  );
  const before = seen.length;
  const r1 = await tool.run({ to: 'internal' }, context());
  assert.equal(r1.isError, true);
  assert.match(r1.content, /refused: internal\.test resolves to 127\.0\.0\.1, which is loopback/);
  assert.match((await tool.run({ to: 'metadata' }, context())).content, /refused: address 169\.254\.169\.254 is link-local/);
  assert.match((await tool.run({ to: 'decimal' }, context())).content, /refused: address 127\.0\.0\.1 is loopback/);
  assert.equal(seen.length, before, 'the private server was never reached');
  await mock.close();
  await safe.close();
});

test('schema: defaults, and precise errors', () => {
  const c = httpToolSchema.parse({ name: 'w', description: 'd', url: 'https://api.example.com:8443/w/{city}', parameters: { type: 'object', properties: { city: { type: 'string' } } } });
  assert.deepEqual([c.method, c.body, c.allow_hosts, c.allow_private, c.timeout_ms, c.max_response_bytes], ['GET', 'none', ['api.example.com:8443'], false, 10000, 1048576]);
  assert.deepEqual(httpToolSchema.parse(c), c, 'parsing is idempotent');
  assert.equal(httpToolSchema.parse({ ...c, method: 'PUT', body: undefined }).body, 'json');
  const issues = (raw: Record<string, unknown>) => {
    const r = httpToolSchema.safeParse({ name: 'w', description: 'd', url: 'https://api.example.com/x', ...raw });
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.deepEqual(issues({ url: 'https://api.example.com/users/{id}/{nope}', parameters: { type: 'object', properties: { id: {} } } }), [
    'url: placeholder {nope} is not a declared parameter (declared: id); add it to parameters.properties',
  ]);
  assert.deepEqual(issues({ method: 'FETCH' }), ['method: method must be one of GET, POST, PUT, PATCH, DELETE']);
  assert.deepEqual(issues({ url: 'https://{tenant}.example.com/x', parameters: { type: 'object', properties: { tenant: {} } } }), [
    'allow_hosts: the url host contains a placeholder, so allow_hosts must list the hosts it may become',
  ]);
  assert.deepEqual(issues({ url: 'ftp://x/{a' }), ['url: unbalanced "{" or "}" (placeholders are written {name})', 'url: url must be an absolute http:// or https:// URL template, got "ftp://x/{a"']);
  assert.deepEqual(issues({ body: 'json' }), ['body: GET requests cannot have a body; use body: none (arguments go to the query string)']);
  assert.deepEqual(issues({ headers: { Authorization: 'Bearer {token}', Host: 'x' } }), [
    'headers.Host: the Host header is set by Assay and cannot be configured',
    'headers.Authorization: placeholder {token} is not a declared parameter (declared: none)',
  ]);
  assert.deepEqual(issues({ allow_hosts: ['https://x.com/a'] }), ['allow_hosts.0: "https://x.com/a" is not a host name (use api.example.com, *.example.com or host:port)']);
  assert.deepEqual(issues({ parameters: { type: 'object', properties: {}, required: ['q'] } }), ['parameters.required.0: "q" is required but not in parameters.properties']);
  assert.deepEqual(issues({ name: 'bad name' }), ['name: name must be 1-64 letters, digits, _ or - (a function name the model can call)']);
  assert.throws(() => createHttpTool({ name: 'x', description: 'd', url: 'https://a.example/{q}' }), /invalid HTTP tool "x":\n {2}- url: placeholder \{q\} is not a declared parameter/);
});
