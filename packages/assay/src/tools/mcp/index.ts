/**
 * MCP servers (Model Context Protocol, stdio or Streamable HTTP) as a source of server-side tools.
 * See docs/tools-mcp.md.
 */
export { mcpServerSchema, type McpServerConfig, type McpServerConfigInput } from './schema.js';
export { McpServers, type McpServerStatus, type McpServersOptions } from './servers.js';
export type { McpServerTool, McpState } from './connection.js';
export { mcpToolFamily } from './family.js';
export { toolName } from './names.js';
