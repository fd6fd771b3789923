/**
 * Training-data exports: TRL (preference explicit/implicit, unpaired, prompt-completion; standard
 * and conversational) and OpenAI (SFT, DPO) JSONL, validated, deduplicated, scrubbed and split,
 * with a provenance sidecar. See docs/exports.md.
 */
export * from './types.js';
export { exportRows, exportFiles, splitOf, OPENAI_MIN_EXAMPLES } from './export.js';
export { formatSchema, validateRow } from './schemas.js';
export { RowError } from './messages.js';
export { contentId, mergeProvenance, preferencesFromPairwise, preferencesFromRatings, sftFromCorrections, unpairedFromPreferences } from './sources.js';
export type { Correction, PairwiseJudgement, RatedPrompt } from './sources.js';
