/**
 * MCP servers and HTTP tools in the gateway's tool loop, end to end: the openai SDK as the client,
 * a scripted upstream model, a real MCP server over stdio (built with the MCP SDK) and over
 * Streamable HTTP, a local HTTP API. Covers: tools listed and called, an MCP server that fails to
 * start (the call fails loudly, the trace says why), a server that dies mid-call (the model reads
 * the error, the next call respawns it), HTTP tools with the private-address guard.
 */
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';
import { startHttpMcpServer, type HttpMcpServer } from './helpers/mcp-server.js';
import { startScriptedOpenAI, toolResults, type ScriptedOpenAI } from './helpers/scripted-openai.js';

const MCP_SERVER_TS = fileURLToPath(new URL('./helpers/mcp-server.ts', import.meta.url));

let up: ScriptedOpenAI;
let assay: TestAssay;
let client: OpenAI;
let mcpHttp: HttpMcpServer;
let api: Server;
let apiUrl: string;

const ext = (x: unknown) => (x as { assay: any }).assay;

/** Step 1: call `name` with `args`; step 2: answer with the tool's result. */
const callThenAnswer = (name: string, args: unknown) => (body: any) => {
  const results = toolResults(body);
  if (results.size === 0) return { tool_calls: [{ name, arguments: args }] };
  return { content: `tool said: ${[...results.values()].join(' | ')}` };
};

before(async () => {
  up = await startScriptedOpenAI();
  mcpHttp = await startHttpMcpServer();
  api = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ city: decodeURIComponent(u.pathname.split('/').pop()!), temp_c: 21, unit: u.searchParams.get('unit') }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const weather = (name: string, allowPrivate: boolean) => ({
    name,
    description: 'Current weather for a city',
    url: `${apiUrl}/weather/{city}?unit={unit}`,
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city', 'unit'] },
    allow_private: allowPrivate,
  });
  assay = await startAssay({
    providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['m'] }],
    mcp_servers: [
      { name: 'calc', transport: 'stdio', command: process.execPath, args: ['--import', 'tsx', MCP_SERVER_TS] },
      { name: 'remote', transport: 'http', url: mcpHttp.url },
      { name: 'broken', transport: 'stdio', command: process.execPath, args: ['-e', 'console.error("missing API token"); process.exit(3)'] },
    ],
    http_tools: [weather('weather', true), weather('weather_guarded', false)],
    routes: [
      { name: 'calc', targets: [{ model: 'up/calc' }], tools: [{ mcp: { server: 'calc', tools: ['add', 'crash'] } }] },
      { name: 'remote', targets: [{ model: 'up/remote' }], tools: [{ mcp: { server: 'remote' } }] },
      { name: 'broken', targets: [{ model: 'up/broken' }], tools: [{ mcp: { server: 'broken' } }] },
      { name: 'weather', targets: [{ model: 'up/weather' }], tools: [{ http: { name: 'weather' } }, { http: { name: 'weather_guarded' } }] },
    ],
  });
  client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
});
after(async () => {
  await assay?.stop();
  await up?.close();
  await mcpHttp?.close();
  await new Promise<void>((r) => api?.close(() => r()));
});
beforeEach(() => {
  up.requests.length = 0;
});

