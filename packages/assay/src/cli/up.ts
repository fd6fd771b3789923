/** `assay up`: start the server in the foreground until SIGINT/SIGTERM, then shut down gracefully. */
import { dirname, resolve } from 'node:path';
import { startServer } from '../server.js';
import { CliError } from './client.js';
import { configFileFor, loadCliConfig } from './config.js';

export interface UpOptions {
  port?: string;
  host?: string;
  config?: string;
  dataDir?: string;
}

function parsePort(v: string, from: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${from}: "${v}" is not a port number (0–65535)`, 2);
  return n;
}

export async function up(opts: UpOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const port = opts.port !== undefined ? parsePort(opts.port, '--port') : env.ASSAY_PORT ? parsePort(env.ASSAY_PORT, 'ASSAY_PORT') : 4141;
  const host = opts.host ?? env.ASSAY_HOST ?? '127.0.0.1';
  const dataDir = resolve(opts.dataDir ?? env.ASSAY_DATA_DIR ?? '.assay');
  const configFile = configFileFor(opts.config, env);
  const config = loadCliConfig(configFile, env);

  const server = await startServer({
    config,
    port,
    host,
    dataDir,
    configDir: configFile ? dirname(resolve(configFile)) : undefined,
    databaseUrl: env.ASSAY_DATABASE_URL || undefined,
    adminKey: env.ASSAY_ADMIN_KEY || undefined,
  }).catch((err: Error) => {
    throw new CliError(`Assay could not start: ${err.message}`, 1);
  });

  const out = process.stderr;
  out.write(`Assay ${server.deps.version} listening on ${server.url}\n`);
  out.write(`  OpenAI-compatible API: ${server.url}/v1   web: ${server.url}/\n`);
  out.write(`  config: ${configFile ?? 'none (add assay.config.yaml or pass --config)'}\n`);
  out.write(`  store: ${server.deps.store.dialect}${server.deps.store.dialect === 'sqlite' ? ` (${env.ASSAY_DATABASE_URL || resolve(dataDir, 'assay.db')})` : ''}\n`);
  const models = server.deps.registry.list().map((m) => m.id);
  out.write(`  models: ${models.length ? models.join(', ') : 'none declared'}; any "<provider>/<model>" also works\n`);
  if (server.generatedAdminKey) {
    out.write(`\n  Admin key (shown only this once; store it, e.g. as ASSAY_ADMIN_KEY):\n\n    ${server.generatedAdminKey}\n\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      out.write(`${signal} again: exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    out.write(`${signal}: finishing in-flight calls and flushing traces…\n`);
    server.close().then(
      () => {
        out.write('stopped\n');
        process.exit(0);
      },
      (err) => {
        out.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
