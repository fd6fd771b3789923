/**
 * Multiple comparisons: when one experiment compares several metrics (or several variant pairs),
 * some p-values fall under 0.05 by chance. Benjamini–Hochberg keeps the expected share of false
 * discoveries among the rejected hypotheses at or below q (reference §7).
 */

export interface BenjaminiHochbergResult {
  /** Per input p-value, in input order: rejected (a discovery) at level q. */
  rejected: boolean[];
  /** BH-adjusted p-values in input order: rejected[i] ⇔ adjusted[i] ≤ q. */
  adjusted: number[];
}

/**
 * Benjamini–Hochberg step-up at level q: sort p₍₁₎ ≤ … ≤ p₍ₘ₎, find the largest i with
 * p₍ᵢ₎ ≤ (i/m)·q and reject hypotheses 1..i. Adjusted p₍ᵢ₎ = min_{j ≥ i} min(1, m·p₍ⱼ₎/j).
 */
export function benjaminiHochberg(pvalues: readonly number[], q = 0.05): BenjaminiHochbergResult {
  if (!(q > 0 && q <= 1)) throw new RangeError(`q must be in (0, 1], got ${q}`);
  for (const p of pvalues) if (!(p >= 0 && p <= 1)) throw new RangeError(`p-values must be in [0, 1], got ${p}`);
  const m = pvalues.length;
  const order = pvalues.map((_, i) => i).sort((x, y) => pvalues[x] - pvalues[y] || x - y);
  let cutoff = 0; // number of rejected hypotheses (largest rank i passing its threshold)
  for (let i = 1; i <= m; i++) if (pvalues[order[i - 1]] <= (i / m) * q) cutoff = i;
  const rejected = new Array<boolean>(m).fill(false);
  const adjusted = new Array<number>(m).fill(1);
  let running = 1;
  for (let i = m; i >= 1; i--) {
    const idx = order[i - 1];
    running = Math.min(running, (m * pvalues[idx]) / i);
    adjusted[idx] = running;
    rejected[idx] = i <= cutoff;
  }
  return { rejected, adjusted };
}