describe('MCP tools in the loop', () => {
  test('stdio server: its tools are offered (allow-list applied) and called', async () => {
    up.scripts.set('calc', callThenAnswer('calc__add', { a: 2, b: 3 }));
    const data = await client.chat.completions.create({ model: 'calc', messages: [{ role: 'user', content: '2+3?' }] });
    assert.equal(data.choices[0].message.content, 'tool said: 5');
    const offered = up.requests[0].tools!.map((t) => t.function.name).sort();
    assert.deepEqual(offered, ['calc__add', 'calc__crash']);
    assert.equal(ext(data).tool_loop.tool_calls[0].kind, 'mcp');
  });

  test('Streamable HTTP server', async () => {
    up.scripts.set('remote', callThenAnswer('remote__echo', { text: 'over http' }));
    const data = await client.chat.completions.create({ model: 'remote', messages: [{ role: 'user', content: 'echo' }] });
    assert.equal(data.choices[0].message.content, 'tool said: over http');
  });

  test('a server that fails to start fails the call loudly (502 tool_unavailable, stderr quoted) and the trace says why', async () => {
    up.scripts.set('broken', () => ({ content: 'must not be reached' }));
    const res = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'broken', messages: [{ role: 'user', content: 'x' }] }) });
    assert.equal(res.status, 502);
    const body = (await res.json()) as any;
    assert.equal(body.error.code, 'tool_unavailable');
    assert.match(body.error.message, /MCP server "broken"/);
    assert.match(body.error.message, /code 3/);
    assert.match(body.error.message, /missing API token/);
    assert.equal(up.requests.length, 0, 'the model was never called without its tools');
    await assay.flush();
    const t = (await (await assay.api(`/api/traces/${res.headers.get('x-assay-trace-id')}`)).json()) as { observations: any[] };
    const root = t.observations.find((o) => o.parent_id === null);
    assert.equal(root.status, 'error');
    assert.match(root.error, /MCP server "broken"/);
  });

  test('a server that dies mid-call: the model reads the error, the call succeeds, the next call respawns it', async () => {
    up.scripts.set('calc', callThenAnswer('calc__crash', {}));
    const data = await client.chat.completions.create({ model: 'calc', messages: [{ role: 'user', content: 'crash' }] });
    assert.match(data.choices[0].message.content!, /tool said: Error: .*calc/);
    assert.equal(ext(data).tool_loop.tool_calls[0].status, 'error');
    up.scripts.set('calc', callThenAnswer('calc__add', { a: 40, b: 2 }));
    const again = await client.chat.completions.create({ model: 'calc', messages: [{ role: 'user', content: 'add' }] });
    assert.equal(again.choices[0].message.content, 'tool said: 42');
  });

  test('a request naming an unknown server or tool gets a 400', async () => {
    const call = (tools: unknown) =>
      assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'up/calc', messages: [{ role: 'user', content: 'x' }], assay: { tools } }) });
    let res = await call([{ mcp: { server: 'nope' } }]);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error.message, /unknown MCP server "nope".*"calc", "remote", "broken"/);
    res = await call([{ mcp: { server: 'calc', tools: ['subtract'] } }]);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error.message, /no tool "subtract"/);
  });
});

describe('HTTP tools in the loop', () => {
  test('a templated GET: path and query filled from the arguments, JSON fed back', async () => {
    up.scripts.set('weather', callThenAnswer('weather', { city: 'São Paulo', unit: 'c' }));
    const data = await client.chat.completions.create({ model: 'weather', messages: [{ role: 'user', content: 'weather?' }] });
    const said = JSON.parse(data.choices[0].message.content!.replace('tool said: ', '')) as { city: string; temp_c: number; unit: string };
    assert.deepEqual(said, { city: 'São Paulo', temp_c: 21, unit: 'c' });
  });

  test('the private-address guard: a tool without allow_private cannot reach 127.0.0.1', async () => {
    up.scripts.set('weather', callThenAnswer('weather_guarded', { city: 'Oslo', unit: 'c' }));
    const data = await client.chat.completions.create({ model: 'weather', messages: [{ role: 'user', content: 'weather?' }] });
    assert.match(data.choices[0].message.content!, /refused|private|loopback/i);
    assert.equal(ext(data).tool_loop.tool_calls[0].status, 'error');
  });
});

describe('/api/tools', () => {
  test('lists the tool sources with their state; connect starts an MCP server ahead of a call or says why it cannot', async () => {
    let res = await assay.api('/api/tools/mcp/remote/connect', { method: 'POST' });
    assert.equal(res.status, 200);
    const connected = (await res.json()) as { tools: { name: string; tool: string }[] };
    assert.ok(connected.tools.some((t) => t.name === 'remote__add' && t.tool === 'add'));
    res = await assay.api('/api/tools/mcp/broken/connect', { method: 'POST' });
    assert.equal(res.status, 502);
    assert.match(((await res.json()) as any).error.message, /missing API token/);

    res = await assay.api('/api/tools');
    assert.equal(res.status, 200);
    const body = (await res.json()) as any;
    const byName = new Map<string, any>(body.mcp_servers.map((m: any) => [m.name, m]));
    assert.equal(byName.get('remote').state, 'ready');
    assert.equal(byName.get('broken').state, 'failed');
    assert.match(byName.get('broken').error, /code 3/);
    assert.deepEqual(body.http_tools.map((t: any) => t.name), ['weather', 'weather_guarded']);
    assert.equal(body.memory.enabled, false);
    assert.deepEqual(body.routes.map((r: any) => r.name), ['calc', 'remote', 'broken', 'weather']);
  });
});

describe('config checks', () => {
  test('a route naming an undefined MCP server or HTTP tool is a config error naming the path', async () => {
    await assert.rejects(
      startAssay({ providers: [], routes: [{ name: 'r', targets: [{ model: 'local/x' }], tools: [{ mcp: { server: 'ghost' } }, { http: { name: 'nope' } }] }] }),
      (err: Error) => /routes\[0\]\.tools\[0\]\.mcp\.server/.test(err.message) && /MCP server "ghost" is not defined/.test(err.message) && /http tool "nope"/.test(err.message),
    );
  });
});
