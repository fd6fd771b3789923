/** Scorers for evaluations: promptfoo-compatible assertions (docs/evals-scorers.md). */
export {
  assertionSpecSchema,
  SpecError,
  type AssertionSetSpec,
  type AssertionSpec,
  type CompiledAssertion,
  type GradeFn,
  type GraderRequest,
  type GradingMetadata,
  type GradingResult,
  type ScoreContext,
  type ScoreOptions,
  type ScorerDeps,
} from './types.js';
export { aggregate, compileAssertion, MODEL_GRADED_TYPES, SUPPORTED_TYPES } from './registry.js';
export { compileTest, gradeAll, type CompiledTest, type TestGrade, type TestOptions } from './grade.js';
export { graderFromChat } from './grader.js';
export { hasTemplate, renderTemplate, renderValue, TemplateError, type RenderOptions } from './template.js';
export { compileSchema, formatIssues, SchemaError, type SchemaIssue, type SchemaValidator } from './json-schema.js';
export { levenshtein, rougeL, rougeN, sentenceBleu, tokenize } from './text-metrics.js';
