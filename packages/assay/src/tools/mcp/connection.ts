/**
 * One configured MCP server: a lazily opened, shared client connection, its cached tool list and
 * the calls. A connection that dies (process exit, closed transport, HTTP failure) is dropped, and
 * the next use opens a new one (respawning a stdio server).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../../version.js';
import { ToolUnavailableError, type ServerTool, type ToolContext, type ToolResult } from '../types.js';
import { abortable, deathMessage, errorText, isTimeout, isTransportFailure, startFailure } from './failures.js';
import { uniqueToolNames } from './names.js';
import { toToolResult } from './result.js';
import type { McpServerConfig } from './schema.js';
import { StdioTransport } from './stdio.js';

export type McpState = 'idle' | 'connecting' | 'ready' | 'failed' | 'closed';

/** A ServerTool backed by an MCP tool; `mcp` says which (the tool's own, unsanitized name). */
export interface McpServerTool extends ServerTool {
  readonly mcp: { readonly server: string; readonly tool: string };
}

/** At most this many tools/list pages (a cursor that never ends must not loop forever). */
const MAX_PAGES = 50;

interface Live {
  client: Client;
  transport: StdioTransport | StreamableHTTPClientTransport;
  dead: boolean;
}

export interface ConnectionOptions {
  log: (message: string) => void;
  /** After a failed start, calls within this window get the same error instead of a new attempt. */
  retryAfterMs: number;
}

export class McpConnection {
  state: McpState = 'idle';
  error?: string;
  private live?: Live;
  private connecting?: Promise<Live>;
  /** The connection being opened (close() aborts it). */
  private opening?: Live;
  private failedAt = 0;
  private cache?: McpServerTool[];
  private listing?: Promise<McpServerTool[]>;
  /** Bumped by tools/list_changed and by reconnects: a listing started before is not cached. */
  private listVersion = 0;
  private readonly closing = new Set<Promise<void>>();

  constructor(
    readonly config: McpServerConfig,
    private readonly opts: ConnectionOptions,
  ) {}

  get source(): string {
    return `mcp:${this.config.name}`;
  }

  /** A getter, so TypeScript does not narrow `state` across awaits. */
  private get isClosed(): boolean {
    return this.state === 'closed';
  }

  get toolCount(): number | undefined {
    return this.cache?.length;
  }

  /** The running stdio child's pid. */
  get pid(): number | undefined {
    const t = this.live?.transport;
    return t instanceof StdioTransport ? (t.pid ?? undefined) : undefined;
  }

  /** The server's tools (allow-listed), listed once per connection and cached until list_changed. */
  async tools(signal?: AbortSignal): Promise<McpServerTool[]> {
    const live = await this.connect(signal);
    if (this.cache) return this.cache;
    if (!this.listing) {
      const version = this.listVersion;
      this.listing = this.list(live).then((tools) => {
        if (this.live === live && this.listVersion === version) this.cache = tools;
        return tools;
      });
      this.listing.catch(() => {}).finally(() => (this.listing = undefined));
    }
    return abortable(this.listing, signal, `listing the tools of MCP server "${this.config.name}"`);
  }

  /** The ready connection, opening one if needed; concurrent callers share one attempt. */
  private connect(signal?: AbortSignal): Promise<Live> {
    if (this.state === 'closed') {
      return Promise.reject(new ToolUnavailableError(this.source, `MCP server "${this.config.name}" is shut down (the gateway is stopping)`));
    }
    if (this.live && !this.live.dead) return Promise.resolve(this.live);
    if (!this.connecting) {
      if (this.state === 'failed' && this.failedAt > 0 && Date.now() - this.failedAt < this.opts.retryAfterMs) {
        return Promise.reject(new ToolUnavailableError(this.source, this.error ?? 'failed'));
      }
      this.connecting = this.open();
      this.connecting.catch(() => {}).finally(() => (this.connecting = undefined));
    }
    return abortable(this.connecting, signal, `connecting to MCP server "${this.config.name}"`);
  }

