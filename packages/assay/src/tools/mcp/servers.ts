/**
 * The configured MCP servers as a tool source: `tools(server)` gives the ServerTools the tool loop
 * offers the model; `status()` feeds the admin API; `close()` runs at shutdown. Connections open on
 * first use, so a server no route uses never starts.
 */
import { badRequest } from '../../errors.js';
import { McpConnection, type McpServerTool, type McpState } from './connection.js';
import type { McpServerConfig } from './schema.js';

export interface McpServerStatus {
  name: string;
  transport: 'stdio' | 'http';
  state: McpState;
  /** Why it is `failed` (the last start failure or how the connection died). */
  error?: string;
  /** Number of (allow-listed) tools, once listed. */
  tools?: number;
  /** The stdio child's process id while connected. */
  pid?: number;
}

export interface McpServersOptions {
  log?: (message: string) => void;
  /** After a failed start, further uses within this window fail at once with the same error. Default 5000. */
  retryAfterMs?: number;
}

export class McpServers {
  private readonly servers = new Map<string, McpConnection>();

  constructor(configs: McpServerConfig[], opts: McpServersOptions = {}) {
    const log = opts.log ?? (() => {});
    for (const cfg of configs) {
      if (this.servers.has(cfg.name)) throw new Error(`duplicate MCP server name "${cfg.name}"`);
      this.servers.set(cfg.name, new McpConnection(cfg, { log, retryAfterMs: opts.retryAfterMs ?? 5000 }));
    }
  }

  /** Configured server names, in config order. */
  get names(): string[] {
    return [...this.servers.keys()];
  }

  /**
   * The tools of one server, connecting on first use. Throws badRequest for a name that is not
   * configured and ToolUnavailableError when the server cannot start or list its tools.
   */
  tools(serverName: string, opts: { signal?: AbortSignal } = {}): Promise<McpServerTool[]> {
    const conn = this.servers.get(serverName);
    if (!conn) {
      const known = this.names.map((n) => `"${n}"`).join(', ') || 'none (add them under mcp_servers)';
      return Promise.reject(badRequest(`unknown MCP server "${serverName}"; configured MCP servers: ${known}`, null, 'unknown_mcp_server'));
    }
    return conn.tools(opts.signal);
  }

  status(): McpServerStatus[] {
    return [...this.servers.values()].map((c) => {
      const s: McpServerStatus = { name: c.config.name, transport: c.config.transport, state: c.state };
      if (c.error !== undefined && c.state === 'failed') s.error = c.error;
      if (c.toolCount !== undefined) s.tools = c.toolCount;
      if (c.pid !== undefined) s.pid = c.pid;
      return s;
    });
  }

  /** Closes every connection; resolves once all stdio children have exited. */
  async close(): Promise<void> {
    await Promise.all([...this.servers.values()].map((c) => c.close()));
  }
}
