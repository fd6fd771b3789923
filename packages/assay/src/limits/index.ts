/** Rate and concurrency limits per key (docs/limits.md): the limiter, its stores and the pipeline layer. */
import type { AssayConfig } from '../config/schema.js';
import { Limiter } from './limiter.js';
import { MemoryLimitStore, RedisLimitStore } from './store.js';

export { Limiter, type Admission, type LimitedKey } from './limiter.js';
export { limitHeaders, limitsEmbeddings, limitsLayer } from './layer.js';

/** A lease on a call in flight outlives the longest stream by this much before it expires on its own. */
const LEASE_MARGIN_MS = 60_000;

/** The limiter of a server: in Redis when `redis:` is configured (shared by instances), else in memory. */
export function createLimiter(config: AssayConfig, log?: (msg: string) => void): Limiter {
  const store = config.redis ? new RedisLimitStore(config.redis.url, `${config.redis.key_prefix}limit:`) : new MemoryLimitStore();
  return new Limiter({
    store,
    defaults: config.limits.per_key,
    apiRequestsPerMinute: config.limits.api_requests_per_minute,
    leaseTtlMs: config.limits.max_stream_ms + LEASE_MARGIN_MS,
    log,
  });
}
