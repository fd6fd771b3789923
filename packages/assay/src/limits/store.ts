/**
 * Where rate and concurrency state lives: in memory for one instance, in Redis (atomic Lua scripts)
 * when `redis:` is configured, so every instance shares one count per key.
 *
 * Rates use GCRA (the generic cell rate algorithm): a bucket of `limit` units per minute, refilled
 * continuously, kept as one number, its "theoretical arrival time" (TAT). A take of n units moves
 * the TAT n × (60 000 / limit) ms ahead; it is refused when the TAT would end more than a minute
 * ahead of now. So a full minute's quota can be spent at once, then refills at limit/60 per second.
 * Calls in flight are leases with an expiry, so a crashed instance's leases cannot block a key.
 */
import { Redis } from 'ioredis';

export const WINDOW_MS = 60_000;

/** One rate bucket to take from: its key, its limit per minute and the units to take. */
export interface Take {
  key: string;
  limit: number;
  cost: number;
}

/** A bucket's state after a take (or the refused take). */
export interface BucketState {
  allowed: boolean;
  /** Units still available now. */
  remaining: number;
  /** Until the bucket is full again (ms). */
  resetMs: number;
  /** When refused: until the take would pass (ms). */
  retryMs: number;
}

export interface LimitStore {
  /** Take from every bucket, or from none when any of them refuses. */
  take(takes: readonly Take[]): Promise<BucketState[]> | BucketState[];
  /** Give back (negative) or charge (positive) units after the fact: real usage versus the estimate. */
  adjust(key: string, limit: number, units: number): Promise<void> | void;
  /** A lease on one of at most `max` calls in flight; false when all are taken. */
  acquire(key: string, lease: string, max: number, ttlMs: number): Promise<boolean> | boolean;
  release(key: string, lease: string): Promise<void> | void;
  close(): Promise<void>;
}

/** GCRA on one bucket; `tat` is the stored TAT (or null). Returns the state and the TAT to store. */
export function gcra(tat: number | null, now: number, limit: number, cost: number): BucketState & { tat: number } {
  const per = WINDOW_MS / limit;
  const base = Math.max(tat ?? now, now);
  const next = base + Math.min(cost, limit) * per;
  const allowed = next - now <= WINDOW_MS;
  const at = allowed ? next : base;
  return {
    allowed,
    tat: at,
    remaining: Math.max(0, Math.floor((WINDOW_MS - (at - now)) / per + 1e-9)),
    resetMs: Math.max(0, Math.ceil(at - now)),
    retryMs: allowed ? 0 : Math.max(1, Math.ceil(next - WINDOW_MS - now)),
  };
}

/** All buckets' states; when one refuses, the others report their state without the take. */
export function takeAll(takes: readonly Take[], tatOf: (t: Take, i: number) => number | null, now: number): (BucketState & { tat: number })[] {
  const states = takes.map((t, i) => gcra(tatOf(t, i), now, t.limit, t.cost));
  if (states.every((s) => s.allowed)) return states;
  return states.map((s, i) => (s.allowed ? { ...gcra(tatOf(takes[i], i), now, takes[i].limit, 0), allowed: false, retryMs: 0 } : s));
}

/** Entries past this are pruned (expired first); a bucket pruned early only forgets a spent quota. */
const MAX_ENTRIES = 100_000;

export class MemoryLimitStore implements LimitStore {
  private readonly tats = new Map<string, number>();
  private readonly leases = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  take(takes: readonly Take[]): BucketState[] {
    const now = this.now();
    const states = takeAll(takes, (t) => this.tats.get(t.key) ?? null, now);
    if (states.every((s) => s.allowed)) takes.forEach((t, i) => this.set(t.key, states[i].tat));
    return states;
  }

  adjust(key: string, limit: number, units: number): void {
    const now = this.now();
    const tat = Math.max(this.tats.get(key) ?? now, now) + units * (WINDOW_MS / limit);
    if (tat <= now) this.tats.delete(key);
    else this.set(key, tat);
  }

  acquire(key: string, lease: string, max: number, ttlMs: number): boolean {
    const now = this.now();
    let held = this.leases.get(key);
    if (!held) this.leases.set(key, (held = new Map()));
    for (const [id, until] of held) if (until <= now) held.delete(id);
    if (held.size >= max) return false;
    held.set(lease, now + ttlMs);
    return true;
  }

  release(key: string, lease: string): void {
    const held = this.leases.get(key);
    if (!held) return;
    held.delete(lease);
    if (held.size === 0) this.leases.delete(key);
  }

  private set(key: string, tat: number): void {
    this.tats.delete(key); // re-inserted last: the oldest-touched buckets are pruned first
    this.tats.set(key, tat);
    if (this.tats.size <= MAX_ENTRIES) return;
    const now = this.now();
    for (const [k, t] of this.tats) if (t <= now) this.tats.delete(k);
    for (const k of this.tats.keys()) {
      if (this.tats.size <= MAX_ENTRIES * 0.9) break;
      this.tats.delete(k);
    }
  }

  async close(): Promise<void> {}
}

/** KEYS: bucket keys; ARGV: per-unit ms and cost per key. Returns [allowed, tat_1, …] with Redis's clock. */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {now}
local ok = 1
local tats = {}
for i, key in ipairs(KEYS) do
  local per = tonumber(ARGV[2 * i - 1])
  local cost = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  tats[i] = tat
  if tat + cost * per - now > ${WINDOW_MS} then ok = 0 end
end
for i, key in ipairs(KEYS) do
  local per = tonumber(ARGV[2 * i - 1])
  local cost = tonumber(ARGV[2 * i])
  out[#out + 1] = tostring(tats[i])
  if ok == 1 then
    local next = tats[i] + cost * per
    redis.call('SET', key, tostring(next), 'PX', math.max(1, math.ceil(next - now)))
  end
end
out[#out + 1] = ok
return out`;

/** KEYS[1]: bucket; ARGV: per-unit ms, units (may be negative). */
const ADJUST = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
tat = tat + tonumber(ARGV[1]) * tonumber(ARGV[2])
if tat <= now then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil(tat - now)) end
return 1`;

/** KEYS[1]: the lease set; ARGV: lease id, max, ttl ms. Expired leases are dropped first. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`;

export class RedisLimitStore implements LimitStore {
  private readonly redis: Redis;

  constructor(url: string, private readonly prefix: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    this.redis.on('error', () => undefined); // surfaced through failed commands
  }

  async take(takes: readonly Take[]): Promise<BucketState[]> {
    const args = takes.flatMap((t) => [String(WINDOW_MS / t.limit), String(Math.min(t.cost, t.limit))]);
    const out = (await this.redis.eval(TAKE, takes.length, ...takes.map((t) => this.prefix + t.key), ...args)) as (string | number)[];
    const now = Number(out[0]);
    return takeAll(takes, (_t, i) => Number(out[i + 1]), now);
  }

  async adjust(key: string, limit: number, units: number): Promise<void> {
    await this.redis.eval(ADJUST, 1, this.prefix + key, String(WINDOW_MS / limit), String(units));
  }

  async acquire(key: string, lease: string, max: number, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, this.prefix + key, lease, String(max), String(ttlMs))) === 1;
  }

  async release(key: string, lease: string): Promise<void> {
    await this.redis.zrem(this.prefix + key, lease);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
