/**
 * promptfoo's `type:value` assertion syntax of CSV test files (`__expected`, `__expected1..N`,
 * `__assert` columns): `contains:Paris`, `not-icontains:sorry`, `similar(0.8):a greeting`,
 * `llm-rubric:is polite`, the legacy `fn:`/`eval:`/`javascript:`, `grade:` and `python:`
 * prefixes and `file://` code references. Read the way promptfoo reads it (src/csv.ts there),
 * including its default thresholds; anything else is an `equals` assertion.
 */
import type { Assertion } from './types.js';

/** promptfoo's built-in assertion types (BaseAssertionTypesSchema), any of them also with `not-`. */
export const ASSERTION_TYPES: readonly string[] = [
  'answer-relevance', 'assert-set', 'bleu', 'classifier', 'contains', 'contains-all', 'contains-any', 'contains-html',
  'contains-json', 'contains-sql', 'contains-xml', 'context-faithfulness', 'context-recall', 'context-relevance',
  'conversation-relevance', 'cost', 'equals', 'factuality', 'finish-reason', 'g-eval', 'gleu', 'guardrails', 'human',
  'icontains', 'icontains-all', 'icontains-any', 'is-html', 'is-json', 'is-refusal', 'is-sql', 'is-valid-function-call',
  'is-valid-openai-function-call', 'is-valid-openai-tools-call', 'is-xml', 'javascript', 'latency', 'levenshtein',
  'llm-rubric', 'max-score', 'meteor', 'model-graded-closedqa', 'model-graded-factuality', 'moderation', 'perplexity',
  'perplexity-score', 'pi', 'python', 'regex', 'rouge-l', 'rouge-n', 'rouge-s', 'ruby', 'search-rubric', 'select-best',
  'similar', 'similar:cosine', 'similar:dot', 'similar:euclidean', 'skill-used', 'starts-with', 'tool-call-f1',
  'trace-error-spans', 'trace-span-count', 'trace-span-duration', 'trajectory:goal-success', 'trajectory:step-count',
  'trajectory:tool-args-match', 'trajectory:tool-sequence', 'trajectory:tool-used', 'webhook', 'word-count',
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Longest first, so `similar:cosine(0.9):x` is not read as `similar` with the value `cosine(0.9):x`.
const TYPES = [...ASSERTION_TYPES].sort((a, b) => b.length - a.length).map(escape).join('|');
const SYNTAX = new RegExp(`^(not-)?(${TYPES})(?:\\((\\d+(?:\\.\\d+)?)\\))?(?::([\\s\\S]*))?$`);

const LIST_TYPES = new Set(['contains-all', 'contains-any', 'icontains-all', 'icontains-any']);
const THRESHOLD_TYPES = new Set([
  'answer-relevance', 'classifier', 'context-faithfulness', 'context-recall', 'context-relevance', 'cost', 'latency',
  'levenshtein', 'perplexity-score', 'perplexity', 'rouge-n', 'similar', 'starts-with',
]);

const isCodeFile = (s: string, exts: string[]) => s.startsWith('file://') && exts.some((e) => s.endsWith(e) || s.includes(`${e}:`));

/** Whether `text` is written in the assertion syntax (a known type or legacy prefix), not a plain value. */
export function isAssertionSyntax(text: string): boolean {
  return (
    /^(javascript|fn|eval|grade|llm-rubric|python):/.test(text) ||
    isCodeFile(text, ['.py', '.js', '.ts']) ||
    SYNTAX.test(text)
  );
}

/** One assertion from its `type:value` text; text without a known type is `{type: 'equals', value: text}`. */
export function assertionFromString(text: string): Assertion {
  for (const p of ['javascript:', 'fn:', 'eval:']) {
    if (text.startsWith(p)) return { type: 'javascript', value: text.slice(p.length).trim() };
  }
  if (text.startsWith('grade:')) return { type: 'llm-rubric', value: text.slice('grade:'.length) };
  if (text.startsWith('llm-rubric:')) return { type: 'llm-rubric', value: text.slice('llm-rubric:'.length) };
  if (text.startsWith('python:')) return { type: 'python', value: text.slice('python:'.length).trim() };
  if (isCodeFile(text, ['.py'])) return { type: 'python', value: text.slice('file://'.length).trim() };
  if (isCodeFile(text, ['.js', '.ts'])) return { type: 'javascript', value: text.slice('file://'.length).trim() };
  const m = SYNTAX.exec(text);
  if (!m) return { type: 'equals', value: text };
  const [, not, type, thresholdText, value] = m;
  const out: Assertion = { type: not ? `not-${type}` : type };
  if (LIST_TYPES.has(type)) {
    if (value !== undefined) out.value = value.split(',').map((s) => s.trim());
    return out;
  }
  if (value !== undefined) out.value = value;
  if (THRESHOLD_TYPES.has(type)) {
    const t = thresholdText === undefined ? NaN : Number.parseFloat(thresholdText);
    out.threshold = t || (type === 'similar' ? 0.8 : 0.75);
  } else if (thresholdText !== undefined) {
    out.threshold = Number.parseFloat(thresholdText);
  }
  return out;
}
