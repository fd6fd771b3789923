/**
 * Rate and concurrency limits per key: requests and tokens per minute and calls in flight on the
 * model API, requests per minute on the management API. A key's `policy.rate_limits` sets its own
 * limits; fields it leaves out come from `limits.per_key` in the config (docs/limits.md). Over a
 * limit is a 429 with retry-after and OpenAI's x-ratelimit-* headers; answers that pass carry them too.
 */
import { randomBytes } from 'node:crypto';
import { AssayError } from '../errors.js';
import type { KeyRateLimits } from '../keys/policy.js';
import type { BucketState, LimitStore } from './store.js';

/** What the limiter needs of a key. */
export interface LimitedKey {
  id: string;
  policy: { rate_limits?: KeyRateLimits } | null;
}

export interface LimiterOptions {
  store: LimitStore;
  /** Limits of keys whose policy does not set them (`limits.per_key`). */
  defaults: KeyRateLimits;
  /** Requests per minute per key on /api (`limits.api_requests_per_minute`); null: none. */
  apiRequestsPerMinute: number | null;
  /** A lease on a call in flight expires after this (the longest a stream may run, plus a margin). */
  leaseTtlMs: number;
  log?: (msg: string) => void;
}

/** A call admitted: its headers, and `finish` with the tokens it really used (null: as estimated). */
export interface Admission {
  headers: Record<string, string>;
  finish(totalTokens: number | null): Promise<void>;
}

const UNLIMITED: Admission = { headers: {}, finish: async () => undefined };

/** Lease ids: unique per instance (random) and call (a counter), so instances sharing Redis never collide. */
const INSTANCE = randomBytes(6).toString('hex');
let leases = 0;

export class Limiter {
  private lastLog = 0;

  constructor(private readonly opts: LimiterOptions) {}

  limitsFor(key: LimitedKey): KeyRateLimits {
    const own = key.policy?.rate_limits;
    return own ? { ...this.opts.defaults, ...own } : this.opts.defaults;
  }

  /** Before a model call: take a request, the estimated tokens and a lease on a call in flight. */
  async admit(key: LimitedKey, estimateTokens: () => number): Promise<Admission> {
    const limits = this.limitsFor(key);
    const { requests_per_minute: rpm, tokens_per_minute: tpm, max_in_flight: maxInFlight } = limits;
    if (!rpm && !tpm && !maxInFlight) return UNLIMITED;
    try {
      const lease = maxInFlight ? await this.lease(key.id, maxInFlight) : null;
      const estimate = tpm ? Math.min(tpm, Math.max(1, Math.ceil(estimateTokens()))) : 0;
      const states = await this.take(key.id, rpm, tpm, estimate);
      const headers = rateHeaders(rpm, tpm, states);
      const refused = refusal(key.id, rpm, tpm, estimate, states, headers);
      if (refused) {
        if (lease) await this.opts.store.release(`inflight:${key.id}`, lease);
        throw refused;
      }
      return { headers, finish: this.finisher(key.id, tpm, estimate, lease) };
    } catch (err) {
      if (err instanceof AssayError) throw err;
      this.storeFailed(err as Error);
      return UNLIMITED;
    }
  }

  /** Before a management API request: one request from the key's /api rate; returns its headers. */
  async admitApi(key: LimitedKey): Promise<Record<string, string>> {
    const rpm = this.opts.apiRequestsPerMinute;
    if (!rpm) return {};
    let states: BucketState[];
    try {
      states = await this.opts.store.take([{ key: `api:${key.id}`, limit: rpm, cost: 1 }]);
    } catch (err) {
      this.storeFailed(err as Error);
      return {};
    }
    const headers = rateHeaders(rpm, undefined, { requests: states[0] });
    const s = states[0];
    if (s.allowed) return headers;
    throw tooMany(
      'requests',
      `Rate limit reached for key ${key.id} on the management API: ${rpm} requests per minute (limits.api_requests_per_minute). Try again in ${duration(s.retryMs)}.`,
      s.retryMs,
      headers,
    );
  }

