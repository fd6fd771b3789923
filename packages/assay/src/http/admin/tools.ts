/**
 * /api/tools: what server-side tools this instance can run — MCP servers with their state (a
 * server that failed says why), HTTP and OpenAPI tools, whether memory and the sandbox are on —
 * and `POST /api/tools/mcp/:server/connect` to start a server and list its tools ahead of a call.
 */
import { Hono } from 'hono';
import { authenticate, type AuthVars } from '../auth.js';
import type { AppDeps } from '../deps.js';

export function toolsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const { mcp, http } = deps.tools;

  app.get('/', authenticate(deps, 'read'), (c) =>
    c.json({
      mcp_servers: mcp.status(),
      http_tools: [...http.byName.values()].map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })),
      openapi: [...http.bySource.entries()].map(([name, tools]) => ({ name, tools: tools.map((t) => ({ name: t.name, description: t.description })) })),
      run_code: { sandbox: deps.sandbox.stats },
      memory: { enabled: deps.memory !== null, embedding_model: deps.config.memory?.embedding_model ?? null, extract_model: deps.config.memory?.extract_model ?? null },
      routes: deps.registry.routeNames().flatMap((name) => {
        const r = deps.registry.route(name)!;
        return r.tools.length ? [{ name, tools: r.tools, tool_loop: r.tool_loop ?? null }] : [];
      }),
    }),
  );

  app.post('/mcp/:server/connect', authenticate(deps, 'admin'), async (c) => {
    const server = c.req.param('server');
    const tools = await mcp.tools(server, { signal: c.req.raw.signal });
    return c.json({ server, tools: tools.map((t) => ({ name: t.name, tool: t.mcp.tool, description: t.description, parameters: t.parameters })) });
  });
  return app;
}
