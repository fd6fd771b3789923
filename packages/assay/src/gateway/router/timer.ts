/**
 * An attempt's abort signal: fires when the client goes away or when the attempt's deadline passes.
 * A deadline abort carries an UpstreamError(failure 'timeout') as the signal's reason, so a provider
 * that rethrows `signal.reason` reports the timeout precisely.
 */
import { UpstreamError } from '../../errors.js';

export class AttemptTimer {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly target: string,
    parent: AbortSignal,
  ) {
    this.signal = AbortSignal.any([parent, this.controller.signal]);
  }

  /** (Re)arm the deadline; `what` completes the message "<target> <what> within N ms". */
  arm(ms: number, what: string, failure: 'timeout' | 'stream' = 'timeout'): void {
    this.clear();
    if (ms <= 0) return;
    this.timer = setTimeout(() => {
      this.controller.abort(
        new UpstreamError({
          status: 504,
          type: 'timeout_error',
          code: 'upstream_timeout',
          message: `${this.target} ${what} within ${ms} ms`,
          failure,
          target: this.target,
        }),
      );
    }, ms);
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** True when this timer (not the client) aborted the attempt. */
  get fired(): boolean {
    return this.controller.signal.aborted;
  }
}
