/**
 * Can a model judge be trusted? Agreement of a scorer's verdicts with the human label of the same
 * items (the adjudicated or majority label), and the position bias of pairwise judges (the share
 * of pairs whose preferred answer changes when the two answers swap places). Reference §7.
 */
import { cohenKappa, type CohenResult } from './cohen.js';
import { ALPHA_RELIABLE, ALPHA_TENTATIVE } from './interpret.js';
import { krippendorffAlpha, type KrippendorffResult } from './krippendorff.js';
import { checkLabel, checkLevel, isMissing, type Label, type Level, type MaybeLabel } from './labels.js';
import { defaultWeights } from './report.js';

export interface ItemLabel {
  item: string;
  value: MaybeLabel;
}

export interface JudgeThresholds {
  /** α at or above which the judge is trusted (default 0.800, Krippendorff's "reliable"). */
  trusted: number;
  /** α at or above which it is tentative (default 0.667). */
  tentative: number;
  /** Fewer shared items than this and the judge is flagged whatever α says (default 10). */
  minItems: number;
}

export interface JudgeOptions {
  level: Level;
  categories?: readonly Label[];
  thresholds?: Partial<JudgeThresholds>;
}

export type JudgeVerdict = 'trusted' | 'tentative' | 'flagged';

export interface JudgeAgreement {
  level: Level;
  /** Items with both a human and a judge value. */
  n: number;
  /** Items with a human value the judge did not score, and the reverse. */
  humanOnly: number;
  judgeOnly: number;
  /** Exact-match rate on the shared items; null when n = 0. */
  accuracy: number | null;
  /** Cohen's κ (weighted: none nominal, linear ordinal, quadratic interval/ratio). */
  kappa: number | null;
  /** Krippendorff's α at `level`, the basis of the verdict. */
  alpha: number | null;
  /** Rows human, columns judge. */
  confusion: { categories: Label[]; matrix: number[][] };
  verdict: JudgeVerdict;
  thresholds: JudgeThresholds;
  /** Why the verdict is what it is, in one sentence. */
  reason: string;
  details: { cohen: CohenResult; krippendorff: KrippendorffResult };
}

function byItem(list: readonly ItemLabel[], what: string): Map<string, Label> {
  const m = new Map<string, Label>();
  list.forEach((x, i) => {
    if (isMissing(x.value)) return;
    const key = String(x.item);
    if (m.has(key)) throw new RangeError(`${what}: item ${JSON.stringify(key)} appears twice; give one label per item`);
    m.set(key, checkLabel(x.value, `${what}[${i}].value`));
  });
  return m;
}

/** Agreement of a judge with the human labels of the same items, and a verdict on trusting it. */
export function judgeAgreement(human: readonly ItemLabel[], judge: readonly ItemLabel[], opts: JudgeOptions): JudgeAgreement {
  const level = checkLevel(opts.level);
  const thresholds: JudgeThresholds = { trusted: ALPHA_RELIABLE, tentative: ALPHA_TENTATIVE, minItems: 10, ...opts.thresholds };
  if (!(thresholds.tentative <= thresholds.trusted)) throw new RangeError('thresholds: tentative must not exceed trusted');
  const h = byItem(human, 'human');
  const j = byItem(judge, 'judge');
  const pairs: { a: Label; b: Label }[] = [];
  for (const [item, a] of h) {
    const b = j.get(item);
    if (b !== undefined) pairs.push({ a, b });
  }
  const n = pairs.length;
  const weights = defaultWeights(level);
  const cohen = cohenKappa(pairs, { weights: weights === 'none' ? undefined : weights, categories: opts.categories });
  const kripp = krippendorffAlpha(
    pairs.map((p) => [p.a, p.b]),
    level,
    { categories: opts.categories },
  );
  const exact = pairs.filter((p) => p.a === p.b).length;
  const alpha = kripp.alpha;
  let verdict: JudgeVerdict;
  let reason: string;
  if (n < thresholds.minItems) {
    verdict = 'flagged';
    reason = `only ${n} items scored by both (need ${thresholds.minItems}): too few to trust the judge`;
  } else if (alpha === null) {
    verdict = 'flagged';
    reason = `α is undefined (${kripp.reason}): agreement cannot be established`;
  } else if (alpha >= thresholds.trusted) {
    verdict = 'trusted';
    reason = `α = ${alpha.toFixed(3)} ≥ ${thresholds.trusted}`;
  } else if (alpha >= thresholds.tentative) {
    verdict = 'tentative';
    reason = `${thresholds.tentative} ≤ α = ${alpha.toFixed(3)} < ${thresholds.trusted}: use with care, spot-check its verdicts`;
  } else {
    verdict = 'flagged';
    reason = `α = ${alpha.toFixed(3)} < ${thresholds.tentative}: the judge does not agree with humans well enough`;
  }
  return {
    level,
    n,
    humanOnly: h.size - n,
    judgeOnly: [...j.keys()].filter((k) => !h.has(k)).length,
    accuracy: n === 0 ? null : exact / n,
    kappa: cohen.kappa,
    alpha,
    confusion: { categories: cohen.categories, matrix: cohen.matrix },
    verdict,
    thresholds,
    reason,
    details: { cohen, krippendorff: kripp },
  };
}

export type PairVerdict = 'A' | 'B' | 'tie';

export interface PositionPair {
  item?: string;
  /** Verdict with the first answer shown in position A. */
  verdictAB: PairVerdict;
  /** Verdict with the two answers swapped (the first answer now in position B). */
  verdictBA: PairVerdict;
}

export interface PositionBiasResult {
  /** Share of pairs whose preferred answer changed when swapped; null when n = 0. */
  flipRate: number | null;
  n: number;
  flips: number;
  /** Flips where the judge picked whichever answer was shown first both times. */
  favorsFirst: number;
  /** Flips where it picked whichever answer was shown second both times. */
  favorsSecond: number;
  /** Flips between a preference and a tie. */
  tieFlips: number;
}

const SWAP: Record<PairVerdict, PairVerdict> = { A: 'B', B: 'A', tie: 'tie' };

/**
 * Position bias of a pairwise judge. Swapping the answers maps a consistent verdict A to B, B to A
 * and tie to tie; anything else is a flip: the preferred answer changed with the order alone.
 */
export function positionBias(pairs: readonly PositionPair[]): PositionBiasResult {
  let flips = 0;
  let favorsFirst = 0;
  let favorsSecond = 0;
  let tieFlips = 0;
  pairs.forEach((p, i) => {
    for (const v of [p.verdictAB, p.verdictBA]) {
      if (!(v in SWAP)) throw new RangeError(`pairs[${i}]: a verdict must be 'A', 'B' or 'tie', got ${JSON.stringify(v)}`);
    }
    if (SWAP[p.verdictBA] === p.verdictAB) return;
    flips++;
    if (p.verdictAB === 'A' && p.verdictBA === 'A') favorsFirst++;
    else if (p.verdictAB === 'B' && p.verdictBA === 'B') favorsSecond++;
    else tieFlips++;
  });
  const n = pairs.length;
  return { flipRate: n === 0 ? null : flips / n, n, flips, favorsFirst, favorsSecond, tieFlips };
}
