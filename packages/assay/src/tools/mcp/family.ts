/**
 * The `mcp` tool family for the resolver: `tools: [{ mcp: { server: files, tools: [read] } }]` in a
 * route or request → that server's tools, narrowed by the spec's own allow-list. Naming a server
 * or tool that does not exist is the caller's mistake (400); a server that cannot serve is a 502.
 */
import type { FamilyResolver } from '../resolve.js';
import { toolSpecError } from '../resolve.js';
import type { McpServers } from './servers.js';

export function mcpToolFamily(servers: McpServers): FamilyResolver<'mcp'> {
  return async (spec, env) => {
    const { server, tools: only } = spec.mcp;
    if (!servers.names.includes(server)) {
      const known = servers.names.map((n) => `"${n}"`).join(', ') || 'none';
      throw toolSpecError(`unknown MCP server "${server}" in tools; configured MCP servers (mcp_servers): ${known}`);
    }
    const tools = await servers.tools(server, { signal: env.signal });
    if (!only) return { tools };
    const offered = new Set(tools.map((t) => t.mcp.tool));
    const missing = only.filter((n) => !offered.has(n));
    if (missing.length > 0) {
      throw toolSpecError(
        `MCP server "${server}" has no tool ${missing.map((n) => `"${n}"`).join(', ')}; its tools: ${[...offered].join(', ') || 'none'}`,
      );
    }
    const wanted = new Set(only);
    return { tools: tools.filter((t) => wanted.has(t.mcp.tool)) };
  };
}
