/** Runs the `assay` CLI (from source, through tsx) against a server, without blocking the test process that runs the server. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY } from './assay.js';

export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** Absolute, so the CLI can run from any folder. */
export const TSX = import.meta.resolve('tsx');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** ASSAY_* variables of this process are dropped; the CLI gets ASSAY_URL and ASSAY_API_KEY (admin by default). */
export function runCli(args: string[], opts: { url: string; cwd: string; key?: string; timeoutMs?: number }): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ASSAY_')) delete env[k];
  Object.assign(env, { ASSAY_URL: opts.url, ASSAY_API_KEY: opts.key ?? ADMIN_KEY });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI_MAIN, ...args], { env, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
