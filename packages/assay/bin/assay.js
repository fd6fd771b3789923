#!/usr/bin/env node
// The `assay` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via prepare).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('assay: the CLI is not built yet; run `npm run build` in the repository root.');
  process.exit(1);
}
await import(main.href);
