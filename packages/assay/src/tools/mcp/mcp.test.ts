/**
 * McpServers against real stdio MCP servers: the SDK-built test server as a child process, a
 * hand-written minimal server, and processes that fail in the ways real servers do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ToolUnavailableError } from '../types.js';
import { McpServers } from './index.js';
import { alive, byName, configs, ctx, gone, node, rejectsWithin, SERVER_TS, tsServer } from './test-support.js';

describe('stdio MCP server', () => {
  const logs: string[] = [];
  const servers = new McpServers(configs([{ name: 'files', ...tsServer, call_timeout_ms: 1500 }]), { log: (m) => logs.push(m) });
  after(() => servers.close());

  test('concurrent callers share one spawn; tools are named, described and typed', async () => {
    const [tools, again, third] = await Promise.all([servers.tools('files'), servers.tools('files'), servers.tools('files')]);
    assert.equal(again, tools);
    assert.equal(third, tools);
    assert.equal(logs.filter((l) => l.includes('connected')).length, 1);
    const add = byName(tools, 'files__add');
    assert.equal(add.kind, 'mcp');
    assert.equal(add.description, 'Adds two numbers');
    assert.deepEqual(Object.keys((add.parameters as { properties: object }).properties), ['a', 'b']);
    byName(tools, 'files__dotted_name');
    assert.equal(await servers.tools('files'), tools, 'cached');
    const [st] = servers.status();
    assert.equal(st.state, 'ready');
    assert.equal(st.tools, tools.length);
    assert.ok(st.pid && alive(st.pid));
  });

  test('calls map results: text, isError, image, structured, resource; span gets mcp meta', async () => {
    const tools = await servers.tools('files');
    const c = ctx();
    const sum = await byName(tools, 'files__add').run({ a: 2, b: 40 }, c);
    assert.equal(sum.content, '42');
    assert.equal(sum.isError, undefined);
    assert.deepEqual(c.span.observation.metadata, { mcp: { server: 'files', tool: 'add' } });
    assert.equal((await byName(tools, 'files__echo').run({ text: 'héllo' }, ctx())).content, 'héllo');
    const failed = await byName(tools, 'files__fail').run({}, ctx());
    assert.equal(failed.isError, true);
    assert.equal(failed.content, 'the tool failed on purpose');
    assert.match((await byName(tools, 'files__image').run({}, ctx())).content, /^\[image: image\/png, \d+ bytes\]$/);
    const structured = await byName(tools, 'files__structured').run({}, ctx());
    assert.deepEqual(JSON.parse(structured.content), { total: 2, items: ['a', 'b'] });
    const res = await byName(tools, 'files__resource').run({}, ctx());
    assert.equal(res.content, 'the notes\n[resource: file:///big.bin]');
    assert.equal((await byName(tools, 'files__dotted_name').run({}, ctx())).content, 'ok');
    const bad = await byName(tools, 'files__add').run({ a: 'x' }, ctx());
    assert.equal(bad.isError, true, 'invalid arguments come back for the model to read');
  });

  test('call timeout, then the connection still works', async () => {
    const tools = await servers.tools('files');
    const t0 = Date.now();
    const err = await rejectsWithin(byName(tools, 'files__slow').run({ ms: 5000 }, ctx()), 4000);
    assert.match(err.message, /"slow" on MCP server "files" timed out after 1500 ms/);
    assert.ok(Date.now() - t0 >= 1400);
    assert.equal((await byName(tools, 'files__add').run({ a: 1, b: 1 }, ctx())).content, '2');
  });

  test('abort via ctx.signal cancels the call', async () => {
    const tools = await servers.tools('files');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    const err = await rejectsWithin(byName(tools, 'files__slow').run({ ms: 5000 }, ctx(ac.signal)), 1000);
    assert.match(err.message, /cancelled/);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal((await byName(tools, 'files__slow').run({ ms: 1 }, ctx())).content, 'slept 1 ms');
  });

  test('tools/list_changed invalidates the cached list', async () => {
    const before = await servers.tools('files');
    await byName(before, 'files__grow').run({}, ctx());
    let after = await servers.tools('files');
    for (let i = 0; i < 20 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await servers.tools('files');
    }
    assert.equal((await byName(after, 'files__extra1').run({}, ctx())).content, 'extra 1');
  });

  test('a crash mid-call names the server; the next tools() respawns', async () => {
    const tools = await servers.tools('files');
    const oldPid = servers.status()[0].pid!;
    const err = await rejectsWithin(byName(tools, 'files__crash').run({}, ctx()), 5000);
    assert.match(err.message, /MCP server "files" stopped: process exited with code 1/);
    assert.match(err.message, /crashing on purpose/);
    assert.equal(servers.status()[0].state, 'failed');
    const again = await servers.tools('files');
    assert.notEqual(again, tools);
    const st = servers.status()[0];
    assert.equal(st.state, 'ready');
    assert.notEqual(st.pid, oldPid);
    assert.equal((await byName(again, 'files__add').run({ a: 3, b: 4 }, ctx())).content, '7');
    // Tools listed before the crash still work: they call through the new connection.
    assert.equal((await byName(tools, 'files__echo').run({ text: 'x' }, ctx())).content, 'x');
  });

  test('close() terminates the child', async () => {
    const pid = servers.status()[0].pid!;
    assert.ok(alive(pid));
    await servers.close();
    assert.equal(alive(pid), false);
    assert.equal(servers.status()[0].state, 'closed');
    await assert.rejects(servers.tools('files'), ToolUnavailableError);
  });
});

describe('stdio servers that fail to start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'assay-mcp-'));
  const pidFile = join(dir, 'mute.pid');
  const servers = new McpServers(
    configs([
      { name: 'missing', transport: 'stdio', command: 'assay-no-such-mcp-server' },
      { name: 'exits', ...node("console.error('boom'); process.exit(3)") },
      {
        name: 'mute',
        ...node(`require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); console.error('waiting forever'); setInterval(() => {}, 1000)`),
        connect_timeout_ms: 600,
      },
    ]),
    { retryAfterMs: 60_000 },
  );
  after(async () => {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a command that does not exist', async () => {
    const err = await rejectsWithin(servers.tools('missing'), 5000);
    assert.ok(err instanceof ToolUnavailableError);
    assert.equal(err.source, 'mcp:missing');
    assert.equal(err.status, 502);
    assert.match(err.message, /MCP server "missing" failed to start: .*ENOENT.*command not found/);
  });

  test('a process that exits at once: exit code and stderr', async () => {
    const err = await rejectsWithin(servers.tools('exits'), 5000);
    assert.ok(err instanceof ToolUnavailableError);
    assert.match(err.message, /^MCP server "exits" failed to start: process exited with code 3 before it answered initialize; stderr:\nboom$/);
    // Within retryAfterMs the same error comes back at once, without another spawn.
    const t0 = Date.now();
    const again = await rejectsWithin(servers.tools('exits'), 1000);
    assert.equal(again.message, err.message);
    assert.ok(Date.now() - t0 < 50);
    assert.equal(servers.status().find((s) => s.name === 'exits')?.state, 'failed');
  });

  test('a process that never answers initialize: connect timeout', async () => {
    const err = await rejectsWithin(servers.tools('mute'), 5000);
    assert.ok(err instanceof ToolUnavailableError);
    assert.match(err.message, /MCP server "mute" failed to start: no answer to initialize within 600 ms/);
    assert.match(err.message, /waiting forever/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await servers.close();
    assert.equal(alive(pid), false, 'the hung process was killed');
  });

  test('close() during a hung start does not wait for connect_timeout_ms', async () => {
    const s = new McpServers(configs([{ name: 'hung', ...node('setInterval(() => {}, 1000)') }]));
    const pending = s.tools('hung');
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await s.close();
    assert.ok(Date.now() - t0 < 3500, `close took ${Date.now() - t0} ms`);
    const err = await rejectsWithin(pending, 100);
    assert.match(err.message, /MCP server "hung" is shut down/);
  });

  test('unknown server name is a bad request naming the configured ones', async () => {
    const err = await rejectsWithin(servers.tools('nope'), 1000);
    assert.equal((err as ToolUnavailableError).status, 400);
    assert.match(err.message, /unknown MCP server "nope"; configured MCP servers: "missing", "exits", "mute"/);
  });
});

test('close() also ends what the server started (its process group)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'assay-mcp-'));
  const pidFile = join(dir, 'helper.pid');
  // Like `npx some-server`: a process that starts a helper which ignores stdin, then serves MCP.
  const wrapper = [
    "const { spawn } = require('node:child_process');",
    "const helper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
    `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(helper.pid));`,
    `import(${JSON.stringify(SERVER_TS)}).then((m) => m.serveStdio());`,
  ].join('\n');
  const servers = new McpServers(configs([{ name: 'wrapped', transport: 'stdio', command: process.execPath, args: ['--import', 'tsx', '-e', wrapper] }]));
  try {
    const tools = await servers.tools('wrapped');
    assert.equal((await byName(tools, 'wrapped__add').run({ a: 1, b: 2 }, ctx())).content, '3');
    const helper = Number(readFileSync(pidFile, 'utf8'));
    const leader = servers.status()[0].pid!;
    assert.ok(alive(helper) && alive(leader));
    await servers.close();
    assert.equal(alive(leader), false);
    assert.ok(await gone(helper), 'no orphan helper');
  } finally {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A minimal hand-written MCP server: two tools/list pages, and a noise line before every answer. */
