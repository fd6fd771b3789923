/**
 * Who may add server-side tools, end to end over HTTP (docs/tools.md, "Who may add tools"): a
 * `model` key may use only the tools its route has (narrowing them) unless its policy grants more;
 * an admin key may add any; request limits only go down; `local/default` exists only when the
 * operator wants it. A scripted upstream model, a real MCP server over Streamable HTTP, a local
 * HTTP API and the real sandbox; the key policy round-trips through SQLite and PostgreSQL.
 */
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, expectError, expectJson, startAssay, type TestAssay } from './helpers/assay.js';
import { startFakeEmbeddings, type FakeEmbeddings } from './helpers/fake-embeddings.js';
import { listenLocal, type LocalServer } from './helpers/local-server.js';
import { startHttpMcpServer, type HttpMcpServer } from './helpers/mcp-server.js';
import { startScriptedOpenAI, toolResults, type ScriptedOpenAI } from './helpers/scripted-openai.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

/** Step 1: call `name` with `args`; step 2: answer with the tool's result. */
const callThenAnswer = (name: string, args: unknown) => (body: { messages: any[] }) => {
  const results = toolResults(body as never);
  if (results.size === 0) return { tool_calls: [{ name, arguments: args }] };
  return { content: `tool said: ${[...results.values()].join(' | ')}` };
};

