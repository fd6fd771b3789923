/**
 * McpServers against the Streamable HTTP test server (in-process), the resolver family, and the
 * config schema.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHttpMcpServer, type HttpMcpServer } from '../../../test/helpers/mcp-server.js';
import { ToolUnavailableError } from '../types.js';
import { McpServers, mcpServerSchema, mcpToolFamily } from './index.js';
import { byName, configs, ctx, freePort, rejectsWithin } from './test-support.js';

describe('http MCP server', () => {
  let http: HttpMcpServer;
  let servers: McpServers;
  before(async () => {
    http = await startHttpMcpServer();
    const down = `http://127.0.0.1:${await freePort()}/mcp`;
    servers = new McpServers(
      configs([
        { name: 'web', transport: 'http', url: http.url },
        { name: 'some', transport: 'http', url: http.url, tools: ['add', 'dotted.name'] },
        { name: 'typo', transport: 'http', url: http.url, tools: ['add', 'ad'] },
        { name: 'down', transport: 'http', url: down, connect_timeout_ms: 2000 },
        { name: 'wrongpath', transport: 'http', url: http.url.replace('/mcp', '/api?token=secret') },
      ]),
      { retryAfterMs: 0 },
    );
  });
  after(async () => {
    await servers.close();
    await http.close();
  });

  test('list and call', async () => {
    const tools = await servers.tools('web');
    assert.equal((await byName(tools, 'web__add').run({ a: 20, b: 22 }, ctx())).content, '42');
    assert.equal((await byName(tools, 'web__fail').run({}, ctx())).isError, true);
    assert.equal(servers.status()[0].state, 'ready');
  });

  test('the allow-list keeps only the named tools; a name the server lacks fails loudly', async () => {
    assert.deepEqual((await servers.tools('some')).map((t) => t.name), ['some__add', 'some__dotted_name']);
    const err = await rejectsWithin(servers.tools('typo'), 5000);
    assert.ok(err instanceof ToolUnavailableError);
    assert.match(err.message, /MCP server "typo" does not offer "ad" named in its "tools" allow-list; it offers: add, echo/);
  });

  test('the resolver family: the spec narrows the tools; unknown servers and tools are 400s', async () => {
    const family = mcpToolFamily(servers);
    const env = { ...ctx(), messages: [], siblings: 1 };
    const part = await family({ kind: 'mcp', mcp: { server: 'web', tools: ['echo', 'dotted.name'] } }, env);
    assert.deepEqual(part.tools.map((t) => t.name), ['web__echo', 'web__dotted_name']);
    assert.equal((await family({ kind: 'mcp', mcp: { server: 'web' } }, env)).tools.length, 10);
    const noTool = await rejectsWithin(family({ kind: 'mcp', mcp: { server: 'some', tools: ['echo'] } }, env), 1000);
    assert.equal((noTool as ToolUnavailableError).status, 400);
    assert.match(noTool.message, /MCP server "some" has no tool "echo"; its tools: add, dotted.name/);
    const noServer = await rejectsWithin(family({ kind: 'mcp', mcp: { server: 'nope' } }, env), 1000);
    assert.equal((noServer as ToolUnavailableError).status, 400);
    assert.match(noServer.message, /unknown MCP server "nope" in tools; configured MCP servers \(mcp_servers\): "web", "some", "typo", "down"/);
  });

  test('nothing listening: ToolUnavailableError with the URL', async () => {
    const err = await rejectsWithin(servers.tools('down'), 5000);
    assert.ok(err instanceof ToolUnavailableError);
    assert.match(err.message, /MCP server "down" \(http:\/\/127\.0\.0\.1:\d+\/mcp\) failed to connect: .*ECONNREFUSED/);
    const notFound = await rejectsWithin(servers.tools('wrongpath'), 5000);
    assert.match(notFound.message, /MCP server "wrongpath" \(http:\/\/127\.0\.0\.1:\d+\/api\) failed to connect: HTTP 404/);
    assert.doesNotMatch(notFound.message, /secret/);
  });

  test('the server stops after connect: errors, no hang', async () => {
    const own = await startHttpMcpServer();
    const s = new McpServers(configs([{ name: 'gone', transport: 'http', url: own.url, connect_timeout_ms: 2000 }]), { retryAfterMs: 0 });
    try {
      const tools = await s.tools('gone');
      await own.close();
      const err = await rejectsWithin(byName(tools, 'gone__add').run({ a: 1, b: 2 }, ctx()), 5000);
      assert.match(err.message, /MCP server "gone"/);
      const listErr = await rejectsWithin(s.tools('gone'), 5000);
      assert.ok(listErr instanceof ToolUnavailableError);
      assert.match(listErr.message, /MCP server "gone" .*failed to connect: .*ECONNREFUSED/);
    } finally {
      await s.close();
      await own.close();
    }
  });
});

describe('mcpServerSchema', () => {
  const issues = (v: unknown) => {
    const r = mcpServerSchema.safeParse(v);
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  test('defaults', () => {
    const cfg = mcpServerSchema.parse({ name: 'files', transport: 'stdio', command: 'npx' });
    assert.equal(cfg.connect_timeout_ms, 10_000);
    assert.equal(cfg.call_timeout_ms, 30_000);
  });

  test('stdio needs command, http needs url, each with its own fields', () => {
    assert.deepEqual(issues({ name: 'a', transport: 'stdio' }), ['command: a stdio MCP server needs "command" (the executable to run, e.g. npx)']);
    assert.deepEqual(issues({ name: 'a', transport: 'http' }), ['url: an http MCP server needs "url" (its Streamable HTTP endpoint, e.g. https://host/mcp)']);
    assert.deepEqual(issues({ name: 'a', transport: 'http', url: 'ftp://x/y' }), ['url: url must be an http:// or https:// URL']);
    assert.deepEqual(issues({ name: 'a', transport: 'http', url: 'http://x', command: 'y' }), ['command: "command" applies to stdio MCP servers only']);
    assert.deepEqual(issues({ name: 'a', transport: 'stdio', command: 'x', url: 'http://x' }), ['url: "url" applies to http MCP servers only']);
  });

  test('name, transport and unknown keys', () => {
    assert.match(issues({ name: 'a b', transport: 'stdio', command: 'x' })[0], /^name: an MCP server name is 1 to 32 characters/);
    assert.match(issues({ name: 'x'.repeat(33), transport: 'stdio', command: 'x' })[0], /^name:/);
    assert.match(issues({ name: 'a', transport: 'sse', url: 'http://x' })[0], /^transport: transport must be "stdio" or "http"/);
    assert.match(issues({ name: 'a', transport: 'stdio', command: 'x', comand: 'y' })[0], /comand/);
  });
});
