/**
 * Config schema of one MCP server entry (a top-level `mcp_servers:` list in the config file).
 * A server is either a child process spoken to over stdio or a remote Streamable HTTP endpoint.
 */
import { z } from 'zod';

const stringMap = z.record(z.string(), z.string());
const timeoutMs = z.number().int().positive();

export const mcpServerSchema = z
  .strictObject({
    /** Referenced by routes (`tools: [{ mcp: { server: <name> } }]`) and the prefix of its tools' names. */
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,32}$/, {
      message: 'an MCP server name is 1 to 32 characters: letters, digits, "_" or "-"',
    }),
    transport: z.enum(['stdio', 'http'], { message: 'transport must be "stdio" or "http"' }),
    /** stdio: the executable to spawn (looked up in PATH). */
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    /** stdio: extra environment; the child otherwise only gets HOME, LOGNAME, PATH, SHELL, TERM, USER. */
    env: stringMap.optional(),
    cwd: z.string().min(1).optional(),
    /** http: the Streamable HTTP endpoint, e.g. https://mcp.example.com/mcp. */
    url: z
      .url({ protocol: /^https?$/, message: 'url must be an http:// or https:// URL' })
      .optional(),
    /** http: headers sent with every request (e.g. Authorization). */
    headers: stringMap.optional(),
    /** Allow-list of the server's tool names (as the server names them); default: all its tools. */
    tools: z.array(z.string().min(1)).min(1, { message: 'tools, when given, lists at least one tool name' }).optional(),
    /** Start (spawn or first request) + initialize + tools/list. */
    connect_timeout_ms: timeoutMs.default(10_000),
    /** One tools/call. */
    call_timeout_ms: timeoutMs.default(30_000),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.transport === 'stdio') {
      if (!cfg.command) {
        ctx.addIssue({ code: 'custom', path: ['command'], message: 'a stdio MCP server needs "command" (the executable to run, e.g. npx)' });
      }
      for (const key of ['url', 'headers'] as const) {
        if (cfg[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" applies to http MCP servers only` });
      }
    } else {
      if (!cfg.url) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'an http MCP server needs "url" (its Streamable HTTP endpoint, e.g. https://host/mcp)' });
      }
      for (const key of ['command', 'args', 'env', 'cwd'] as const) {
        if (cfg[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" applies to stdio MCP servers only` });
      }
    }
  });

export type McpServerConfig = z.infer<typeof mcpServerSchema>;
/** The config as written (timeouts optional). */
export type McpServerConfigInput = z.input<typeof mcpServerSchema>;
