/**
 * Krippendorff's α: agreement of any number of raters, with missing ratings, on a nominal, ordinal,
 * interval or ratio scale. Reference §7. The coincidence matrix: in each unit u with m_u ≥ 2 values,
 * every ordered pair of values (c, k) from different raters adds 1/(m_u − 1) to o_ck (units with
 * fewer than 2 values are dropped). With n_c = Σₖ o_ck and n = Σ_c n_c:
 *   α = 1 − D_o/D_e,  D_o = (1/n) Σ_c Σ_k o_ck δ²(c,k),  D_e = 1/(n(n−1)) Σ_c Σ_k n_c n_k δ²(c,k)
 *   δ² nominal: [c ≠ k] · interval: (c − k)² · ratio: ((c − k)/(c + k))²
 *   δ² ordinal: (Σ_{g=c..k} n_g − (n_c + n_k)/2)² over the ranks of the sorted categories
 */
import { interpretAlpha, type AlphaBand, type Interpretation } from './interpret.js';
import { checkLabel, checkLevel, indexOf, isMissing, orderCategories, type Label, type Level, type MaybeLabel } from './labels.js';

export interface KrippendorffOptions {
  /** Order of the categories for the ordinal level when the labels are text. */
  categories?: readonly Label[];
}

export interface KrippendorffResult {
  /** null with fewer than 2 pairable values or a single distinct value: see `reason`. */
  alpha: number | null;
  /** Observed disagreement D_o (null when alpha cannot be computed for lack of values). */
  Do: number | null;
  /** Expected disagreement D_e. */
  De: number | null;
  /** Pairable values: the values in units with at least 2 of them. */
  n: number;
  /** Units with at least 2 values (the ones that count). */
  units: number;
  /** Units dropped for having fewer than 2 values. */
  unitsDropped: number;
  level: Level;
  /** The distinct values among the pairable ones, in order (ordinal: the ranks). */
  categories: Label[];
  interpretation: Interpretation<AlphaBand>;
  reason: string | null;
}

/** δ²(c, k) for every pair of category indices. `nc` is the marginal count of each category. */
function deltas(categories: readonly Label[], nc: readonly number[], level: Level): number[][] {
  const K = categories.length;
  const d = categories.map(() => new Array<number>(K).fill(0));
  for (let c = 0; c < K; c++) {
    for (let k = c + 1; k < K; k++) {
      let v: number;
      if (level === 'nominal') v = 1;
      else if (level === 'ordinal') {
        let s = 0;
        for (let g = c; g <= k; g++) s += nc[g];
        v = (s - (nc[c] + nc[k]) / 2) ** 2;
      } else {
        const x = categories[c] as number;
        const y = categories[k] as number;
        v = level === 'interval' ? (x - y) ** 2 : x + y === 0 ? 0 : ((x - y) / (x + y)) ** 2;
      }
      d[c][k] = v;
      d[k][c] = v;
    }
  }
  return d;
}

/**
 * Krippendorff's α over units (items): each unit is one slot per rater, null or undefined where
 * that rater gave no value. Interval and ratio need numbers (ratio: non-negative ones); ordinal
 * needs numbers, booleans or `categories` to give the order.
 */
export function krippendorffAlpha(
  units: readonly (readonly MaybeLabel[])[],
  level: Level = 'nominal',
  opts: KrippendorffOptions = {},
): KrippendorffResult {
  checkLevel(level);
  const pairable: Label[][] = [];
  let unitsDropped = 0;
  units.forEach((unit, u) => {
    const values: Label[] = [];
    unit.forEach((v, r) => {
      if (isMissing(v)) return;
      const l = checkLabel(v, `units[${u}][${r}]`);
      if ((level === 'interval' || level === 'ratio') && typeof l !== 'number') {
        throw new TypeError(`units[${u}][${r}]: the ${level} level needs numbers, got ${JSON.stringify(l)}`);
      }
      if (level === 'ratio' && (l as number) < 0) throw new RangeError(`units[${u}][${r}]: the ratio level needs values ≥ 0, got ${l}`);
      values.push(l);
    });
    if (values.length >= 2) pairable.push(values);
    else unitsDropped++;
  });
  const all = pairable.flat();
  const categories = orderCategories(all, opts.categories, level === 'ordinal' ? 'the ordinal level' : null);
  // Keep only categories with values: empty ones add nothing to any sum.
  const present = new Set(all);
  const cats = categories.filter((c) => present.has(c));
  const idx = indexOf(cats);
  const K = cats.length;
  const o = cats.map(() => new Array<number>(K).fill(0));
  for (const values of pairable) {
    const counts = new Map<number, number>();
    for (const v of values) {
      const i = idx.get(v) as number;
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const m = values.length;
    for (const [c, nc] of counts) {
      for (const [k, nk] of counts) o[c][k] += (nc * (c === k ? nk - 1 : nk)) / (m - 1);
    }
  }
  const n = all.length;
  const base = { n, units: pairable.length, unitsDropped, level, categories: cats };
  if (n < 2) {
    return { alpha: null, Do: null, De: null, ...base, interpretation: interpretAlpha(null), reason: 'fewer than 2 pairable values' };
  }
  // n_c from the unit counts directly (Σₖ o_ck equals it, up to rounding).
  const nc = new Array<number>(K).fill(0);
  for (const v of all) nc[idx.get(v) as number]++;
  const d = deltas(cats, nc, level);
  let sumO = 0;
  let sumE = 0;
  for (let c = 0; c < K; c++) {
    for (let k = 0; k < K; k++) {
      sumO += o[c][k] * d[c][k];
      sumE += nc[c] * nc[k] * d[c][k];
    }
  }
  const Do = sumO / n;
  const De = sumE / (n * (n - 1));
  if (De === 0) {
    return {
      alpha: null,
      Do,
      De,
      ...base,
      interpretation: interpretAlpha(null),
      reason: 'every pairable value is the same (no expected disagreement): α is undefined',
    };
  }
  const alpha = 1 - Do / De;
  return { alpha, Do, De, ...base, interpretation: interpretAlpha(alpha), reason: null };
}
