/**
 * A real MCP server for tests, built with the SDK's McpServer. Tools: add, echo, fail, crash, slow,
 * image, plus a few for the result mapping and list changes (structured, resource, dotted.name,
 * grow). Run as a script (`node --import tsx test/helpers/mcp-server.ts`) it serves stdio;
 * `startHttpMcpServer()` serves the same tools over Streamable HTTP (stateless) on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** A 1×1 transparent PNG (67 bytes). */
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

export function createTestMcpServer(mode: 'stdio' | 'http'): McpServer {
  const server = new McpServer({ name: 'assay-test', version: '1.0.0' });
  server.registerTool(
    'add',
    { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => text(String(a + b)),
  );
  server.registerTool('echo', { description: 'Echoes the text', inputSchema: { text: z.string() } }, async ({ text: t }) => text(t));
  server.registerTool('fail', { description: 'Always fails' }, async () => ({
    content: [{ type: 'text', text: 'the tool failed on purpose' }],
    isError: true,
  }));
  server.registerTool('crash', { description: 'Kills the server process (stdio only)' }, async () => {
    if (mode === 'stdio') {
      console.error('crashing on purpose');
      process.exit(1);
    }
    return text('not crashing over http');
  });
  server.registerTool(
    'slow',
    { description: 'Answers after ms milliseconds', inputSchema: { ms: z.number().int().nonnegative() } },
    async ({ ms }, extra) => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        extra.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return text(`slept ${ms} ms`);
    },
  );
  server.registerTool('image', { description: 'Returns a tiny PNG' }, async () => ({
    content: [{ type: 'image', data: PNG_1X1, mimeType: 'image/png' }],
  }));
  server.registerTool(
    'structured',
    { description: 'Returns structured content only', outputSchema: { total: z.number(), items: z.array(z.string()) } },
    async () => ({ content: [], structuredContent: { total: 2, items: ['a', 'b'] } }),
  );
  server.registerTool('resource', { description: 'Returns resources' }, async () => ({
    content: [
      { type: 'resource', resource: { uri: 'file:///notes.txt', mimeType: 'text/plain', text: 'the notes' } },
      { type: 'resource_link', uri: 'file:///big.bin', name: 'big.bin' },
    ],
  }));
  server.registerTool('dotted.name', { description: 'A name that needs sanitizing' }, async () => text('ok'));
  let grown = 0;
  server.registerTool('grow', { description: 'Registers one more tool (sends tools/list_changed)' }, async () => {
    grown++;
    server.registerTool(`extra${grown}`, { description: `Extra tool ${grown}` }, async () => text(`extra ${grown}`));
    return text(`now ${grown} extra`);
  });
  return server;
}

export interface HttpMcpServer {
  /** The Streamable HTTP endpoint, e.g. http://127.0.0.1:PORT/mcp. */
  url: string;
  close(): Promise<void>;
}

/** Serves the test tools over Streamable HTTP in stateless mode (a fresh McpServer per request). */
export async function startHttpMcpServer(port = 0): Promise<HttpMcpServer> {
  const http: Server = createServer((req, res) => {
    if (!req.url?.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null }));
      return;
    }
    const server = createTestMcpServer('http');
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: String(err) }, id: null }));
      });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const { port: bound } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** Serves the test tools on this process's stdin/stdout. */
export async function serveStdio(): Promise<void> {
  console.error('assay-test MCP server starting (stdio)');
  await createTestMcpServer('stdio').connect(new StdioServerTransport());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await serveStdio();
