/**
 * Child processes of the benchmark: the fake upstream, Assay and Portkey, each in its own process.
 * Every child is registered so that it is killed when the benchmark exits, errors or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Child {
  name: string;
  proc: ChildProcess;
  url: string;
  /** Last lines of the child's stdout+stderr, for error messages. */
  log(): string;
  /** SIGTERM, wait up to `graceMs`, then SIGKILL. */
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<ChildProcess>();
const cleanups: (() => void)[] = [];

function killAll(): void {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  children.clear();
  for (const c of cleanups.splice(0)) {
    try {
      c();
    } catch {
      /* best effort */
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping the benchmark\n`);
    killAll();
    process.exit(130);
  });
}

/** Run at exit (e.g. remove a temp dir). */
export function onExit(fn: () => void): void {
  cleanups.push(fn);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Spawn a child and wait until `ready` finds its URL in its output (or `readyUrl` answers).
 * Fails after `timeoutMs` or if the child exits first.
 */
function start(
  name: string,
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; ready: (output: string) => string | null; timeoutMs?: number },
): Promise<Child> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v === undefined) delete env[k]; // undefined = unset
  const proc = spawn(cmd, args, { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(proc);
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString('utf8')).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const log = () => output.split('\n').slice(-30).join('\n');
  const stop = (graceMs = 5_000) =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      proc.once('exit', () => {
        clearTimeout(t);
        children.delete(proc);
        resolve();
      });
      proc.kill('SIGTERM');
    });

  return new Promise<Child>((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const deadline = setTimeout(() => {
      clearInterval(poll);
      proc.kill('SIGKILL');
      reject(new Error(`${name} did not become ready within ${timeoutMs} ms. Output:\n${log()}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const url = opts.ready(output);
      if (url) {
        clearInterval(poll);
        clearTimeout(deadline);
        resolve({ name, proc, url, log, stop });
      }
    }, 50);
    proc.once('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(deadline);
      reject(new Error(`${name} exited (code ${code}, signal ${signal}) before it was ready. Output:\n${log()}`));
    });
  });
}

export function startUpstream(root: string, streamGapMs: number): Promise<Child> {
  return start('upstream', process.execPath, ['--import', 'tsx', join(root, 'bench/gateway/upstream.ts'), `--stream-gap-ms=${streamGapMs}`], {
    cwd: root,
    ready: (out) => {
      const m = out.match(/\{"port":(\d+)\}/);
      return m ? `http://127.0.0.1:${m[1]}` : null;
    },
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** How Assay is run: the built dist when it exists and is newer than every source file, else src through tsx. */
export function assayEntry(root: string): { args: string[]; label: string } {
  const dist = join(root, 'packages/assay/dist/cli/main.js');
  const src = join(root, 'packages/assay/src/cli/main.ts');
  const want = process.env.BENCH_ASSAY_ENTRY; // 'dist' | 'src'
  const distFresh = existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(join(root, 'packages/assay/src'));
  if (want === 'dist' || (want !== 'src' && distFresh)) return { args: [dist], label: 'packages/assay/dist (node)' };
  return { args: ['--import', 'tsx', src], label: 'packages/assay/src (node --import tsx)' };
}

export const ASSAY_KEY = 'sk-assay-bench-admin-key-0123456789';

export async function startAssay(
  root: string,
  upstreamUrl: string,
  opts: { storeBodies: boolean; cpuProfDir?: string; databaseUrl?: string; config?: Record<string, unknown> },
): Promise<Child & { entry: string; dataDir: string }> {
  // BENCH_DATA_DIR: where the temp data dir (SQLite file) goes, e.g. /dev/shm to take the disk out.
  const dataDir = mkdtempSync(join(process.env.BENCH_DATA_DIR || tmpdir(), 'assay-bench-'));
  onExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const configFile = join(dataDir, 'bench.config.yaml');
  // JSON is valid YAML.
  const config = {
    providers: [{ id: 'up', type: 'openai', base_url: `${upstreamUrl}/v1` }],
    // BENCH_ASSAY_TRACING: extra `tracing` settings as JSON, e.g. '{"flush_interval_ms":10000}' (diagnosis only).
    tracing: { ...(opts.storeBodies ? {} : { store_bodies: false }), ...JSON.parse(process.env.BENCH_ASSAY_TRACING || '{}') },
    // BENCH_ASSAY_LIMITS: `limits` settings as JSON, e.g. '{"per_key":{"requests_per_minute":100000000}}' (the limiter's cost).
    ...(process.env.BENCH_ASSAY_LIMITS ? { limits: JSON.parse(process.env.BENCH_ASSAY_LIMITS) } : {}),
    ...opts.config,
  };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const entry = assayEntry(root);
  const prof = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const child = await start(
    'assay',
    process.execPath,
    [...prof, ...entry.args, 'up', '--port', '0', '--host', '127.0.0.1', '--config', configFile, '--data-dir', dataDir],
    {
      cwd: root,
      env: { ASSAY_ADMIN_KEY: ASSAY_KEY, ASSAY_DATABASE_URL: opts.databaseUrl ?? '', NODE_ENV: 'production' },
      ready: (out) => out.match(/listening on (http:\/\/\S+)/)?.[1] ?? null,
    },
  );
  return { ...child, entry: entry.label, dataDir };
}

/**
 * Portkey's gateway with bench/gateway/portkey-preload.mjs (loopback-only fetch; `fix` = the
 * immutable-headers workaround that makes its streaming work, see that file).
 */
export async function startPortkey(root: string, opts: { fix: boolean }): Promise<Child> {
  const port = Number(process.env.BENCH_PORTKEY_PORT) || (await freePort());
  const script = join(root, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  if (!existsSync(script)) throw new Error(`Portkey gateway not installed (${script}); run: npm i -D -E @portkey-ai/gateway@1.15.2`);
  // TRUSTED_CUSTOM_HOSTS is unset on purpose: its default list (localhost, 127.0.0.1, ::1,
  // host.docker.internal) allows the upstream, and setting it replaces that list.
  const env: NodeJS.ProcessEnv = { NODE_ENV: 'production', BENCH_PORTKEY_FIX: opts.fix ? '1' : '0', TRUSTED_CUSTOM_HOSTS: undefined };
  const preload = pathToFileURL(join(root, 'bench/gateway/portkey-preload.mjs')).href;
  return start(opts.fix ? 'portkey' : 'portkey (unpatched)', process.execPath, ['--import', preload, script, `--port=${port}`, '--headless'], {
    cwd: root,
    env,
    ready: (out) => (/Ready for connections/i.test(out) ? `http://127.0.0.1:${port}` : null),
  });
}
