/**
 * Cohen's κ for two raters (or a judge against a human), unweighted or weighted (linear or
 * quadratic disagreement weights for ordered categories), with the confusion matrix it comes from.
 * Reference §7:
 *   p_o = Σₖ n_kk / N,  p_e = Σₖ (n_k·/N)(n_·k/N),  κ = (p_o − p_e)/(1 − p_e)
 *   κ_w = 1 − Σᵢⱼ wᵢⱼ oᵢⱼ / Σᵢⱼ wᵢⱼ eᵢⱼ,  wᵢⱼ = |i−j| (linear) or (i−j)² (quadratic)
 * Sums are kept in integer counts until the last division, so textbook tables give textbook values.
 */
import { interpretKappa, type Interpretation, type KappaBand } from './interpret.js';
import { checkLabel, indexOf, isMissing, orderCategories, type Label, type MaybeLabel } from './labels.js';

export type KappaWeights = 'linear' | 'quadratic';

export interface CohenOptions {
  /** Disagreement weights for ordered categories; omit for plain (nominal) κ. */
  weights?: KappaWeights;
  /** Order of the categories (rows and columns of the matrix; positions for the weights). */
  categories?: readonly Label[];
}

export interface RatingPair {
  a: MaybeLabel;
  b: MaybeLabel;
}

export interface CohenResult {
  /** null when it is undefined (no items, or chance agreement is already 1): see `reason`. */
  kappa: number | null;
  /**
   * Observed agreement p_o. Weighted: 1 − Σ w·o / (w_max·N), the credit-weighted agreement, so
   * that κ_w = (p_o − p_e)/(1 − p_e) still holds. null when n = 0.
   */
  observed: number | null;
  /** Chance agreement p_e from the marginals (weighted like `observed`). null when n = 0. */
  expected: number | null;
  /** Items rated by both. */
  n: number;
  /** Items dropped because one of the two ratings is missing. */
  dropped: number;
  weights: 'none' | KappaWeights;
  categories: Label[];
  /** Confusion counts: matrix[i][j] = items rater a put in categories[i] and rater b in categories[j]. */
  matrix: number[][];
  interpretation: Interpretation<KappaBand>;
  /** Why kappa is null; null otherwise. */
  reason: string | null;
}

function weight(i: number, j: number, w: KappaWeights): number {
  const d = Math.abs(i - j);
  return w === 'linear' ? d : d * d;
}

/** Cohen's κ over pairs of ratings of the same items; pairs with a missing rating are dropped. */
export function cohenKappa(pairs: readonly RatingPair[], opts: CohenOptions = {}): CohenResult {
  const weights = opts.weights;
  if (weights !== undefined && weights !== 'linear' && weights !== 'quadratic') {
    throw new RangeError(`weights must be 'linear' or 'quadratic', got ${String(weights)}`);
  }
  const kept: [Label, Label][] = [];
  let dropped = 0;
  pairs.forEach((p, i) => {
    if (isMissing(p.a) || isMissing(p.b)) {
      dropped++;
      return;
    }
    kept.push([checkLabel(p.a, `pairs[${i}].a`), checkLabel(p.b, `pairs[${i}].b`)]);
  });
  const seen = kept.flat();
  const categories = orderCategories(seen, opts.categories, weights ? 'weighted κ' : null);
  const idx = indexOf(categories);
  const K = categories.length;
  const matrix = categories.map(() => new Array<number>(K).fill(0));
  for (const [a, b] of kept) matrix[idx.get(a) as number][idx.get(b) as number]++;
  const n = kept.length;
  const base = { n, dropped, weights: weights ?? ('none' as const), categories, matrix };
  if (n === 0) {
    return { kappa: null, observed: null, expected: null, ...base, interpretation: interpretKappa(null), reason: 'no item was rated by both raters' };
  }
  const rows = matrix.map((r) => r.reduce((s, x) => s + x, 0));
  const cols = categories.map((_, j) => matrix.reduce((s, r) => s + r[j], 0));

  let observed: number;
  let expected: number;
  let kappa: number | null;
  if (weights === undefined) {
    let agree = 0;
    let chance = 0; // Σₖ n_k· n_·k, in counts (p_e·N²)
    for (let k = 0; k < K; k++) {
      agree += matrix[k][k];
      chance += rows[k] * cols[k];
    }
    observed = agree / n;
    expected = chance / (n * n);
    kappa = chance === n * n ? null : (n * agree - chance) / (n * n - chance);
  } else {
    let wo = 0; // Σ w·o in counts
    let we = 0; // Σ w·n_i·n_j in counts (Σ w·e · N)
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) {
        const w = weight(i, j, weights);
        wo += w * matrix[i][j];
        we += w * rows[i] * cols[j];
      }
    }
    const wmax = weight(0, K - 1, weights);
    observed = wmax === 0 ? 1 : 1 - wo / (wmax * n);
    expected = wmax === 0 ? 1 : 1 - we / (wmax * n * n);
    kappa = we === 0 ? null : 1 - (n * wo) / we;
  }
  return {
    kappa,
    observed,
    expected,
    ...base,
    interpretation: interpretKappa(kappa, weights ? 'κ_w' : 'κ'),
    reason: kappa === null ? 'chance agreement is 1 (both raters used one and the same category throughout): κ is undefined' : null,
  };
}
