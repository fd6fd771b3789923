/**
 * A small in-memory token bucket per key (here: feedback key + client IP): `perMinute` tokens,
 * refilled continuously. Per instance; enough to stop one browser tab or script from flooding.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly maxKeys = 50_000,
  ) {}

  /** Take one token: null when allowed, else the milliseconds until the next token. */
  take(key: string, now = Date.now()): number | null {
    const rate = this.perMinute / 60_000;
    let b = this.buckets.get(key);
    if (b) {
      b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * rate);
      b.at = now;
    } else {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      b = { tokens: this.perMinute, at: now };
      this.buckets.set(key, b);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return null;
    }
    return Math.ceil((1 - b.tokens) / rate);
  }

  /** Drop full buckets (they behave like new ones); if still too many, start over. */
  private prune(now: number): void {
    const rate = this.perMinute / 60_000;
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * rate >= this.perMinute) this.buckets.delete(k);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
