/**
 * Budget counters: running sums per budget, subject and window. In memory for one instance; in
 * Redis when `redis.url` is configured, so several instances share them. Keys carry the window
 * start, so a new window starts from zero and old keys expire.
 */
import { Redis } from 'ioredis';

export interface Counters {
  /** Current values of the keys (0 when absent). */
  get(keys: readonly string[]): Promise<number[]> | number[];
  /** Add to a key; returns the new value. `expireAt` is when the window (and the key) ends. */
  add(key: string, amount: number, expireAt: number): Promise<number>;
  /** Set a key only if it is not there yet (seeding from stored traces at startup). */
  seed(key: string, value: number, expireAt: number): Promise<void>;
  close(): Promise<void>;
}

/** Entries past this are pruned: expired ones, then the smallest sums (docs/budgets.md). */
const MAX_KEYS = 200_000;

export class MemoryCounters implements Counters {
  private readonly values = new Map<string, { v: number; expireAt: number }>();

  constructor(private readonly maxKeys = MAX_KEYS) {}

  get(keys: readonly string[]): number[] {
    const now = Date.now();
    return keys.map((k) => {
      const e = this.values.get(k);
      return e && e.expireAt > now ? e.v : 0;
    });
  }

  async add(key: string, amount: number, expireAt: number): Promise<number> {
    const e = this.values.get(key);
    const v = (e && e.expireAt > Date.now() ? e.v : 0) + amount;
    this.values.set(key, { v, expireAt });
    if (this.values.size > this.maxKeys) this.prune();
    return v;
  }

  async seed(key: string, value: number, expireAt: number): Promise<void> {
    if (!this.values.has(key)) this.values.set(key, { v: value, expireAt });
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, e] of this.values) if (e.expireAt <= now) this.values.delete(k);
    // Still full (many live subjects, e.g. a flood of invented users): drop the smallest sums, never
    // the oldest, so new subjects with little spend cannot push out a spent subject and reset it.
    const excess = this.values.size - Math.floor(this.maxKeys * 0.9);
    if (excess <= 0) return;
    const smallest = [...this.values].sort((a, b) => a[1].v - b[1].v).slice(0, excess);
    for (const [k] of smallest) this.values.delete(k);
  }

  async close(): Promise<void> {}
}

export class RedisCounters implements Counters {
  private readonly redis: Redis;

  constructor(url: string, private readonly prefix = 'assay:budget:') {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    this.redis.on('error', () => undefined); // surfaced through failed commands
  }

  async get(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const vals = await this.redis.mget(...keys.map((k) => this.prefix + k));
    return vals.map((v) => (v === null ? 0 : Number(v)));
  }

  async add(key: string, amount: number, expireAt: number): Promise<number> {
    const k = this.prefix + key;
    const [[, v]] = (await this.redis.multi().incrbyfloat(k, amount).pexpireat(k, expireAt + 3_600_000).exec()) as [[unknown, string]];
    return Number(v);
  }

  async seed(key: string, value: number, expireAt: number): Promise<void> {
    await this.redis.set(this.prefix + key, String(value), 'PXAT', expireAt + 3_600_000, 'NX');
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
