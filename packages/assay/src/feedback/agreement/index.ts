/**
 * Inter-annotator agreement: pure functions, no I/O. Cohen's κ (two raters, optionally weighted),
 * Fleiss' κ (many raters, equal counts), Krippendorff's α (any raters, missing data, nominal to
 * ratio scales), the per-question report, judge-vs-human agreement with a trust verdict, and the
 * position bias of pairwise judges. Outputs are JSON-safe: null where a value is undefined, never
 * NaN or Infinity. See docs/agreement.md.
 */
export type { Label, MaybeLabel, Level } from './labels.js';
export { LEVELS } from './labels.js';
export {
  interpretKappa,
  interpretAlpha,
  ALPHA_RELIABLE,
  ALPHA_TENTATIVE,
  type Interpretation,
  type KappaBand,
  type AlphaBand,
} from './interpret.js';
export { cohenKappa, type CohenOptions, type CohenResult, type KappaWeights, type RatingPair } from './cohen.js';
export { fleissKappa, type FleissResult } from './fleiss.js';
export { krippendorffAlpha, type KrippendorffOptions, type KrippendorffResult } from './krippendorff.js';
export {
  agreementReport,
  defaultWeights,
  type Annotation,
  type AgreementOptions,
  type AgreementReport,
  type PairAgreement,
} from './report.js';
export {
  judgeAgreement,
  positionBias,
  type ItemLabel,
  type JudgeOptions,
  type JudgeThresholds,
  type JudgeVerdict,
  type JudgeAgreement,
  type PairVerdict,
  type PositionPair,
  type PositionBiasResult,
} from './judge.js';
