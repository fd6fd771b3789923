/**
 * Main-thread side of the SQLite reader (sqlite-reader.worker.ts), and a Kysely dialect over it, so
 * repositories build their reads with Kysely as usual and run them with `db.reader`. A read that
 * takes longer than the timeout is stopped by ending the thread (a new one starts for the next
 * read) and answers 503, like PostgreSQL's statement_timeout on the reader pool (db.ts).
 */
import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import { AssayError } from '../errors.js';

/** The 503 a read answers when it runs past the timeout (on either database). */
export function readTimeout(timeoutMs: number, cause?: unknown): AssayError {
  return new AssayError({
    status: 503,
    code: 'query_timeout',
    message: `the query ran longer than ${timeoutMs} ms and was stopped: narrow it (a shorter from/to window, or more filters) and try again`,
    headers: { 'retry-after': '1' },
    cause,
  });
}

interface Pending {
  resolve: (rows: unknown[]) => void;
  reject: (e: Error) => void;
}

export class SqliteReader {
  private worker: Worker | null = null;
  /** Settles when the current thread has opened the database (its start-up is not counted in a read's time). */
  private ready: Promise<void> = Promise.resolve();
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly path: string,
    private readonly timeoutMs: number,
  ) {}

  private start(): Worker {
    // Built: the .js worker. From source (tests, `npm run dev`): the .ts worker, loaded through tsx.
    const fromSource = import.meta.url.endsWith('.ts');
    const file = new URL(`./sqlite-reader.worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    const worker = fromSource
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); })`,
          { eval: true, workerData: { path: this.path } },
        )
      : new Worker(file, { workerData: { path: this.path } });
    worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', () => reject(new Error('the SQLite reader thread could not start')));
    });
    this.ready.catch(() => undefined);
    worker.on('message', (m: { id: number; ok: boolean; rows?: unknown[]; error?: string; code?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.rows!);
      else p.reject(Object.assign(new Error(m.error), { code: m.code }));
    });
    worker.on('error', (err) => this.stop(worker, err));
    worker.on('exit', (code) => this.stop(worker, new Error(`the SQLite reader thread exited (code ${code})`)));
    return worker;
  }

  /** Ends `worker` (when it is the current one) and fails every read waiting on it. */
  private stop(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    worker.unref(); // a thread inside a long SQLite call ends only when the call returns: never keep the process for it
    void worker.terminate();
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async all(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    const worker = (this.worker ??= this.start());
    await this.ready;
    const id = this.nextId++;
    return new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => this.stop(worker, readTimeout(this.timeoutMs)), this.timeoutMs);
      const done = () => {
        clearTimeout(timer);
        if (this.pending.size === 0) worker.unref();
      };
      this.pending.set(id, { resolve: (rows) => (done(), resolve(rows)), reject: (e) => (done(), reject(e)) });
      worker.ref();
      worker.postMessage({ id, sql, params });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage({ close: true });
    await exited;
  }
}

class ReaderConnection implements DatabaseConnection {
  constructor(private readonly reader: SqliteReader) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return { rows: (await this.reader.all(query.sql, query.parameters)) as R[] };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the SQLite reader does not stream');
  }
}

class ReaderDriver implements Driver {
  constructor(private readonly reader: SqliteReader) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new ReaderConnection(this.reader);
  }
  async beginTransaction(): Promise<void> {
    throw new Error('the SQLite reader runs single reads, not transactions');
  }
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {
    await this.reader.close();
  }
}

/** A Kysely instance whose queries run in the reader thread. */
export function readerKysely<DB>(reader: SqliteReader): Kysely<DB> {
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new ReaderDriver(reader),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  return new Kysely<DB>({ dialect });
}
