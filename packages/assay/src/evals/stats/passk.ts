/**
 * Repeated runs of the same item: pass@k, the chance that at least one of k samples passes (the
 * unbiased estimator of Chen et al. 2021, arXiv:2107.03374), pass^k, the chance that all k pass
 * (τ-bench, Yao et al. 2024, arXiv:2406.12045), and flakiness (an item that both passed and failed).
 * Each item ran n times and passed c times.
 */

function check(n: number, c: number, k: number): void {
  for (const [name, v] of [['n', n], ['c', c], ['k', k]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  if (c > n) throw new RangeError(`c (${c}) cannot exceed n (${n})`);
  if (k < 1 || k > n) throw new RangeError(`k must be in 1..n (n = ${n}), got ${k}`);
}

/**
 * pass@k = 1 − C(n−c, k)/C(n, k), computed as 1 − Π_{i=n−c+1}^{n} (1 − k/i) (no large binomials);
 * 1 when n − c < k. Requires 1 ≤ k ≤ n.
 */
export function passAtK(n: number, c: number, k: number): number {
  check(n, c, k);
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** pass^k = C(c, k)/C(n, k) = Π_{i=0}^{k−1} (c − i)/(n − i); 0 when c < k. Requires 1 ≤ k ≤ n. */
export function passHatK(n: number, c: number, k: number): number {
  check(n, c, k);
  if (c < k) return 0;
  let prod = 1;
  for (let i = 0; i < k; i++) prod *= (c - i) / (n - i);
  return prod;
}

/** An item that passed sometimes and failed sometimes: 0 < c < n. */
export function flaky(n: number, c: number): boolean {
  return c > 0 && c < n;
}

/** One item's repeats: n runs, c passes. */
export interface RepeatCounts {
  n: number;
  c: number;
}

export interface PassKSummary {
  k: number;
  /** Mean pass@1 (= mean c/n) over the counted items. */
  pass_at_1: number | null;
  /** Mean pass@k over the counted items; null when none. */
  pass_at_k: number | null;
  /** Mean pass^k over the counted items; null when none. */
  pass_hat_k: number | null;
  /** Items counted (those with n ≥ k). */
  items: number;
  /** Items left out because they have fewer than k runs. */
  skipped: number;
  /** Counted items that are flaky (0 < c < n). */
  flaky: number;
}

/** Means of pass@1, pass@k and pass^k over items; items with fewer than k runs are skipped (and counted). */
export function aggregatePassK(items: readonly RepeatCounts[], k: number): PassKSummary {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  let p1 = 0;
  let pk = 0;
  let phk = 0;
  let counted = 0;
  let skipped = 0;
  let flakyCount = 0;
  for (const { n, c } of items) {
    if (n < k) {
      skipped++;
      continue;
    }
    p1 += passAtK(n, c, 1);
    pk += passAtK(n, c, k);
    phk += passHatK(n, c, k);
    if (flaky(n, c)) flakyCount++;
    counted++;
  }
  const avg = (s: number): number | null => (counted === 0 ? null : s / counted);
  return { k, pass_at_1: avg(p1), pass_at_k: avg(pk), pass_hat_k: avg(phk), items: counted, skipped, flaky: flakyCount };
}
