/** The `assay` command as a user runs it: help, config errors (exit 2), first start, keys via CLI, SIGTERM. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx'); // absolute, so the CLI can run from any folder
const cleanEnv = () => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ASSAY_')) delete env[k];
  return env;
};
const run = (args: string[], env: NodeJS.ProcessEnv = cleanEnv(), cwd?: string) =>
  spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], { env, cwd, encoding: 'utf8', timeout: 30_000 });

test('assay --help and assay up --help describe the commands and options', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const cmd of ['up', 'keys', 'models']) assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`));
  const up = run(['up', '--help']);
  assert.equal(up.status, 0);
  for (const opt of ['--port', '--host', '--config', '--data-dir', 'ASSAY_DATABASE_URL']) assert.ok(up.stdout.includes(opt), opt);
  const bad = run(['frobnicate']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unknown command/);
});

test('a bad config stops startup with exit code 2 naming the file, the path and the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'assay-cli-'));
  try {
    const file = join(dir, 'assay.config.yaml');
    writeFileSync(
      file,
      [
        'providers:',
        '  - id: upstream',
        '    type: openai',
        '    base_url: not a url',
        '    api_key: ${MISSING_KEY_FOR_TEST}',
        '  - id: other',
        '    type: bedrock',
        'routes:',
        '  - name: smart',
        '    targets:',
        '      - { model: nowhere/gpt-4o-mini, weight: 3 }',
      ].join('\n'),
    );
    let r = run(['up', '--config', file, '--port', '0', '--data-dir', dir]);
    assert.equal(r.status, 2, r.stderr);
    assert.ok(r.stderr.includes(file));
    assert.match(r.stderr, /providers\[0\]\.api_key: environment variable MISSING_KEY_FOR_TEST is not set/);

    r = run(['up', '--config', file, '--port', '0', '--data-dir', dir], { ...cleanEnv(), MISSING_KEY_FOR_TEST: 'k' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /providers\[0\]\.base_url: base_url must be a URL/);
    assert.match(r.stderr, /providers\[1\]\.type: unknown provider type "bedrock"/);

    writeFileSync(file, ['providers: [{id: upstream, type: openai, base_url: "http://127.0.0.1:1/v1"}]', 'routes:', '  - name: smart', '    targets: [{model: nowhere/gpt}]'].join('\n'));
    r = run(['up', '--config', file, '--port', '0', '--data-dir', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /routes\[0\]\.targets\[0\]\.model: provider "nowhere" is not defined in providers \(defined: upstream, local\)/);

    writeFileSync(file, 'providers: [unclosed');
    r = run(['up', '--config', file, '--port', '0', '--data-dir', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /YAML syntax/);

    r = run(['up', '--config', join(dir, 'absent.yaml'), '--port', '0', '--data-dir', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cannot read the file/);

    r = run(['up', '--port', 'eighty', '--data-dir', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--port: "eighty" is not a port/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('first start prints an admin key once; keys via the CLI; SIGTERM stops cleanly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'assay-cli-'));
  try {
    const start = () => {
      const child = spawn(process.execPath, ['--import', TSX, MAIN, 'up', '--port', '0', '--data-dir', dir], { env: cleanEnv(), cwd: dir });
      let stderr = '';
      const ready = new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          stderr += d;
          const m = stderr.match(/listening on (http:\/\/\S+)/);
          if (m && stderr.includes('models:')) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, ready, exited, stderr: () => stderr };
    };

    const first = start();
    const url = await first.ready;
    await new Promise((r) => setTimeout(r, 100));
    const adminKey = first.stderr().match(/(sk-assay-\S+)/)?.[1];
    assert.ok(adminKey, first.stderr());
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);

    const env = { ...cleanEnv(), ASSAY_URL: url, ASSAY_API_KEY: adminKey };
    const created = run(['keys', 'create', '--name', 'ci-bot', '--scope', 'model', 'read'], env);
    assert.equal(created.status, 0, created.stderr);
    const newKey = created.stdout.trim();
    assert.match(newKey, /^sk-assay-/);
    const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${newKey}` } });
    assert.equal(models.status, 200);
    const list = run(['keys', 'list'], env);
    assert.match(list.stdout, /ci-bot/);
    assert.ok(!list.stdout.includes(newKey), 'keys are never listed');
    const id = list.stdout.split('\n').find((l) => l.includes('ci-bot'))!.split('\t')[0];
    const updated = run(['keys', 'update', id, '--allow-tool', 'run_code', '--allow-kb', 'docs', '--user', 'u-7', '--memory-namespace', 'app-1', '--rpm', '30', '--json'], env);
    assert.equal(updated.status, 0, updated.stderr);
    assert.deepEqual(JSON.parse(updated.stdout).policy, { tools: { run_code: true, knowledge_bases: ['docs'] }, user: 'u-7', memory_namespace: 'app-1', rate_limits: { requests_per_minute: 30 } });
    const badFlag = run(['keys', 'update', id, '--rpm', '0'], env);
    assert.equal(badFlag.status, 1);
    assert.match(badFlag.stderr, /--rpm must be a positive whole number/);
    assert.equal(run(['keys', 'revoke', id], env).status, 0);
    assert.equal((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${newKey}` } })).status, 401);
    const noServer = run(['keys', 'list'], { ...env, ASSAY_URL: 'http://127.0.0.1:9' });
    assert.equal(noServer.status, 1);
    assert.match(noServer.stderr, /Cannot reach Assay at http:\/\/127\.0\.0\.1:9/);

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.match(first.stderr(), /stopped/);

    const second = start();
    await second.ready;
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!/sk-assay-/.test(second.stderr()), 'the admin key is printed only at the first start');
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