const MINI_SERVER = `
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', (l) => {
  const m = JSON.parse(l);
  if (m.id === undefined) return;
  let result = {};
  if (m.method === 'initialize') result = { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'mini', version: '1' } };
  if (m.method === 'tools/list') result = m.params && m.params.cursor === 'p2'
    ? { tools: [{ name: 'second', inputSchema: { type: 'object' } }] }
    : { tools: [{ name: 'first', description: 'page one', inputSchema: { type: 'object' } }], nextCursor: 'p2' };
  if (m.method === 'tools/call') result = { content: [{ type: 'text', text: 'called ' + m.params.name }] };
  process.stdout.write('a log line on stdout\\n' + JSON.stringify({ jsonrpc: '2.0', id: m.id, result }) + '\\n');
});`;

test('stdio: paginated tools/list; stdout noise is skipped', async () => {
  const logs: string[] = [];
  const servers = new McpServers(configs([{ name: 'mini', ...node(MINI_SERVER) }, { name: 'banner', ...node("console.log('Server v1 ready'); process.exit(2)") }]), {
    log: (m) => logs.push(m),
  });
  try {
    const tools = await servers.tools('mini');
    assert.deepEqual(tools.map((t) => [t.name, t.description]), [['mini__first', 'page one'], ['mini__second', '']]);
    assert.equal((await tools[1].run({}, ctx())).content, 'called second');
    assert.ok(logs.some((l) => l.includes('not JSON-RPC: a log line on stdout')));
    const err = await rejectsWithin(servers.tools('banner'), 5000);
    assert.match(err.message, /process exited with code 2 before it answered initialize; stderr:\n\[stdout, not JSON-RPC\] Server v1 ready/);
  } finally {
    await servers.close();
  }
});