for (const kind of storeKinds) {
  describe(`tool authorization on ${kind.name}`, { skip: kind.skip }, () => {
    let store: TestStore;
    let up: ScriptedOpenAI;
    let emb: FakeEmbeddings;
    let mcp: HttpMcpServer;
    let api: LocalServer;
    let assay: TestAssay;
    let modelKey: string;
    let grantedKey: string;

    const chat = (key: string, body: Record<string, unknown>) =>
      assay.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'go' }], ...body }, key);
    const offered = (i = 0) => (up.requests[i].tools ?? []).map((t) => t.function.name).sort();

    before(async () => {
      store = kind.make();
      up = await startScriptedOpenAI();
      emb = await startFakeEmbeddings();
      mcp = await startHttpMcpServer();
      api = await listenLocal(async (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"temp_c":21}');
      });
      assay = await startAssay(
        {
          providers: [
            { id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['m'] },
            { id: 'emb', type: 'openai', base_url: emb.url, api_key: 'k', models: ['bow'] },
          ],
          knowledge: { default_embedding_model: 'emb/bow' },
          memory: { embedding_model: 'emb/bow' },
          mcp_servers: [{ name: 'remote', transport: 'http', url: mcp.url }],
          http_tools: [{ name: 'weather', description: 'Weather now', url: `${api.origin}/weather`, allow_private: true }],
          routes: [
            { name: 'plain', targets: [{ model: 'up/plain' }] },
            { name: 'files', targets: [{ model: 'up/files' }], tools: [{ mcp: { server: 'remote', tools: ['echo', 'fail'] } }], tool_loop: { max_steps: 3 } },
            { name: 'coder', targets: [{ model: 'up/coder' }], tools: [{ run_code: { timeout_ms: 500 } }] },
          ],
        },
        { databaseUrl: store.url },
      );
      await expectJson(await assay.post('/api/kb', { name: 'docs' }), 201);
      await expectJson(await assay.post('/api/kb/docs/documents', { documents: [{ source: 'keys.md', content: 'To rotate an API key, create a new key, then revoke the old one.' }] }), 200);
      const create = async (body: unknown) => (await expectJson<{ key: string }>(await assay.post('/api/keys', body), 201)).key;
      modelKey = await create({ name: 'plain model key', scopes: ['model'] });
      grantedKey = await create({
        name: 'granted',
        scopes: ['model'],
        policy: { tools: { run_code: true, memory: true, knowledge_bases: ['docs'], mcp_servers: ['remote'], http_tools: ['weather'] } },
      });
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await emb?.close();
      await mcp?.close();
      await api?.close();
      await store?.cleanup();
    });
    beforeEach(() => {
      up.requests.length = 0;
    });

    const families: [string, unknown, RegExp][] = [
      ['run_code', 'run_code', /run_code \(code execution\).*policy\.tools\.run_code: true/],
      ['memory', 'memory', /memory tools.*policy\.tools\.memory: true/],
      ['retrieve', { retrieve: { kb: 'docs' } }, /knowledge base "docs".*knowledge_bases: \["docs"\]/],
      ['mcp', { mcp: { server: 'remote' } }, /MCP server "remote".*mcp_servers: \["remote"\]/],
      ['http', { http: { name: 'weather' } }, /HTTP tool "weather".*http_tools: \["weather"\]/],
    ];

    test('a model key adding any family of tool to a route without it: 403 naming the entry and how to get it; the model is never called', async () => {
      for (const [family, spec, message] of families) {
        const res = await chat(modelKey, { model: 'plain', assay: { tools: [spec] } });
        const err = await expectError(res, 403, 'tool_not_allowed', message);
        assert.equal(err.param, 'assay.tools[0]', family);
        assert.match(err.message, /route "plain" does not have it.*add it to the route's tools in the config/);
      }
      const direct = await chat(modelKey, { model: 'up/m', assay: { tools: ['run_code'] } });
      await expectError(direct, 403, 'tool_not_allowed', /provider model has no route tools/);
      assert.equal(up.requests.length, 0);
    });

    test('the same tools with a key whose policy grants them work (a provider model too)', async () => {
      up.scripts.set('plain', callThenAnswer('run_code', { code: 'return 6 * 7' }));
      const code = await expectJson(await chat(grantedKey, { model: 'plain', assay: { tools: ['run_code'] } }), 200);
      assert.equal(code.choices[0].message.content, 'tool said: result: 42');
      up.scripts.set('plain', callThenAnswer('remote__echo', { text: 'hi' }));
      const viaMcp = await expectJson(await chat(grantedKey, { model: 'plain', assay: { tools: [{ mcp: { server: 'remote' } }] } }), 200);
      assert.equal(viaMcp.choices[0].message.content, 'tool said: hi');
      up.scripts.set('plain', callThenAnswer('weather', {}));
      const viaHttp = await expectJson(await chat(grantedKey, { model: 'plain', assay: { tools: [{ http: { name: 'weather' } }] } }), 200);
      assert.match(viaHttp.choices[0].message.content, /temp_c/);
      up.scripts.set('m', callThenAnswer('run_code', { code: 'return 1 + 1' }));
      const direct = await expectJson(await chat(grantedKey, { model: 'up/m', assay: { tools: ['run_code'] } }), 200);
      assert.equal(direct.choices[0].message.content, 'tool said: result: 2');
      up.scripts.set('plain', callThenAnswer('retrieve', { query: 'rotate an API key' }));
      const viaKb = await expectJson(await chat(grantedKey, { model: 'plain', assay: { tools: [{ retrieve: { kb: 'docs' } }] } }), 200);
      assert.match(viaKb.choices[0].message.content, /To rotate an API key/);
      up.scripts.set('plain', callThenAnswer('remember', { fact: 'Prefers tea' }));
      const viaMemory = await expectJson(await chat(grantedKey, { model: 'plain', user: 'u-1', assay: { tools: ['memory'] } }), 200);
      assert.match(viaMemory.choices[0].message.content, /tool said: /);
      assert.equal(viaMemory.assay.tool_loop.tool_calls[0].status, 'ok');
      // A grant names sources: another MCP server is still refused.
      await expectError(await chat(grantedKey, { model: 'plain', assay: { tools: [{ http: { openapi: 'pets' } }] } }), 403, 'tool_not_allowed');
    });

    test('an MCP server\'s tool list: narrowing works and applies, widening is a 403, leaving it out keeps the route\'s', async () => {
      up.scripts.set('files', callThenAnswer('remote__echo', { text: 'narrow' }));
      const narrowed = await expectJson(await chat(modelKey, { model: 'files', assay: { tools: [{ mcp: { server: 'remote', tools: ['echo'] } }] } }), 200);
      assert.equal(narrowed.choices[0].message.content, 'tool said: narrow');
      assert.deepEqual(offered(), ['remote__echo'], 'only the narrowed list is offered');
      await expectError(
        await chat(modelKey, { model: 'files', assay: { tools: [{ mcp: { server: 'remote', tools: ['echo', 'grow'] } }] } }),
        403, 'tool_not_allowed', /only "echo", "fail" of MCP server "remote", not "grow"/,
      );
      assert.equal(up.requests.length, 2, 'the widening call never reached the model');
      up.requests.length = 0;
      const kept = await expectJson(await chat(modelKey, { model: 'files', assay: { tools: [{ mcp: { server: 'remote' } }] } }), 200);
      assert.equal(kept.choices[0].message.content, 'tool said: narrow');
      assert.deepEqual(offered(), ['remote__echo', 'remote__fail'], 'an entry without a tool list keeps the route\'s list');
    });

    test('tool_loop and run_code limits: raising is a 400 naming the field and the maximum; lowering works and is applied', async () => {
      const steps = await expectError(await chat(modelKey, { model: 'files', assay: { tool_loop: { max_steps: 4 } } }), 400, 'limit_exceeded', /max_steps: at most 3 \(the route's limit\)/);
      assert.equal(steps.param, 'assay.tool_loop.max_steps');
      await expectError(
        await chat(modelKey, { model: 'files', assay: { tool_loop: { max_tool_output_chars: 50_000 } } }),
        400, 'limit_exceeded', /max_tool_output_chars: at most 32000 \(the default\)/,
      );
      const timeout = await expectError(await chat(modelKey, { model: 'coder', assay: { tools: [{ run_code: { timeout_ms: 5000 } }] } }), 400, 'limit_exceeded', /at most 500/);
      assert.equal(timeout.param, 'assay.tools[0].run_code.timeout_ms');
      await expectError(await chat(modelKey, { model: 'coder', assay: { tools: [{ run_code: { memory_mb: 512 } }] } }), 400, 'limit_exceeded', /at most 64 \(the server default\)/);
      assert.equal(up.requests.length, 0);

      up.scripts.set('files', (body: any) => (body.tool_choice === 'none' ? { content: 'done' } : { tool_calls: [{ name: 'remote__echo', arguments: { text: 'again' } }] }));
      const lowered = await expectJson(await chat(modelKey, { model: 'files', assay: { tool_loop: { max_steps: 2 } } }), 200);
      assert.equal(lowered.assay.tool_loop.steps, 2, 'the route allows 3; the request lowered it to 2');
      assert.deepEqual(up.requests.map((r) => r.tool_choice ?? null), [null, 'none']);
      up.scripts.set('coder', callThenAnswer('run_code', { code: 'while (true) {}' }));
      const fast = await expectJson(await chat(modelKey, { model: 'coder', assay: { tools: [{ run_code: { timeout_ms: 50 } }] } }), 200);
      assert.match(fast.choices[0].message.content, /time limit of 50 ms/);
    });

    test('an admin key is the operator: it may add any tool and raise limits', async () => {
      up.scripts.set('plain', callThenAnswer('run_code', { code: 'return "admin"' }));
      const data = await expectJson(await chat(ADMIN_KEY, { model: 'plain', assay: { tools: ['run_code'], tool_loop: { max_steps: 10 } } }), 200);
      assert.equal(data.choices[0].message.content, 'tool said: result: "admin"');
    });
  });
}

