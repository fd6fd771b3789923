/**
 * Small concurrency helpers for the local provider: a bounded FIFO permit queue (one per model)
 * and an async push channel that turns generation callbacks into an async iterator.
 */

/** Thrown by `PermitQueue.acquire` when `maxWaiting` requests are already waiting. */
export class QueueFullError extends Error {
  constructor(readonly waiting: number) {
    super(`queue full: ${waiting} requests waiting`);
    this.name = 'QueueFullError';
  }
}

export interface Permit {
  /** Slot index in [0, slots): which context sequence the holder may use. */
  readonly slot: number;
  /** Give the slot back (idempotent). */
  release(): void;
}

interface Waiter {
  resolve(p: Permit): void;
  reject(err: unknown): void;
  cleanup(): void;
}

/**
 * `slots` concurrent holders, up to `maxWaiting` more waiting in FIFO order. `acquire` decides
 * synchronously: a free slot is taken at call time, a full queue rejects at call time.
 */
export class PermitQueue {
  private readonly free: number[] = [];
  private readonly waiters: Waiter[] = [];
  private closedWith: unknown = null;

  constructor(
    readonly slots: number,
    readonly maxWaiting: number,
  ) {
    for (let i = 0; i < slots; i++) this.free.push(i);
  }

  get waiting(): number {
    return this.waiters.length;
  }

  get busy(): number {
    return this.slots - this.free.length;
  }

  acquire(signal?: AbortSignal): Promise<Permit> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(signalReason(signal));
    const slot = this.free.shift();
    if (slot !== undefined) return Promise.resolve(this.permit(slot));
    if (this.waiters.length >= this.maxWaiting) return Promise.reject(new QueueFullError(this.waiters.length));
    return new Promise<Permit>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signalReason(signal!));
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Reject every waiter and all later acquires with `err`; holders keep their slots until release. */
  close(err: unknown): void {
    this.closedWith = err;
    for (const w of this.waiters.splice(0)) {
      w.cleanup();
      w.reject(err);
    }
  }

  private permit(slot: number): Permit {
    let released = false;
    return {
      slot,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) {
          next.cleanup();
          next.resolve(this.permit(slot));
        } else {
          this.free.push(slot);
          this.free.sort((a, b) => a - b);
        }
      },
    };
  }
}

export function signalReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error(typeof r === 'string' ? r : 'aborted');
  e.name = 'AbortError';
  return e;
}

/** Resolve with `promise`, or reject as soon as `signal` aborts (the promise itself keeps running). */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signalReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signalReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * A single-consumer async channel: the producer pushes items and finally ends or fails it; the
 * consumer iterates. `onReturn` runs once when the consumer stops early (return() / break).
 */
export class Channel<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private ended = false;
  private error: unknown = null;
  private pending: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | null = null;
  private returned = false;

  constructor(private readonly onReturn: () => void) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      p.resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.flushPending();
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    this.flushPending();
  }

  private flushPending(): void {
    if (!this.pending || this.items.length > 0) return;
    const p = this.pending;
    this.pending = null;
    if (this.error !== null) {
      const e = this.error;
      this.error = null; // report a failure once, then behave as finished
      p.reject(e);
    } else {
      p.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.ended) {
      if (this.error !== null) {
        const e = this.error;
        this.error = null; // report a failure once, then behave as finished
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.pending) return Promise.reject(new Error('Channel.next() called while a previous next() is pending'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.returned) {
      this.returned = true;
      this.items.length = 0;
      this.error = null;
      this.ended = true;
      this.flushPending();
      this.onReturn();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
