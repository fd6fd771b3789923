/** Unit tests of tool authorization: route coverage, narrowing, key grants, admin, limits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../errors.js';
import { authorizeTools, checkLoopLimits, grantOf, type RouteTools } from './authz.js';
import { toolSpecSchema, type ToolSpec } from './spec.js';

const specs = (...raw: unknown[]): ToolSpec[] => raw.map((r) => toolSpecSchema.parse(r));
const modelKey = grantOf({ scopes: ['model'], policy: null });
const route = (...raw: unknown[]): RouteTools => ({ name: 'r', tools: specs(...raw) });

function refused(fn: () => unknown, status: number, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AssayError);
    assert.equal(err.status, status, err.message);
    assert.match(err.message, message);
    return true;
  });
}

test('a tool the route has is allowed; a request entry replaces the route entry it narrows', () => {
  const r = route({ mcp: { server: 'files' } }, 'run_code');
  const out = authorizeTools(specs({ mcp: { server: 'files', tools: ['read'] } }), r, modelKey);
  assert.deepEqual(out, specs({ mcp: { server: 'files', tools: ['read'] } }, 'run_code'));
});

test('each family missing from the route is a 403 naming the entry, the tool and both ways to get it', () => {
  const r = route('run_code');
  const cases: [unknown, RegExp][] = [
    [{ retrieve: { kb: 'docs' } }, /knowledge base "docs".*knowledge_bases: \["docs"\]/],
    ['memory', /memory tools.*memory: true/],
    [{ mcp: { server: 'files' } }, /MCP server "files".*mcp_servers: \["files"\]/],
    [{ http: { name: 'weather' } }, /HTTP tool "weather".*http_tools: \["weather"\]/],
    [{ http: { openapi: 'pets' } }, /OpenAPI tools "pets".*http_tools: \["pets"\]/],
  ];
  for (const [raw, message] of cases) {
    refused(() => authorizeTools(specs('run_code', raw), r, modelKey), 403, /^assay\.tools\[1\]: .*route "r" does not have it/);
    refused(() => authorizeTools(specs(raw), r, modelKey), 403, message);
  }
  refused(() => authorizeTools(specs('run_code'), null, modelKey), 403, /provider model has no route tools.*run_code: true/);
});

test('a key policy grants tools beyond the route; "*" grants every source of a family', () => {
  const grant = grantOf({ scopes: ['model'], policy: { tools: { run_code: true, memory: true, knowledge_bases: ['docs'], mcp_servers: ['*'], http_tools: ['pets'] } } });
  const wanted = specs('run_code', 'memory', { retrieve: { kb: 'docs' } }, { mcp: { server: 'any' } }, { http: { openapi: 'pets' } });
  assert.deepEqual(authorizeTools(wanted, null, grant), wanted);
  refused(() => authorizeTools(specs({ retrieve: { kb: 'hr' } }), null, grant), 403, /knowledge base "hr"/);
});

test('widening a route entry is refused: more MCP tools, a changed filter, extraction', () => {
  const r = route({ mcp: { server: 'files', tools: ['read'] } }, { retrieve: { kb: 'docs', filter: { team: 'a' } } }, 'memory');
  refused(() => authorizeTools(specs({ mcp: { server: 'files', tools: ['read', 'write'] } }), r, modelKey), 403, /only "read" of MCP server "files", not "write"/);
  refused(() => authorizeTools(specs({ retrieve: { kb: 'docs', filter: { team: 'b' } } }), r, modelKey), 403, /filter\.team = "a"/);
  refused(() => authorizeTools(specs({ memory: { extract: true } }), r, modelKey), 403, /extract: true/);
});

test('what a request entry leaves out keeps the route\'s value: MCP tool list, filter, k, run_code limits', () => {
  const r = route({ mcp: { server: 'files', tools: ['read'] } }, { retrieve: { kb: 'docs', k: 3, filter: { team: 'a' } } }, { run_code: { timeout_ms: 500, memory_mb: 16 } });
  const out = authorizeTools(specs({ mcp: { server: 'files' } }, { retrieve: { kb: 'docs', filter: { lang: 'en' } } }, { run_code: { timeout_ms: 100 } }), r, modelKey);
  assert.deepEqual(out, specs(
    { mcp: { server: 'files', tools: ['read'] } },
    { retrieve: { kb: 'docs', k: 3, filter: { team: 'a', lang: 'en' } } },
    { run_code: { timeout_ms: 100, memory_mb: 16 } },
  ));
});

test('per-tool limits only go down: run_code against the route or the sandbox default, retrieve k', () => {
  const r = route({ run_code: { timeout_ms: 500 } }, { retrieve: { kb: 'docs', k: 3 } });
  refused(() => authorizeTools(specs({ run_code: { timeout_ms: 501 } }), r, modelKey), 400, /run_code\.timeout_ms: at most 500 \(the route's limit\)/);
  refused(() => authorizeTools(specs({ run_code: { memory_mb: 65 } }), r, modelKey), 400, /run_code\.memory_mb: at most 64 \(the server default\)/);
  refused(() => authorizeTools(specs({ retrieve: { kb: 'docs', k: 4 } }), r, modelKey), 400, /retrieve\.k: at most 3/);
  refused(() => authorizeTools(specs({ retrieve: { kb: 'kb5' } }, { retrieve: { kb: 'kb5', k: 6 } }), route({ retrieve: { kb: 'kb5' } }), modelKey), 400, /tools\[1\]\.retrieve\.k: at most 5/);
  assert.deepEqual(authorizeTools(specs({ run_code: { timeout_ms: 200 } }), r, modelKey)[0], specs({ run_code: { timeout_ms: 200 } })[0]);
  const granted = grantOf({ scopes: ['model'], policy: { tools: { run_code: true } } });
  refused(() => authorizeTools(specs({ run_code: { timeout_ms: 60_000 } }), null, granted), 400, /at most 1000 \(the server default\)/);
});

test('tool_loop limits only go down: against the route, else the defaults; unset limits have no ceiling', () => {
  checkLoopLimits({ max_steps: 2, timeout_ms: 10_000 }, { max_steps: 3 }, modelKey);
  refused(() => checkLoopLimits({ max_steps: 4 }, { max_steps: 3 }, modelKey), 400, /assay\.tool_loop\.max_steps: at most 3 \(the route's limit\)/);
  refused(() => checkLoopLimits({ max_tool_output_chars: 40_000 }, undefined, modelKey), 400, /at most 32000 \(the default\)/);
  refused(() => checkLoopLimits({ timeout_ms: 2_000 }, { timeout_ms: 1_000 }, modelKey), 400, /timeout_ms: at most 1000/);
});

test('an admin key is the operator: any tool, any limit', () => {
  const admin = grantOf({ scopes: ['admin'], policy: null });
  const wanted = specs('run_code', { mcp: { server: 'files' } }, { run_code: { timeout_ms: 60_000 } });
  assert.equal(authorizeTools(wanted, null, admin).length, 3);
  checkLoopLimits({ max_steps: 32 }, { max_steps: 2 }, admin);
});
