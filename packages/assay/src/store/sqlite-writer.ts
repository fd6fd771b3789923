/**
 * Main-thread side of the SQLite trace writer (sqlite-writer.worker.ts): batches go to the worker,
 * the promise settles when they are committed. One batch in flight at a time keeps order.
 */
import { Worker } from 'node:worker_threads';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Observation } from '../tracing/span.js';
import { OBSERVATION_COLUMNS, encodeObservation } from './observation-row.js';

/** Longest stretch (ms) of encoding before yielding to the event loop. */
const ENCODE_SLICE_MS = 1;

export class SqliteWriter {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor(path: string) {
    // Built: the .js worker. From source (tests, `npm run dev`): the .ts worker, loaded through tsx.
    const fromSource = import.meta.url.endsWith('.ts');
    const file = new URL(`./sqlite-writer.worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    this.worker = fromSource
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); })`,
          { eval: true, workerData: { path } },
        )
      : new Worker(file, { workerData: { path } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; ok: boolean; error?: string; code?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve();
      else p.reject(Object.assign(new Error(m.error), { code: m.code }));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the SQLite writer thread exited (code ${code})`)));
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /**
   * Encodes the rows here (JSON columns to text), yielding to the event loop after each millisecond
   * of work so requests are not held up (a fixed row count would yield far too often for small rows
   * and too rarely for large bodies), then hands flat rows to the worker (cheap to copy).
   */
  async write(rows: readonly Observation[], mode: 'ignore' | 'replace' = 'ignore'): Promise<void> {
    if (this.failed) throw this.failed;
    const encoded: unknown[][] = [];
    let sliceStart = performance.now();
    for (let i = 0; i < rows.length; i++) {
      const row = encodeObservation(rows[i]);
      encoded.push(OBSERVATION_COLUMNS.map((c) => row[c]));
      if (performance.now() - sliceStart > ENCODE_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    if (this.failed) throw this.failed;
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, rows: encoded, mode });
    }).finally(() => {
      if (this.pending.size === 0) this.worker.unref();
    });
  }

  async close(): Promise<void> {
    if (this.failed) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref(); // keep the process alive until the thread has closed the database
    this.worker.postMessage({ close: true });
    await exited;
  }
}
