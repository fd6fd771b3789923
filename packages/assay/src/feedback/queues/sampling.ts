/**
 * Sampling rules on live traffic: every recorded root `generation` is matched against the rules of
 * its project's queues (model, route, tag, error — equality checks) and kept with probability
 * `rate`. `observe` runs inside the recorder's onRecord, so it is O(rules) with no I/O and never
 * throws; matches wait in memory (bounded) and are added in batches by a timer, off the request path.
 * A call whose trace is not written yet is retried on the next batches.
 */
import type { Observation } from '../../tracing/span.js';
import type { Queue, SamplingRule } from './types.js';

export interface SampledCall {
  queueId: string;
  projectId: string;
  traceId: string;
  rate: number;
  attempts: number;
}

interface CompiledRule {
  queueId: string;
  filter: SamplingRule['filter'];
  rate: number;
}

export interface SamplerOptions {
  /** Time between batches (ms). */
  intervalMs?: number;
  /** Matches waiting at most; beyond it new matches are dropped (counted). */
  capacity?: number;
  /** Tries to add a call whose trace is not written yet. */
  maxAttempts?: number;
  random?: () => number;
  log?: (msg: string) => void;
}

export function matches(f: SamplingRule['filter'], o: Observation): boolean {
  if (f.model !== undefined && o.model !== f.model) return false;
  if (f.route !== undefined && o.route !== f.route) return false;
  if (f.tag !== undefined && !o.tags.includes(f.tag)) return false;
  if (f.error !== undefined && (o.status === 'error') !== f.error) return false;
  return true;
}

export class Sampler {
  private rules = new Map<string, CompiledRule[]>();
  private pending: SampledCall[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private handler: ((batch: SampledCall[]) => Promise<SampledCall[]>) | null = null;
  private closed = false;
  readonly stats = { sampled: 0, dropped: 0, added: 0 };
  private readonly intervalMs: number;
  private readonly capacity: number;
  private readonly maxAttempts: number;
  private readonly random: () => number;

  constructor(private readonly opts: SamplerOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 500;
    this.capacity = opts.capacity ?? 10_000;
    this.maxAttempts = opts.maxAttempts ?? 20;
    this.random = opts.random ?? Math.random;
  }

  /** Where batches go (the queue service). */
  attach(handler: (batch: SampledCall[]) => Promise<SampledCall[]>): void {
    this.handler = handler;
  }

  setRules(queues: readonly Queue[]): void {
    const next = new Map<string, CompiledRule[]>();
    for (const q of queues) {
      for (const r of q.sampling ?? []) {
        if (r.rate <= 0) continue;
        let list = next.get(q.project_id);
        if (!list) next.set(q.project_id, (list = []));
        list.push({ queueId: q.id, filter: r.filter ?? {}, rate: r.rate });
      }
    }
    this.rules = next;
  }

  get queued(): number {
    return this.pending.length;
  }

  /** Called for every recorded observation: cheap, synchronous, never throws. */
  observe(o: Observation): void {
    try {
      if (this.closed || o.parent_id !== null || o.type !== 'generation' || this.rules.size === 0) return;
      const rules = this.rules.get(o.project_id);
      if (!rules) return;
      let taken: Set<string> | null = null;
      for (const r of rules) {
        if (taken?.has(r.queueId) || !matches(r.filter, o) || !(this.random() < r.rate)) continue;
        (taken ??= new Set()).add(r.queueId);
        if (this.pending.length >= this.capacity) {
          this.stats.dropped++;
          continue;
        }
        this.pending.push({ queueId: r.queueId, projectId: o.project_id, traceId: o.trace_id, rate: r.rate, attempts: 0 });
        this.stats.sampled++;
      }
      if (taken) this.arm();
    } catch {
      // sampling never breaks recording
    }
  }

  private arm(): void {
    if (this.timer || this.running || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Adds what is waiting now (tests, shutdown); retries go back in line. */
  async flush(): Promise<void> {
    if (this.running) return this.running;
    if (!this.handler || !this.pending.length) return;
    const handler = this.handler;
    const batch = this.pending.splice(0, 500);
    this.running = (async () => {
      try {
        const retry = await handler(batch);
        this.stats.added += batch.length - retry.length;
        for (const c of retry) if (c.attempts + 1 < this.maxAttempts) this.pending.push({ ...c, attempts: c.attempts + 1 });
      } catch (err) {
        this.opts.log?.(`annotation sampling: a batch failed: ${(err as Error).message}`);
      } finally {
        this.running = null;
        if (this.pending.length) this.arm();
      }
    })();
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.flush(); // what the recorder has written by now still gets in
  }
}
