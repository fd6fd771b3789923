/**
 * Opens the store: Kysely over better-sqlite3 (default, WAL, one file under the data dir) or over
 * PostgreSQL (`postgres://…`, with an optional `?schema=` to keep several instances apart).
 * Migrations run before the store is returned. Heavy API reads go through `db.reader`: on SQLite a
 * worker thread (sqlite-reader.ts), on PostgreSQL a small pool with a statement_timeout; either
 * stops a read after API_READ_TIMEOUT_MS with a 503 (`read`).
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { Database } from './schema.js';
import { migrate } from './migrations/index.js';
import { readerKysely, readTimeout, SqliteReader } from './sqlite-reader.js';

import type { DialectName } from './json.js';

export type { DialectName };

export interface StoreLocation {
  dialect: DialectName;
  /** SQLite file path (or ':memory:'), or the PostgreSQL connection string without `schema`. */
  target: string;
  schema?: string;
}

/** Where the store lives: `ASSAY_DATABASE_URL` (file path, `sqlite:` URL or `postgres://`) or `<dataDir>/assay.db`. */
export function resolveStoreLocation(url: string | undefined, dataDir: string): StoreLocation {
  if (!url) return { dialect: 'sqlite', target: join(dataDir, 'assay.db') };
  if (/^postgres(ql)?:\/\//.test(url)) {
    const u = new URL(url);
    const schema = u.searchParams.get('schema') ?? undefined;
    u.searchParams.delete('schema');
    if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`ASSAY_DATABASE_URL: schema "${schema}" must be a plain identifier (letters, digits, _)`);
    }
    return { dialect: 'postgres', target: u.toString(), schema };
  }
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/path → /abs/path
    if (path === '' ) throw new Error('ASSAY_DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/assay.db');
    return { dialect: 'sqlite', target: path === ':memory:' ? path : resolve(path) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new Error(`ASSAY_DATABASE_URL: unsupported scheme in "${url.split('://')[0]}://…": use a file path, sqlite:PATH or postgres://…`);
  }
  return { dialect: 'sqlite', target: isAbsolute(url) ? url : resolve(url) };
}

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  /**
   * The driver handle under Kysely, for the few modules that need driver features Kysely does not
   * expose (the knowledge index: sqlite-vec, FTS5 and prepared statements on SQLite; COPY-free
   * bulk reads on PostgreSQL). Exactly one is set, matching `dialect`.
   */
  sqlite?: import('better-sqlite3').Database;
  pool?: import('pg').Pool;
  /**
   * Where heavy API reads run (the trace list and search, metrics): off the event loop on a SQLite
   * file, with a statement_timeout on PostgreSQL; the main connection otherwise. Use through `read`.
   */
  reader?: Kysely<Database>;
  close(): Promise<void>;
}

/** Longest an API read may run before it is stopped (503 query_timeout). */
export const API_READ_TIMEOUT_MS = 15_000;

/** Runs a read on the reader; a PostgreSQL statement timeout becomes the 503 that says how to narrow it. */
export async function read<T>(db: Db, fn: (reader: Kysely<Database>) => Promise<T>): Promise<T> {
  try {
    return await fn(db.reader ?? db.kysely);
  } catch (err) {
    if ((err as { code?: string }).code === '57014') throw readTimeout(API_READ_TIMEOUT_MS, err); // query_canceled
    throw err;
  }
}

/** The SQLite WAL file is truncated to this size when it is reset after a checkpoint (both connections). */
export const WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024;

const WAL_CHECK_MS = 60_000;

/** A PASSIVE checkpoint (never waits for readers or writers) when the WAL is past its limit. */
function checkpointLargeWal(database: import('better-sqlite3').Database, walPath: string): void {
  try {
    if (statSync(walPath).size > WAL_SIZE_LIMIT_BYTES) database.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    /* no WAL yet, or busy: next time */
  }
}

/** SQLite's planner needs statistics to pick the right index once tables grow; refreshed this often. */
const SQLITE_OPTIMIZE_MS = 3 * 3_600_000;

