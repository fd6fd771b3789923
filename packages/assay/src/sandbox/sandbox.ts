/**
 * The code sandbox's main-thread side: a small pool of worker threads (worker.ts), each running one
 * QuickJS job at a time off the server's event loop, a bounded queue in front of them, and a hard
 * stop (terminate + replace) for a run that outlives its deadline by `killGraceMs`.
 * See docs/sandbox.md for the API, limits and security model.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { AssayError, badRequest, clientClosed } from '../errors.js';
import type { Job } from './engine.js';
import {
  checkLimits,
  encodeInput,
  resolveLimits,
  WORKER_STACK_MB,
  type RunLimits,
  type RunOptions,
  type RunResult,
} from './types.js';

export interface SandboxOptions {
  /** Worker threads (1–8). Default: 2, or 1 on a single-core machine. Started on first use. */
  workers?: number;
  /** Runs allowed to wait for a worker (0–10000, default 64); past that, run() fails with 503 sandbox_busy. */
  maxQueue?: number;
  /** Limits for runs that do not set their own (each is checked against LIMIT_RANGES). */
  defaults?: Partial<RunLimits>;
  /** How far past its deadline a run may go before its worker is terminated (10–60000 ms, default 500). */
  killGraceMs?: number;
}

export interface SandboxStats {
  workers: number;
  busy: number;
  queued: number;
  /** Workers terminated because a run would not stop. */
  killed: number;
}

/** Longest code accepted, in characters. */
export const MAX_CODE_CHARS = 1_000_000;

interface Task {
  id: number;
  job: Job;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker | null;
  ready: boolean;
  task: Task | null;
  timer: NodeJS.Timeout | null;
  startedAt: number;
}

export class Sandbox {
  private readonly slots: Slot[];
  private readonly queue: Task[] = [];
  private readonly maxQueue: number;
  private readonly defaults: Partial<RunLimits>;
  private readonly killGraceMs: number;
  private readonly inFlight = new Set<Promise<RunResult>>();
  private nextId = 1;
  private killed = 0;
  private closed = false;

  constructor(options: SandboxOptions = {}) {
    const workers = intOption(options.workers, 'workers', 1, 8, Math.min(2, availableParallelism()));
    this.maxQueue = intOption(options.maxQueue, 'maxQueue', 0, 10_000, 64);
    this.killGraceMs = intOption(options.killGraceMs, 'killGraceMs', 10, 60_000, 500);
    this.defaults = checkLimits(options.defaults ?? {}, 'defaults');
    this.slots = Array.from({ length: workers }, () => ({ worker: null, ready: false, task: null, timer: null, startedAt: 0 }));
  }

  /**
   * Runs `code` (the body of an async function: `return` gives the result) in a fresh QuickJS
   * context. Resolves with the outcome, failures of the code included; rejects only for the
   * caller's mistakes (400: bad code type, options or input), a full queue or a closed sandbox (503),
   * or an abort while queued (499).
   */
  run(code: string, options: RunOptions = {}): Promise<RunResult> {
    if (this.closed) return Promise.reject(unavailable('the code sandbox is closed', 'sandbox_closed'));
    let job: Job;
    try {
      if (typeof code !== 'string') throw badRequest(`code must be a string of JavaScript, got ${code === null ? 'null' : typeof code}`, 'code');
      if (code.length > MAX_CODE_CHARS) throw badRequest(`code is ${code.length} characters, over the limit of ${MAX_CODE_CHARS}`, 'code');
      const limits = resolveLimits(this.defaults, options);
      job = { code, inputJson: encodeInput(options.input, limits.memoryBytes), limits };
    } catch (err) {
      return Promise.reject(err);
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(clientClosed('the run was cancelled before it started'));
    // Slots without a task (idle, starting or not started) will take queued runs; past them, maxQueue may wait.
    if (this.queue.length >= this.maxQueue + this.slots.filter((s) => !s.task).length) {
      return Promise.reject(
        unavailable(`the code sandbox is busy: ${this.queue.length} runs are already waiting (maxQueue ${this.maxQueue}); retry later`, 'sandbox_busy'),
      );
    }
    const promise = new Promise<RunResult>((resolve, reject) => {
      const task: Task = { id: this.nextId++, job, resolve, reject, signal };
      if (signal) {
        task.onAbort = () => {
          const i = this.queue.indexOf(task);
          if (i < 0) return; // already running: it ends at its own deadline
          this.queue.splice(i, 1);
          reject(clientClosed('the run was cancelled while waiting for a sandbox worker'));
        };
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.queue.push(task);
      this.pump();
    });
    this.inFlight.add(promise);
    const forget = () => void this.inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  get stats(): SandboxStats {
    return {
      workers: this.slots.filter((s) => s.worker).length,
      busy: this.slots.filter((s) => s.task).length,
      queued: this.queue.length,
      killed: this.killed,
    };
  }

  /** Refuses new runs, fails queued ones (503), lets running ones finish, then stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.queue.splice(0)) this.settle(task, null, unavailable('the code sandbox was closed before the run started', 'sandbox_closed'));
    await Promise.allSettled([...this.inFlight]);
    await Promise.all(this.slots.map((s) => this.stop(s)));
  }

  /** Hands queued tasks to idle ready workers, starting workers as needed. */
  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.task) continue;
      if (!slot.worker) this.spawn(slot);
      else if (slot.ready) this.dispatch(slot, this.queue.shift()!);
    }
  }

