/**
 * Shared pieces of the MCP tests: how to spawn the test server, a ToolContext, process checks.
 * (Named test-*.ts so the build leaves it out.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { emptyObservation, Span } from '../../tracing/span.js';
import type { ServerTool, ToolContext } from '../types.js';
import { mcpServerSchema, type McpServerConfigInput } from './schema.js';

export const SERVER_TS = fileURLToPath(new URL('../../../test/helpers/mcp-server.ts', import.meta.url));
export const tsServer = { transport: 'stdio' as const, command: process.execPath, args: ['--import', 'tsx', SERVER_TS] };
export const node = (code: string) => ({ transport: 'stdio' as const, command: process.execPath, args: ['-e', code] });
export const configs = (list: McpServerConfigInput[]) => list.map((c) => mcpServerSchema.parse(c));

export function ctx(signal = new AbortController().signal): ToolContext & { span: Span } {
  const span = new Span({ record() {} }, emptyObservation({ trace_id: 't', type: 'tool', name: 'mcp' }));
  return { signal, traceId: 't', userId: null, span };
}

export const byName = (tools: ServerTool[], name: string) => {
  const tool = tools.find((t) => t.name === name);
  assert.ok(tool, `${name} in ${tools.map((t) => t.name).join(', ')}`);
  return tool;
};

/** Whether a process runs (a zombie awaiting its reaper does not count). */
export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
};

/** Polls until the process is gone (a killed process takes a moment to die). */
export async function gone(pid: number, ms = 2000): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 20))) {
    if (!alive(pid)) return true;
  }
  return false;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export async function rejectsWithin<T>(p: Promise<T>, ms: number): Promise<Error> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)));
  try {
    await Promise.race([p, hang]);
  } catch (err) {
    assert.ok(!String(err).includes('still pending'), String(err));
    return err as Error;
  } finally {
    clearTimeout(timer);
  }
  assert.fail('expected a rejection');
}

