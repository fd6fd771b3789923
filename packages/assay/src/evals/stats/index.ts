/**
 * Statistics of experiments: pure functions, no I/O. Pass rates (Wilson), mean scores (bootstrap),
 * paired comparisons (McNemar, paired bootstrap) with effect sizes and a too-few-items warning,
 * Benjamini–Hochberg across metrics, pass@k / pass^k / flakiness over repeats, cost and latency
 * summaries, and the quality/cost frontier. See docs/evals-statistics.md.
 */
export { rng, seedOf, DEFAULT_SEED } from './random.js';
export { logGamma, regularizedGammaP, regularizedGammaQ, erfc, normalCdf, normalQuantile, chiSquareSf } from './distributions.js';
export { mean, sampleSd, percentile, percentileSorted, summarize, type Summary } from './descriptive.js';
export { wilson, mcnemar, mcnemarCounts, MCNEMAR_EXACT_BELOW, type ProportionInterval, type PassPair, type McNemarResult } from './proportions.js';
export { bootstrapMean, pairedBootstrap, type BootstrapOptions, type MeanInterval, type PairedBootstrapResult } from './bootstrap.js';
export { benjaminiHochberg, type BenjaminiHochbergResult } from './multiple.js';
export {
  minimumDetectableEffect,
  minimumDetectableMeanDiff,
  powerMultiplier,
  powerWarning,
  underpowered,
  type PowerOptions,
  type PowerWarning,
} from './power.js';
export { passAtK, passHatK, aggregatePassK, flaky, type RepeatCounts, type PassKSummary } from './passk.js';
export { paretoFrontier, type FrontierPoint } from './frontier.js';