  private async open(): Promise<Live> {
    const cfg = this.config;
    this.state = 'connecting';
    this.error = undefined;
    const transport =
      cfg.transport === 'stdio'
        ? new StdioTransport({ command: cfg.command!, args: cfg.args, env: cfg.env, cwd: cfg.cwd })
        : new StreamableHTTPClientTransport(new URL(cfg.url!), { requestInit: { headers: cfg.headers ?? {} } });
    const client = new Client({ name: 'assay', version: VERSION }, { capabilities: {} });
    const live: Live = { client, transport, dead: false };
    client.onclose = () => this.drop(live);
    // While connecting, the failure message says it all; afterwards, log what the transport reports.
    client.onerror = (err) => {
      if (this.live === live) this.opts.log(`mcp ${cfg.name}: ${errorText(err)}`);
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      if (this.live !== live) return;
      this.cache = undefined;
      this.listVersion++;
    });
    this.opening = live;
    try {
      await client.connect(transport, { timeout: cfg.connect_timeout_ms });
    } catch (err) {
      live.dead = true;
      if (this.isClosed) throw new ToolUnavailableError(this.source, `MCP server "${cfg.name}" is shut down (the gateway is stopping)`, { cause: err });
      // An exited process: wait (briefly) for its last stderr before describing it.
      if (transport instanceof StdioTransport && (transport.exit || transport.spawnError)) await transport.close();
      const message = startFailure(cfg, err, transport);
      this.discard(live);
      this.state = 'failed';
      this.error = message;
      this.failedAt = Date.now();
      this.opts.log(message);
      throw new ToolUnavailableError(this.source, message, { cause: err });
    } finally {
      this.opening = undefined;
    }
    if (this.isClosed) {
      live.dead = true;
      this.discard(live);
      throw new ToolUnavailableError(this.source, `MCP server "${cfg.name}" is shut down (the gateway is stopping)`);
    }
    this.live = live;
    this.cache = undefined;
    this.listVersion++;
    this.state = 'ready';
    this.failedAt = 0;
    const pid = transport instanceof StdioTransport ? ` (pid ${transport.pid})` : '';
    this.opts.log(`mcp ${cfg.name}: connected${pid}`);
    return live;
  }

  private async list(live: Live): Promise<McpServerTool[]> {
    const cfg = this.config;
    const all: Tool[] = [];
    try {
      let cursor: string | undefined;
      let pages = 0;
      do {
        if (++pages > MAX_PAGES) throw new Error(`tools/list returned more than ${MAX_PAGES} pages`);
        const page = await live.client.listTools(cursor === undefined ? undefined : { cursor }, { timeout: cfg.connect_timeout_ms });
        all.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
    } catch (err) {
      let message: string;
      if (live.dead || isTransportFailure(err)) {
        this.kill(live, err);
        message = `${deathMessage(cfg, live.transport, err)} (while listing its tools)`;
      } else if (isTimeout(err)) {
        message = `MCP server "${cfg.name}" did not answer tools/list within ${cfg.connect_timeout_ms} ms (connect_timeout_ms)`;
      } else {
        message = `MCP server "${cfg.name}" failed to list its tools: ${errorText(err)}`;
      }
      throw new ToolUnavailableError(this.source, message, { cause: err });
    }
    let tools = all;
    if (cfg.tools) {
      const offered = new Set(all.map((t) => t.name));
      const missing = cfg.tools.filter((n) => !offered.has(n));
      if (missing.length > 0) {
        const list = all.map((t) => t.name).join(', ') || 'none';
        throw new ToolUnavailableError(
          this.source,
          `MCP server "${cfg.name}" does not offer ${missing.map((n) => `"${n}"`).join(', ')} named in its "tools" allow-list; it offers: ${list}`,
        );
      }
      const allowed = new Set(cfg.tools);
      tools = all.filter((t) => allowed.has(t.name));
    }
    const names = uniqueToolNames(cfg.name, tools.map((t) => t.name));
    return tools.map(
      (t, i): McpServerTool =>
        Object.freeze({
          name: names[i],
          description: t.description ?? '',
          parameters: t.inputSchema as Record<string, unknown>,
          kind: 'mcp',
          mcp: Object.freeze({ server: cfg.name, tool: t.name }),
          run: (args: Record<string, unknown>, ctx: ToolContext) => this.call(t.name, args, ctx),
        }),
    );
  }

  /** Runs one MCP tool; reconnects first when the connection died since the tools were listed. */
  async call(tool: string, args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult> {
    const cfg = this.config;
    ctx.span.meta({ mcp: { server: cfg.name, tool } });
    const live = await this.connect(ctx.signal);
    // A per-call controller: the SDK never removes its listener from the signal it is given.
    const ac = new AbortController();
    const onAbort = () => ac.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (ctx.signal.aborted) onAbort();
      const raw = await live.client.callTool({ name: tool, arguments: args }, undefined, { signal: ac.signal, timeout: cfg.call_timeout_ms });
      return toToolResult(raw as Record<string, unknown>);
    } catch (err) {
      const what = `the call to "${tool}" on MCP server "${cfg.name}"`;
      if (ctx.signal.aborted) throw new Error(`${what} was cancelled`, { cause: err });
      if (isTimeout(err)) throw new Error(`${what} timed out after ${cfg.call_timeout_ms} ms (call_timeout_ms)`, { cause: err });
      if (live.dead || isTransportFailure(err)) {
        this.kill(live, err);
        // The exit status and stderr arrive with the process's end: give them a moment.
        if (live.transport instanceof StdioTransport) await live.transport.close();
        throw new Error(`${deathMessage(cfg, live.transport, err)} (during ${what.replace(/ on MCP server .*/, '')})`, { cause: err });
      }
      if (err instanceof McpError) return { content: `MCP error ${err.code}: ${err.message.replace(/^MCP error -?\d+: /, '')}`, isError: true, data: { code: err.code, data: err.data } };
      throw new Error(`${what} failed: ${errorText(err)}`, { cause: err });
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The connection broke under us (the transport closed, or a call or listing found it broken):
   * drop it and say why; the next use opens a new one.
   */
  private drop(live: Live, err?: unknown): void {
    if (live.dead) return;
    live.dead = true;
    if (this.live !== live) return;
    this.live = undefined;
    this.cache = undefined;
    this.listVersion++;
    if (this.isClosed) return;
    this.state = 'failed';
    this.error = deathMessage(this.config, live.transport, err);
    this.opts.log(`${this.error}; it will be reconnected at its next use`);
  }

  /** drop(), then close whatever is left of it. */
  private kill(live: Live, err: unknown): void {
    this.drop(live, err);
    this.discard(live);
  }

  /** Closes a client in the background; close() waits for every such closing. */
  private discard(live: Live): void {
    const p: Promise<void> = (async () => {
      if (live.transport instanceof StreamableHTTPClientTransport && live.transport.sessionId) {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)));
        await Promise.race([live.transport.terminateSession().catch(() => {}), deadline]).finally(() => clearTimeout(timer));
      }
      await live.client.close();
    })()
      .catch((err) => this.opts.log(`mcp ${this.config.name}: close failed: ${errorText(err)}`))
      .finally(() => this.closing.delete(p));
    this.closing.add(p);
  }

  /** Closes the connection for good (stdio children are terminated) and waits until it is. */
  async close(): Promise<void> {
    this.state = 'closed';
    if (this.opening) {
      this.opening.dead = true;
      this.discard(this.opening);
    }
    await this.connecting?.catch(() => {});
    const live = this.live;
    this.live = undefined;
    this.cache = undefined;
    if (live) {
      live.dead = true;
      this.discard(live);
    }
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }
}