  private async lease(keyId: string, max: number): Promise<string> {
    const id = `${INSTANCE}:${++leases}`;
    if (await this.opts.store.acquire(`inflight:${keyId}`, id, max, this.opts.leaseTtlMs)) return id;
    throw new AssayError({
      status: 429,
      type: 'requests',
      code: 'concurrency_limit_exceeded',
      message: `Too many calls in flight for key ${keyId}: at most ${max} at once (max_in_flight). Retry when one of them has ended.`,
      headers: { 'retry-after': '1' },
    });
  }

  private async take(keyId: string, rpm: number | undefined, tpm: number | undefined, estimate: number): Promise<Taken> {
    const takes = [];
    if (rpm) takes.push({ key: `rpm:${keyId}`, limit: rpm, cost: 1 });
    if (tpm) takes.push({ key: `tpm:${keyId}`, limit: tpm, cost: estimate });
    if (takes.length === 0) return {};
    const states = await this.opts.store.take(takes);
    return { requests: rpm ? states[0] : undefined, tokens: tpm ? states[states.length - 1] : undefined };
  }

  private finisher(keyId: string, tpm: number | undefined, estimate: number, lease: string | null): Admission['finish'] {
    let done = false;
    return async (total) => {
      if (done) return;
      done = true;
      const pending: (Promise<void> | void)[] = [];
      if (lease) pending.push(this.opts.store.release(`inflight:${keyId}`, lease));
      if (tpm && total !== null && total !== estimate) pending.push(this.opts.store.adjust(`tpm:${keyId}`, tpm, total - estimate));
      await Promise.all(pending).catch((err: Error) => this.storeFailed(err));
    };
  }

  /** A failing store lets calls through (limits are protection, not the product) and says so, at most every 10 s. */
  private storeFailed(err: Error): void {
    const now = Date.now();
    if (now - this.lastLog < 10_000) return;
    this.lastLog = now;
    this.opts.log?.(`rate limits not enforced: the limit store failed: ${err.message}`);
  }

  close(): Promise<void> {
    return this.opts.store.close();
  }
}

interface Taken {
  requests?: BucketState;
  tokens?: BucketState;
}

function refusal(keyId: string, rpm: number | undefined, tpm: number | undefined, estimate: number, s: Taken, headers: Record<string, string>): AssayError | null {
  if (s.requests && !s.requests.allowed && s.requests.retryMs > 0) {
    const msg = `Rate limit reached for key ${keyId} on requests per minute: limit ${rpm}. Try again in ${duration(s.requests.retryMs)}.`;
    return tooMany('requests', msg, s.requests.retryMs, headers);
  }
  if (s.tokens && !s.tokens.allowed && s.tokens.retryMs > 0) {
    const msg = `Rate limit reached for key ${keyId} on tokens per minute: limit ${tpm}, remaining ${s.tokens.remaining}, requested ${estimate} (prompt estimate + max_tokens). Try again in ${duration(s.tokens.retryMs)}.`;
    return tooMany('tokens', msg, s.tokens.retryMs, headers);
  }
  return null;
}

function tooMany(type: 'requests' | 'tokens', message: string, retryMs: number, headers: Record<string, string>): AssayError {
  return new AssayError({
    status: 429,
    type,
    code: 'rate_limit_exceeded',
    message,
    headers: { ...headers, 'retry-after': String(Math.max(1, Math.ceil(retryMs / 1000))), 'retry-after-ms': String(retryMs) },
  });
}

/** OpenAI's x-ratelimit-* headers for the limits that apply. */
export function rateHeaders(rpm: number | undefined | null, tpm: number | undefined, s: Taken): Record<string, string> {
  const h: Record<string, string> = {};
  if (rpm && s.requests) {
    h['x-ratelimit-limit-requests'] = String(rpm);
    h['x-ratelimit-remaining-requests'] = String(s.requests.remaining);
    h['x-ratelimit-reset-requests'] = duration(s.requests.resetMs);
  }
  if (tpm && s.tokens) {
    h['x-ratelimit-limit-tokens'] = String(tpm);
    h['x-ratelimit-remaining-tokens'] = String(s.tokens.remaining);
    h['x-ratelimit-reset-tokens'] = duration(s.tokens.resetMs);
  }
  return h;
}

/** A duration the way OpenAI writes reset times: "20ms", "1.5s", "6m0s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.round(ms) / 1000;
  if (s < 60) return `${+s.toFixed(3)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${+(s - m * 60).toFixed(3)}s`;
}
