/**
 * "Not enough items" warnings. The minimum detectable effect (MDE) is the smallest true difference a
 * comparison of n items finds with the given power at significance α (two-sided):
 *   pass rates (two proportions, reference §7):  MDE = (z_{1−α/2} + z_{power}) · √(2p(1−p)/n)
 *   paired scores (mean of the differences):     MDE = (z_{1−α/2} + z_{power}) · sd_d/√n
 * With α = 0.05 and power 0.8 the multiplier is 1.960 + 0.842 = 2.802, the reference's 2.8. The
 * two-proportion form ignores the pairing, so for paired pass/fail it errs on the cautious side.
 */
import { normalQuantile } from './distributions.js';

export interface PowerOptions {
  /** Two-sided significance level (default 0.05). */
  alpha?: number;
  /** Probability of detecting a true effect of size MDE (default 0.8). */
  power?: number;
}

/** A warning that the observed difference is smaller than what n items can tell from noise. */
export interface PowerWarning {
  /** The minimum detectable effect; null when there are no items at all. */
  mde: number | null;
  message: string;
}

function resolve(opts: PowerOptions): { alpha: number; power: number } {
  const alpha = opts.alpha ?? 0.05;
  const power = opts.power ?? 0.8;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
  return { alpha, power };
}

/** z_{1−α/2} + z_{power}: 2.8016 for α = 0.05 and power 0.8. */
export function powerMultiplier(opts: PowerOptions = {}): number {
  const { alpha, power } = resolve(opts);
  return normalQuantile(1 - alpha / 2) + normalQuantile(power);
}

function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
}

/**
 * MDE for a difference of pass rates around rate p with n items per variant:
 * multiplier · √(2p(1−p)/n). p = 0.8, n = 100 → 2.80·√(0.0032) ≈ 0.16. Null when n = 0.
 */
export function minimumDetectableEffect(p: number, n: number, opts: PowerOptions = {}): number | null {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
  checkN(n);
  if (n === 0) return null;
  return powerMultiplier(opts) * Math.sqrt((2 * p * (1 - p)) / n);
}

/** MDE for a mean paired difference of scores with standard deviation sdDiff over n items. Null when n = 0. */
export function minimumDetectableMeanDiff(sdDiff: number, n: number, opts: PowerOptions = {}): number | null {
  if (!(sdDiff >= 0) || !Number.isFinite(sdDiff)) throw new RangeError(`sdDiff must be ≥ 0, got ${sdDiff}`);
  checkN(n);
  if (n === 0) return null;
  return (powerMultiplier(opts) * sdDiff) / Math.sqrt(n);
}

function fmt(x: number): string {
  return x >= 0.01 || x === 0 ? x.toFixed(2) : x.toPrecision(2);
}

/**
 * The warning when |observedDiff| < mde, else null. Message, e.g.:
 * "with 20 items, differences under 0.25 cannot be told from noise (80% power, α = 0.05)".
 */
export function powerWarning(observedDiff: number, mde: number | null, n: number, opts: PowerOptions = {}): PowerWarning | null {
  const { alpha, power } = resolve(opts);
  if (mde === null || n === 0) return { mde: null, message: 'no shared items: the variants cannot be compared' };
  if (!(Math.abs(observedDiff) < mde)) return null;
  const items = n === 1 ? '1 item' : `${n} items`;
  return {
    mde,
    message: `with ${items}, differences under ${fmt(mde)} cannot be told from noise (${Math.round(power * 100)}% power, α = ${alpha})`,
  };
}

/**
 * The warning for a pass-rate difference: observedDiff (B − A) against the MDE at rate p (use the
 * pooled pass rate of both variants) with n shared items. Null when the difference is large enough.
 */
export function underpowered(observedDiff: number, p: number, n: number, opts: PowerOptions = {}): PowerWarning | null {
  return powerWarning(observedDiff, minimumDetectableEffect(p, n, opts), n, opts);
}
