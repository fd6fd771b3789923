#!/usr/bin/env node
// Runs the whole suite with node's test runner: every *.test.ts under packages/*/src and packages/*/test.
// Usage: node scripts/test.mjs [path-substring …]  (filters the files)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
}
for (const pkg of readdirSync(join(root, 'packages'))) {
  for (const sub of ['src', 'test']) {
    try { walk(join(root, 'packages', pkg, sub)); } catch { /* absent */ }
  }
}
const filters = process.argv.slice(2);
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
if (filters.length === 0) {
  // The whole suite starts with the type check of sources and tests.
  for (const project of ['packages/assay/tsconfig.test.json', 'packages/sdk/tsconfig.test.json', 'packages/web/tsconfig.json', 'packages/web/tsconfig.test.json']) {
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: root, stdio: 'inherit' });
    if (tsc.status !== 0) {
      console.error(`type check failed (npm run typecheck): ${project}`);
      process.exit(tsc.status ?? 1);
    }
  }
}
if (!process.env.ASSAY_TEST_POSTGRES_URL) {
  console.log('note: ASSAY_TEST_POSTGRES_URL is not set, so the PostgreSQL store tests are skipped ' +
    '(set it, e.g. postgres://postgres@127.0.0.1:5432/test, to run them; .ci/run does).');
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...selected], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
});
process.exit(res.status ?? 1);
