/**
 * WAL size under a write load on SQLite: writes batches of observations with 4 KB bodies through the
 * store (the trace writer thread) and a few main-connection writes, sampling the -wal file size;
 * reports the largest and the final size. A long reader (an open read transaction, as a slow API
 * read holds) runs for part of the load, so checkpoints cannot finish meanwhile.
 *
 *   node --import tsx bench/read-limits/wal.ts [--rows=60000]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { openStore, resolveStoreLocation } from '../../packages/assay/src/store/index.js';
import { emptyObservation } from '../../packages/assay/src/tracing/span.js';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const ROWS = Number(arg('rows') ?? 60_000);
const BATCH = 500;
const MB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'assay-bench-wal-'));
const file = join(dir, 'assay.db');
const walSize = () => {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
};
try {
  const store = await openStore(resolveStoreLocation(file, dir));
  const body = 'x'.repeat(4096);
  let max = 0;
  const reader = new SQLite(file, { readonly: true });
  for (let i = 0; i < ROWS / BATCH; i++) {
    if (i === Math.floor(ROWS / BATCH / 4)) reader.exec('begin; select count(*) from observations;'); // a long read starts
    if (i === Math.floor(ROWS / BATCH / 2)) reader.exec('commit');
    const rows = Array.from({ length: BATCH }, (_, j) =>
      emptyObservation({ trace_id: `wal-${i}-${j}`.padEnd(32, '0'), type: 'span', name: 'x', input: { body } }),
    );
    await store.observations.insertMany(rows);
    max = Math.max(max, walSize());
  }
  await new Promise((r) => setTimeout(r, 200)); // the idle checkpoint
  const afterIdle = walSize();
  await store.close();
  reader.close();
  console.log('| load | largest WAL | WAL after idle | database |\n|---|---|---|---|');
  console.log(`| ${ROWS} rows × 4 KB | ${(max / MB).toFixed(1)} MB | ${(afterIdle / MB).toFixed(1)} MB | ${(statSync(file).size / MB).toFixed(0)} MB |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
