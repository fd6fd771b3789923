/**
 * Fleiss' κ: agreement of many raters on nominal categories when every item has the same number of
 * ratings n ≥ 2 (the raters need not be the same people from item to item). Reference §7, with
 * n_ij = ratings of item i in category j over N items:
 *   p_j = Σᵢ n_ij / (N·n),  P_i = (Σⱼ n_ij² − n) / (n(n−1)),  P̄ = mean P_i,  P̄_e = Σⱼ p_j²
 *   κ = (P̄ − P̄_e) / (1 − P̄_e)
 * Unequal rating counts or missing ratings are an error: use Krippendorff's α for those.
 */
import { interpretKappa, type Interpretation, type KappaBand } from './interpret.js';
import { checkLabel, indexOf, isMissing, orderCategories, type Label, type MaybeLabel } from './labels.js';

export interface FleissResult {
  /** null when P̄_e = 1 (every rating in one category): see `reason`. */
  kappa: number | null;
  /** Mean per-item agreement P̄. */
  pBar: number;
  /** Chance agreement P̄_e = Σ p_j². */
  pBarE: number;
  /** Items N. */
  n: number;
  /** Ratings per item. */
  raters: number;
  categories: Label[];
  /** Share of all ratings in each category, in the order of `categories`. */
  perCategory: { category: Label; p: number }[];
  interpretation: Interpretation<KappaBand>;
  reason: string | null;
}

/** Fleiss' κ over items, each given as the labels its raters chose (same count for every item). */
export function fleissKappa(ratings: readonly (readonly MaybeLabel[])[], opts: { categories?: readonly Label[] } = {}): FleissResult {
  const N = ratings.length;
  if (N === 0) throw new RangeError("Fleiss' κ needs at least one item");
  const raters = ratings[0].length;
  ratings.forEach((item, i) => {
    if (item.length !== raters || item.some(isMissing)) {
      throw new RangeError(
        `Fleiss' κ needs the same number of ratings for every item: item 0 has ${raters}, item ${i} has ` +
          `${item.filter((v) => !isMissing(v)).length} of ${item.length} slots filled. ` +
          "Use Krippendorff's α (krippendorffAlpha) for unequal counts or missing ratings.",
      );
    }
  });
  if (raters < 2) throw new RangeError(`Fleiss' κ needs at least 2 ratings per item, got ${raters}`);
  const labels = ratings.map((item, i) => item.map((v, r) => checkLabel(v, `ratings[${i}][${r}]`)));
  const categories = orderCategories(labels.flat(), opts.categories, null);
  const idx = indexOf(categories);
  const K = categories.length;
  const totals = new Array<number>(K).fill(0);
  let sumP = 0;
  for (const item of labels) {
    const counts = new Array<number>(K).fill(0);
    for (const v of item) counts[idx.get(v) as number]++;
    let sq = 0;
    for (let j = 0; j < K; j++) {
      sq += counts[j] * counts[j];
      totals[j] += counts[j];
    }
    sumP += (sq - raters) / (raters * (raters - 1));
  }
  const pBar = sumP / N;
  const perCategory = categories.map((category, j) => ({ category, p: totals[j] / (N * raters) }));
  // P̄_e from counts: Σ t_j² / (N·n)², exact in integers.
  const all = N * raters;
  const sqTotals = totals.reduce((s, t) => s + t * t, 0);
  const pBarE = sqTotals / (all * all);
  const kappa = sqTotals === all * all ? null : (pBar - pBarE) / (1 - pBarE);
  return {
    kappa,
    pBar,
    pBarE,
    n: N,
    raters,
    categories,
    perCategory,
    interpretation: interpretKappa(kappa),
    reason: kappa === null ? 'every rating is in the same category (P̄_e = 1): κ is undefined' : null,
  };
}
