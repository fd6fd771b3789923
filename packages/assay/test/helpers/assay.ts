/** Start a real Assay server for a test: temp data dir, a given config object, a known admin key. */
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
  return {
    ...server,
    dataDir,
    flush: () => server.deps.recorder.flush(),
    api: (path, init = {}) =>
      fetch(server.url + path, {
        ...init,
        headers: { authorization: `Bearer ${init.key ?? ADMIN_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
      }),
    stop: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