  private dispatch(slot: Slot, task: Task): void {
    slot.task = task;
    slot.startedAt = performance.now();
    slot.worker!.ref();
    slot.worker!.postMessage({ id: task.id, job: task.job });
    slot.timer = setTimeout(() => this.kill(slot), task.job.limits.timeoutMs + this.killGraceMs);
  }

  private spawn(slot: Slot): void {
    // Built: the .js worker. From source (tests, `npm run dev`): the .ts worker, loaded through tsx.
    const fromSource = import.meta.url.endsWith('.ts');
    const file = new URL(`./worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    const options = { resourceLimits: { stackSizeMb: WORKER_STACK_MB, maxOldGenerationSizeMb: 256 } };
    const worker = fromSource
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); })`,
          { eval: true, ...options },
        )
      : new Worker(file, options);
    worker.unref();
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (m: { ready?: true; id?: number; result?: RunResult }) => {
      if (slot.worker !== worker) return;
      if (m.ready) {
        slot.ready = true;
      } else if (slot.task && m.id === slot.task.id && m.result) {
        const task = slot.task;
        this.release(slot);
        this.settle(task, m.result);
      }
      this.pump();
    });
    const lost = (err: Error | null, code?: number) => {
      if (slot.worker !== worker) return; // already replaced (killed on purpose)
      const task = slot.task;
      const wasReady = slot.ready;
      this.release(slot);
      slot.worker = null;
      slot.ready = false;
      const oom = (err as { code?: string } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      const reason = err ? err.message : `exit code ${code}`;
      if (task) {
        this.settle(task, failed(slot, oom ? 'memory' : 'runtime', `the sandbox worker stopped during the run: ${reason}`));
      } else if (!wasReady) {
        // It could not even start: fail the waiting runs rather than respawning in a loop.
        const error = new AssayError({ status: 500, message: `the code sandbox could not start: ${reason}`, type: 'server_error', code: 'sandbox_failed' });
        for (const t of this.queue.splice(0)) this.settle(t, null, error);
      }
      if (!this.closed) this.pump();
    };
    worker.on('error', (err) => lost(err));
    worker.on('exit', (code) => lost(null, code));
  }

  /** A run went past deadline + grace without answering: terminate its worker and start another. */
  private kill(slot: Slot): void {
    const task = slot.task;
    const worker = slot.worker;
    if (!task || !worker) return;
    this.killed++;
    this.release(slot);
    slot.worker = null;
    slot.ready = false;
    void worker.terminate();
    this.settle(
      task,
      failed(slot, 'timeout', `the code ran past its time limit of ${task.job.limits.timeoutMs} ms and did not stop, so its worker was terminated (console output is lost)`),
    );
    if (!this.closed) {
      this.spawn(slot); // keep the pool warm
      this.pump();
    }
  }

  private release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.task = null;
    slot.worker?.unref();
  }

  private settle(task: Task, result: RunResult | null, error?: Error): void {
    if (task.signal && task.onAbort) task.signal.removeEventListener('abort', task.onAbort);
    if (result) task.resolve(result);
    else task.reject(error!);
  }

  private async stop(slot: Slot): Promise<void> {
    const worker = slot.worker;
    slot.worker = null;
    slot.ready = false;
    if (worker) await worker.terminate();
  }
}

function failed(slot: Slot, kind: 'timeout' | 'memory' | 'runtime', message: string): RunResult {
  return {
    ok: false,
    error: { name: 'InternalError', message, kind },
    logs: [],
    logsTruncated: false,
    durationMs: Math.round((performance.now() - slot.startedAt) * 100) / 100,
  };
}

function unavailable(message: string, code: string): AssayError {
  return new AssayError({ status: 503, message, type: 'unavailable_error', code, headers: { 'retry-after': '1' } });
}

function intOption(v: unknown, name: string, min: number, max: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw badRequest(`sandbox option ${name} must be an integer from ${min} to ${max}, got ${String(v)}`, name);
  }
  return v;
}