export async function openDb(loc: StoreLocation): Promise<Db> {
  let kysely: Kysely<Database>;
  let rawSqlite: import('better-sqlite3').Database | undefined;
  let rawPool: import('pg').Pool | undefined;
  let reader: Kysely<Database> | undefined;
  let optimizeTimer: NodeJS.Timeout | null = null;
  let walTimer: NodeJS.Timeout | null = null;
  if (loc.dialect === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    if (loc.target !== ':memory:') mkdirSync(dirname(loc.target), { recursive: true });
    const database = new SQLite(loc.target);
    rawSqlite = database;
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('busy_timeout = 5000');
    database.pragma('foreign_keys = ON');
    // A file database's checkpoints are run by the trace writer thread (sqlite-writer.worker.ts),
    // never inside a commit on this event loop.
    if (loc.target !== ':memory:') database.pragma('wal_autocheckpoint = 0');
    // After a checkpoint the WAL is reused from its start; this cuts the file back to a bounded size.
    database.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    if (loc.target !== ':memory:') reader = readerKysely<Database>(new SqliteReader(loc.target, API_READ_TIMEOUT_MS));
    // Statistics for the planner (bounded work: SQLite samples large tables), at open and periodically.
    const optimize = () => {
      try {
        database.pragma('optimize=0x10002');
      } catch {
        /* busy: next time */
      }
    };
    optimizeTimer = setInterval(optimize, SQLITE_OPTIMIZE_MS);
    optimizeTimer.unref();
    // Writes on this connection alone (datasets, knowledge bases …) are checkpointed here when the
    // trace writer has not done it: the WAL would grow without bound otherwise.
    if (loc.target !== ':memory:') {
      walTimer = setInterval(() => checkpointLargeWal(database, `${loc.target}-wal`), WAL_CHECK_MS);
      walTimer.unref();
    }
    setImmediate(optimize);
  } else {
    const pg = await import('pg');
    const Pool = pg.default.Pool;
    const types = pg.default.types;
    const typeParsers = {
      // bigint and numeric come back as numbers: times are epoch ms, far below 2^53.
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 || oid === 1700 ? (v: string) => Number(v) : types.getTypeParser(oid, format as 'text')) as typeof types.getTypeParser,
    };
    const pool = new Pool({
      connectionString: loc.target,
      max: 10,
      options: loc.schema ? `-c search_path=${loc.schema}` : undefined,
      types: typeParsers,
    });
    if (loc.schema) {
      const c = await pool.connect();
      try {
        await c.query(`create schema if not exists "${loc.schema}"`);
      } finally {
        c.release();
      }
    }
    rawPool = pool;
    kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const readerPool = new Pool({
      connectionString: loc.target,
      max: 4,
      options: [loc.schema ? `-c search_path=${loc.schema}` : '', `-c statement_timeout=${API_READ_TIMEOUT_MS}`].join(' ').trim(),
      types: typeParsers,
    });
    reader = new Kysely<Database>({ dialect: new PostgresDialect({ pool: readerPool }) });
  }
  try {
    await migrate(kysely as Kysely<unknown>, { dialect: loc.dialect });
  } catch (err) {
    await reader?.destroy();
    await kysely.destroy();
    throw err;
  }
  if (loc.dialect === 'postgres') {
    // Tables never analyzed (a bulk load, a restore) get statistics now, so the planner uses the
    // primary key and the partial indexes from the first query; autovacuum keeps them fresh later.
    const db = kysely;
    setImmediate(() => {
      sql`select relname from pg_stat_user_tables where schemaname = current_schema() and n_live_tup > 0 and last_analyze is null and last_autoanalyze is null`
        .execute(db)
        .then(async ({ rows }) => {
          for (const r of rows as { relname: string }[]) await sql`analyze ${sql.table(r.relname)}`.execute(db);
        })
        .catch(() => undefined); // best effort: the store works without it, only slower
    });
  }
  return {
    kysely,
    dialect: loc.dialect,
    sqlite: rawSqlite,
    pool: rawPool,
    reader,
    close: async () => {
      if (optimizeTimer) clearInterval(optimizeTimer);
      if (walTimer) clearInterval(walTimer);
      await reader?.destroy();
      return kysely.destroy();
    },
  };
}

export { toJson, fromJson } from './json.js';
export { sql };