describe('local/default only when the operator wants it', () => {
  const saved = { path: process.env.ASSAY_LOCAL_MODEL, uri: process.env.ASSAY_LOCAL_MODEL_URI };
  before(() => {
    delete process.env.ASSAY_LOCAL_MODEL;
    delete process.env.ASSAY_LOCAL_MODEL_URI;
  });
  after(() => {
    if (saved.path !== undefined) process.env.ASSAY_LOCAL_MODEL = saved.path;
    if (saved.uri !== undefined) process.env.ASSAY_LOCAL_MODEL_URI = saved.uri;
  });
  const models = async (a: TestAssay) => (await expectJson<{ data: { id: string }[] }>(await a.api('/v1/models'), 200)).data.map((m) => m.id);

  test('without a local/… reference, a type: local provider or ASSAY_LOCAL_MODEL, local/default is unknown (404 saying how to enable it)', async () => {
    const assay = await startAssay({ providers: [{ id: 'up', type: 'openai', base_url: 'http://127.0.0.1:9', api_key: 'k', models: ['m'] }] });
    try {
      assert.ok(!(await models(assay)).some((m) => m.startsWith('local/')));
      const res = await assay.post('/v1/chat/completions', { model: 'local/default', messages: [{ role: 'user', content: 'hi' }] });
      await expectError(res, 404, 'model_not_found', /local provider is off: .*ASSAY_LOCAL_MODEL/);
    } finally {
      await assay.stop();
    }
  });

  test('a route fallback naming local/default, or ASSAY_LOCAL_MODEL, registers it', async () => {
    const assay = await startAssay({ routes: [{ name: 'r', targets: [{ model: 'local/default' }] }] });
    try {
      assert.ok((await models(assay)).includes('local/default'));
    } finally {
      await assay.stop();
    }
    process.env.ASSAY_LOCAL_MODEL = '/nonexistent/model.gguf';
    const withEnv = await startAssay({});
    try {
      assert.ok((await models(withEnv)).includes('local/default'));
    } finally {
      delete process.env.ASSAY_LOCAL_MODEL;
      await withEnv.stop();
    }
  });
});

describe('HTTP tools: the operator\'s headers stay with their origin', () => {
  test('a model-supplied redirect to another allowed origin reaches it without the secret header; the same origin keeps it', async () => {
    const seen: (string | null)[] = [];
    const other = await listenLocal(async (req, res) => {
      seen.push((req.headers['x-api-key'] as string | undefined) ?? null);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const home = await listenLocal(async (req, res) => {
      const u = new URL(req.url!, 'http://x');
      if (u.pathname === '/redirect') return void res.writeHead(302, { location: u.searchParams.get('to')! }).end();
      seen.push((req.headers['x-api-key'] as string | undefined) ?? null);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const up = await startScriptedOpenAI();
    const assay = await startAssay({
      providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['m'] }],
      http_tools: [{
        name: 'fetch_page', description: 'Fetches a page', url: `${home.origin}/redirect?to={to}`, headers: { 'x-api-key': 'operator-secret' },
        parameters: { type: 'object', properties: { to: { type: 'string' } }, required: ['to'] }, allow_hosts: ['127.0.0.1'], allow_private: true,
      }],
      routes: [{ name: 'web', targets: [{ model: 'up/web' }], tools: [{ http: { name: 'fetch_page' } }] }],
    });
    try {
      for (const to of [`${other.origin}/steal`, `${home.origin}/page`]) {
        up.scripts.set('web', callThenAnswer('fetch_page', { to }));
        await expectJson(await assay.post('/v1/chat/completions', { model: 'web', messages: [{ role: 'user', content: 'go' }] }), 200);
      }
      assert.deepEqual(seen, [null, 'operator-secret']);
    } finally {
      await assay.stop();
      await up.close();
      await other.close();
      await home.close();
    }
  });
});
