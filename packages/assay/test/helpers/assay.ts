/** Start a real Assay server for a test: temp data dir, a given config object, a known admin key. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server.js';

export const ADMIN_KEY = 'sk-assay-test-admin-key';

export interface TestAssay extends RunningServer {
  dataDir: string;
  stop(): Promise<void>;
  /** Wait until every queued trace is written. */
  flush(): Promise<void>;
  api(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  /** POST a JSON body to the API (with `key`, else the admin key). */
  post(path: string, body: unknown, key?: string): Promise<Response>;
}

/** The JSON body of a response that must have `status` (the assertion shows the body otherwise). */
export async function expectJson<T = any>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

/** An `/api` error response: its status, its code and (optionally) its message; returns the error. */
export async function expectError<E extends { code: string; message: string } = { code: string; message: string; param?: string }>(
  res: Response,
  status: number,
  code: string,
  message?: RegExp,
): Promise<E> {
  const body = await expectJson<{ error: E }>(res, status);
  assert.equal(body.error.code, code, body.error.message);
  if (message) assert.match(body.error.message, message);
  return body.error;
}

export async function startAssay(config: unknown, opts: { databaseUrl?: string; shutdownGraceMs?: number } = {}): Promise<TestAssay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'assay-e2e-'));
  const server = await startServer({
    config: parseConfig(config, 'test config', {}),
    port: 0,
    dataDir,
    databaseUrl: opts.databaseUrl,
    adminKey: ADMIN_KEY,
    shutdownGraceMs: opts.shutdownGraceMs ?? 2_000,
    log: () => undefined,
  });
  const api: TestAssay['api'] = (path, init = {}) =>
    fetch(server.url + path, {
      ...init,
      headers: { authorization: `Bearer ${init.key ?? ADMIN_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  return {
    ...server,
    dataDir,
    flush: () => server.deps.recorder.flush(),
    api,
    post: (path, body, key) => api(path, { method: 'POST', body: JSON.stringify(body), key }),
    stop: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
