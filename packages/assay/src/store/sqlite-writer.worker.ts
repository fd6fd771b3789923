/**
 * The SQLite trace writer, in a worker thread: inserts batches of observations with one reused
 * prepared statement inside a transaction, so the commit never blocks the server's event loop.
 * Messages: {id, rows} → {id, ok: true} | {id, ok: false, error}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { OBSERVATION_COLUMNS } from './observation-row.js';

const { path } = workerData as { path: string };
const db = new SQLite(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');

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
    db.close();
    parentPort!.close();
    return;
  }
  try {
    insertAll(msg.rows, msg.mode);
    parentPort!.postMessage({ id: msg.id, ok: true });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, error: (err as Error).message });
  }
});
