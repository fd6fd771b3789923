/**
 * The SQLite trace writer, in a worker thread: inserts batches of observations with one reused
 * prepared statement inside a transaction, so the commit never blocks the server's event loop.
 * Messages: {id, rows} → {id, ok: true} | {id, ok: false, error, code} (code: SQLite's, e.g. SQLITE_BUSY).
 *
 * WAL checkpoints run here too, between batches (when the writer has been idle a moment, or after
 * many rows), instead of inside the commit that happens to cross SQLite's threshold: that commit's
 * caller (an ingest request waiting for its acknowledgement) would wait for the checkpoint's fsync.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { OBSERVATION_COLUMNS } from './observation-row.js';

const { path } = workerData as { path: string };
const db = new SQLite(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0');
db.pragma(`journal_size_limit = ${32 * 1024 * 1024}`); // store/db.ts WAL_SIZE_LIMIT_BYTES: the WAL shrinks back after checkpoints

/** Checkpoint after this long without a batch, or at once after this many rows since the last one. */
const CHECKPOINT_IDLE_MS = 10;
const CHECKPOINT_ROWS = 20_000;
let rowsSinceCheckpoint = 0;
let idleTimer: NodeJS.Timeout | null = null;

function checkpoint(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  rowsSinceCheckpoint = 0;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    /* busy: the next one catches up */
  }
}

function afterBatch(rows: number): void {
  rowsSinceCheckpoint += rows;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  if (rowsSinceCheckpoint >= CHECKPOINT_ROWS) setImmediate(checkpoint);
  else idleTimer = setTimeout(checkpoint, CHECKPOINT_IDLE_MS);
}

const insertSql = `insert into observations (${OBSERVATION_COLUMNS.join(', ')}) values (${OBSERVATION_COLUMNS.map(() => '?').join(', ')}) on conflict (trace_id, id)`;
const updates = OBSERVATION_COLUMNS.filter((c) => c !== 'trace_id' && c !== 'id').map((c) => `${c} = excluded.${c}`);
const statements = {
  ignore: db.prepare(`${insertSql} do nothing`),
  replace: db.prepare(`${insertSql} do update set ${updates.join(', ')}`),
};
const insertAll = db.transaction((rows: unknown[][], mode: 'ignore' | 'replace') => {
  const insert = statements[mode];
  for (const row of rows) insert.run(row);
});

/** rows: values in OBSERVATION_COLUMNS order, JSON columns already text (sqlite-writer.ts). */
parentPort!.on('message', (msg: { id: number; rows: unknown[][]; mode: 'ignore' | 'replace' } | { close: true }) => {
  if ('close' in msg) {
    if (idleTimer) clearTimeout(idleTimer);
    db.close();
    parentPort!.close();
    return;
  }
  try {
    insertAll(msg.rows, msg.mode);
    parentPort!.postMessage({ id: msg.id, ok: true });
    afterBatch(msg.rows.length);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, error: (err as Error).message, code: (err as { code?: string }).code });
  }
});
