/**
 * The batched trace recorder: spans are cleaned (tracing/sanitize.ts) as they are recorded, queued
 * in memory and written in batches off the request path. The queue is bounded in spans and in
 * bytes: past `capacity` or `capacityBytes`, `whenWritable()` makes new calls wait for the writer
 * instead of dropping anything. A failed write is retried with backoff (the writer sets aside rows
 * the database refuses alone, so one bad row cannot fail every retry); `close()` flushes everything.
 */
import type { Observation, ObservationSink } from './span.js';

export interface RecorderOptions {
  /** Writes the batch; resolves with the rows set aside (not written), if any. Rejects on a transient failure. */
  write(batch: Observation[]): Promise<void | readonly unknown[]>;
  /** Cleans an observation in place as it is recorded; returns its estimated size in bytes. */
  sanitize?: (o: Observation) => number;
  /** Rows per write. */
  batchSize?: number;
  /** How long a row may wait for a batch to fill, in ms. */
  flushIntervalMs?: number;
  /** Queue length past which new calls wait. */
  capacity?: number;
  /** Estimated queued bytes past which new calls wait. */
  capacityBytes?: number;
  log?: (msg: string) => void;
  /** Runs on every observation as it is recorded (pricing, budget accounting), before it is queued. */
  onRecord?: (o: Observation) => void;
}

export class Recorder implements ObservationSink {
  private queue: Observation[] = [];
  /** The estimated size of each queued observation, in queue order. */
  private sizes: number[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private failures = 0;
  private waiters: (() => void)[] = [];
  private closed = false;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly capacity: number;
  private readonly capacityBytes: number;
  /** Totals for /health and tests. */
  readonly stats = { recorded: 0, written: 0, failedWrites: 0, setAside: 0 };

  constructor(private readonly opts: RecorderOptions) {
    this.batchSize = opts.batchSize ?? 500;
    this.flushIntervalMs = opts.flushIntervalMs ?? 50;
    this.capacity = opts.capacity ?? 50_000;
    this.capacityBytes = opts.capacityBytes ?? 256_000_000;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Estimated bytes of the queued observations. */
  get pendingBytes(): number {
    return this.bytes;
  }

  record(observation: Observation): void {
    const size = this.opts.sanitize?.(observation) ?? 0;
    this.opts.onRecord?.(observation);
    this.queue.push(observation);
    this.sizes.push(size);
    this.bytes += size;
    this.stats.recorded++;
    if (this.queue.length >= this.batchSize || this.bytes >= this.capacityBytes) this.kick(0);
    else this.kick(this.flushIntervalMs);
  }

  /** Resolves at once while the queue has room; otherwise when the writer has caught up. */
  whenWritable(): Promise<void> | null {
    if (!this.full()) return null;
    this.kick(0);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private kick(delay: number): void {
    if (this.writing) return; // the running write re-arms when it finishes
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, delay);
    this.timer.unref?.();
  }

  private drain(): Promise<void> {
    if (this.writing) return this.writing;
    this.writing = (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, this.batchSize);
        try {
          const setAside = (await this.opts.write(batch))?.length ?? 0;
          this.queue.splice(0, batch.length);
          for (const size of this.sizes.splice(0, batch.length)) this.bytes -= size;
          this.stats.written += batch.length - setAside;
          this.stats.setAside += setAside;
          this.failures = 0;
          this.release();
        } catch (err) {
          this.failures++;
          this.stats.failedWrites++;
          const wait = Math.min(5_000, 100 * 2 ** Math.min(this.failures, 6));
          this.opts.log?.(`trace write of ${batch.length} observations failed (${(err as Error).message}); retrying in ${wait} ms, ${this.queue.length} queued`);
          if (this.closed && this.failures > 5) throw err;
          await new Promise((r) => setTimeout(r, wait));
        }
        if (!this.closed && this.queue.length < this.batchSize) break; // let the next batch fill
      }
    })().finally(() => {
      this.writing = null;
      if (this.queue.length > 0 && !this.closed) this.kick(this.flushIntervalMs);
    });
    return this.writing;
  }

  private full(): boolean {
    return this.queue.length >= this.capacity || (this.bytes >= this.capacityBytes && this.queue.length > 0);
  }

  private release(): void {
    if (this.full()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Write everything queued now. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0 || this.writing) {
      if (this.writing) await this.writing;
      else {
        const was = this.closed;
        this.closed = true; // drain everything, not just full batches
        try {
          await this.drain();
        } finally {
          this.closed = was;
        }
      }
    }
  }

  /** Flush and stop; records after close are still written by a final flush on the next close call. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }
}
