#!/usr/bin/env node
/**
 * First-paint size of the dashboard build: the JS and CSS that index.html loads before anything
 * else (entry script, module preloads, stylesheets), gzipped. Lazy page chunks are listed apart.
 * Fails the build above the budget (issue 4: under 300 KB gzipped).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 300 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

let total = 0;
const rows = initial.map((f) => {
  const size = gz(f);
  total += size;
  return `  ${f.padEnd(44)} ${kb(size).padStart(10)}`;
});
const lazy = readdirSync(join(dist, 'assets'))
  .map((f) => `assets/${f}`)
  .filter((f) => !initial.includes(f) && /\.(js|css)$/.test(f))
  .map((f) => `  ${f.padEnd(44)} ${kb(gz(f)).padStart(10)}`);

console.log(`first paint (gzip): ${kb(total)} of a ${kb(BUDGET)} budget`);
console.log(rows.join('\n'));
if (lazy.length) console.log(`loaded on demand (gzip):\n${lazy.join('\n')}`);
if (total > BUDGET) {
  console.error(`the first-paint bundle is over budget by ${kb(total - BUDGET)}: lazy-load what the first page does not need`);
  process.exit(1);
}
