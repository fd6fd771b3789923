/**
 * Per-target circuit breaker. After `failures` consecutive retryable failures a target is cooled
 * down for `cooldownMs`; then one probe call is let through (half-open): success closes it, failure
 * opens it again.
 */
export interface TargetHealth {
  target: string;
  state: 'closed' | 'open' | 'half_open';
  consecutive_failures: number;
  last_error: string | null;
  last_failure_at: number | null;
  cooldown_until: number | null;
  successes: number;
  failures: number;
}

interface Entry {
  consecutive: number;
  openUntil: number;
  probing: boolean;
  lastError: string | null;
  lastFailureAt: number | null;
  successes: number;
  failures: number;
}

export class CircuitBreaker {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private entry(target: string): Entry {
    let e = this.entries.get(target);
    if (!e) {
      e = { consecutive: 0, openUntil: 0, probing: false, lastError: null, lastFailureAt: null, successes: 0, failures: 0 };
      this.entries.set(target, e);
    }
    return e;
  }

  /** True when the target may be called now. Claims the half-open probe slot when cooldown has passed. */
  allow(target: string): boolean {
    const e = this.entries.get(target);
    if (!e || e.consecutive < this.failures) return true;
    if (this.now() < e.openUntil) return false;
    if (e.probing) return false;
    e.probing = true;
    return true;
  }

  /** True when the target is cooling down (without claiming a probe). */
  isOpen(target: string): boolean {
    const e = this.entries.get(target);
    return !!e && e.consecutive >= this.failures && (this.now() < e.openUntil || e.probing);
  }

  success(target: string): void {
    const e = this.entry(target);
    e.consecutive = 0;
    e.openUntil = 0;
    e.probing = false;
    e.successes++;
  }

  failure(target: string, error: string): void {
    const e = this.entry(target);
    e.consecutive++;
    e.failures++;
    e.probing = false;
    e.lastError = error;
    e.lastFailureAt = this.now();
    if (e.consecutive >= this.failures) e.openUntil = this.now() + this.cooldownMs;
  }

  /** Releases a probe slot that ended without a verdict (e.g. the client went away). */
  release(target: string): void {
    const e = this.entries.get(target);
    if (e) e.probing = false;
  }

  health(target: string): TargetHealth {
    const e = this.entries.get(target);
    const now = this.now();
    if (!e) {
      return { target, state: 'closed', consecutive_failures: 0, last_error: null, last_failure_at: null, cooldown_until: null, successes: 0, failures: 0 };
    }
    const open = e.consecutive >= this.failures;
    return {
      target,
      state: !open ? 'closed' : now < e.openUntil ? 'open' : 'half_open',
      consecutive_failures: e.consecutive,
      last_error: e.lastError,
      last_failure_at: e.lastFailureAt,
      cooldown_until: open ? e.openUntil : null,
      successes: e.successes,
      failures: e.failures,
    };
  }

  all(): TargetHealth[] {
    return [...this.entries.keys()].sort().map((t) => this.health(t));
  }
}
