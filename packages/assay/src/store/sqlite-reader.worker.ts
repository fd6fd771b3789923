/**
 * The SQLite reader, in a worker thread: runs the heavy API reads (trace list and search, metrics)
 * on its own read-only connection, so a long scan never holds the server's event loop. WAL lets it
 * read while the writer commits. Sends {ready: true} once open; then {id, sql, params} →
 * {id, ok: true, rows} | {id, ok: false, error, code}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const { path } = workerData as { path: string };
const db = new SQLite(path, { readonly: true });
db.pragma('busy_timeout = 5000');

/** Prepared statements by SQL text (the API issues a small set of query shapes). */
const MAX_STATEMENTS = 200;
const statements = new Map<string, SQLite.Statement>();

function statement(sql: string): SQLite.Statement {
  let stmt = statements.get(sql);
  if (!stmt) {
    if (statements.size >= MAX_STATEMENTS) statements.clear();
    stmt = db.prepare(sql);
    statements.set(sql, stmt);
  }
  return stmt;
}

parentPort!.on('message', (msg: { id: number; sql: string; params: unknown[] } | { close: true }) => {
  if ('close' in msg) {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    const stmt = statement(msg.sql);
    if (!stmt.reader) throw Object.assign(new Error('the SQLite reader runs queries that return rows only'), { code: 'ASSAY_NOT_A_READ' });
    parentPort!.postMessage({ id: msg.id, ok: true, rows: stmt.all(msg.params) });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, error: (err as Error).message, code: (err as { code?: string }).code });
  }
});
parentPort!.postMessage({ ready: true });
