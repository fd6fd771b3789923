/**
 * Model-graded assertions: llm-rubric, factuality (alias model-graded-factuality) and
 * model-graded-closedqa. The grader is `provider` or deps.defaultGrader; every call is at
 * temperature 0 with a json_schema response format; the rendered prompt, the grader's raw answer
 * and the model go into `metadata`. A failed call or an unusable answer is an error result
 * (pass false, score 0), never a pass. `rubricPrompt` replaces the built-in prompt: plain text, or
 * a JSON array of chat messages; it is rendered with {{output}}, {{input}}, the value under its
 * promptfoo names ({{rubric}}, {{criteria}}, {{expected}}/{{ideal}}), {{completion}} and the vars.
 */
import type { ChatMessage } from '../../gateway/types.js';
import { askGrader, GraderFailure } from './grader.js';
import { CLOSEDQA_SCHEMA, closedQaPrompt, FACTUALITY_NAMES, FACTUALITY_PROMPT, FACTUALITY_SCHEMA, FACTUALITY_SCORES, RUBRIC_SCHEMA, rubricPrompt } from './grader-prompts.js';
import { failure, kind, prepareValue, scored, thresholdIn, ValueError } from './common.js';
import { renderTemplate } from './template.js';
import { SpecError, type AssertionSpec, type GradeFn, type RawResult, type ScoreContext, type ScorerDeps, type ScorerEnv, type ScorerFactory } from './types.js';

type Choice = 'A' | 'B' | 'C' | 'D' | 'E';

function graderOf(spec: AssertionSpec, deps: ScorerDeps, base: string): { grade: GradeFn; model: string } {
  if (!deps.grade) throw new SpecError(`${base} needs a grader model, and this evaluation has no grader connection`, 'type');
  const model = spec.provider ?? deps.defaultGrader;
  if (!model) throw new SpecError(`${base} needs a grader model: set provider on the assertion or a default grader`, 'provider');
  return { grade: deps.grade, model };
}

/** Rubric text: a string, or an object written as JSON (as promptfoo accepts). */
function rubricText(v: unknown): string {
  if (typeof v === 'string') {
    if (v.trim() === '') throw new ValueError('value (the rubric) must not be empty');
    return v;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v && typeof v === 'object') return JSON.stringify(v);
  throw new ValueError(`value must be text, got ${kind(v)}`);
}

/** The custom prompt as a message list (JSON array of {role, content}) or one user message. */
function customPrompt(spec: AssertionSpec): ChatMessage[] | null {
  const text = spec.rubricPrompt;
  if (text === undefined) return null;
  const t = text.trim();
  if (t.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch {
      parsed = null;
    }
    const ok = Array.isArray(parsed) && parsed.length > 0 && parsed.every((m) => m && typeof m === 'object' && ['system', 'developer', 'user', 'assistant'].includes(m.role) && typeof m.content === 'string');
    if (ok) return parsed as ChatMessage[];
    if (parsed !== null) throw new SpecError('rubricPrompt: a JSON prompt must be a non-empty array of {role, content} messages', 'rubricPrompt');
  }
  return [{ role: 'user', content: text }];
}

function render(messages: ChatMessage[], vars: Record<string, unknown>): ChatMessage[] {
  return messages.map((m) => ({ ...m, content: renderTemplate(String(m.content), vars) }));
}

/** Template variables: the item's vars, then the reserved names (which win). */
function promptVars(ctx: ScoreContext, env: ScorerEnv, own: Record<string, unknown>): Record<string, unknown> {
  return { ...env.vars, output: ctx.output, completion: ctx.output, ...(ctx.prompt !== undefined ? { input: ctx.prompt } : {}), ...own };
}

/** Runs a grading call and maps GraderFailure (and template errors) to an error result. */
async function guarded(run: () => Promise<RawResult>): Promise<RawResult> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof GraderFailure) return failure(err.message, err.metadata);
    throw err;
  }
}

const llmRubric: ScorerFactory = (spec, deps, base) => {
  const { grade, model } = graderOf(spec, deps, base);
  const value = prepareValue(spec, base, rubricText);
  const threshold = thresholdIn(spec, base, undefined, 0, 1);
  const custom = customPrompt(spec);
  return (ctx, env) =>
    guarded(async () => {
      const rubric = value(env.vars);
      const messages = render(custom ?? [{ role: 'user', content: rubricPrompt(ctx.prompt !== undefined) }], promptVars(ctx, env, { rubric, criteria: rubric }));
      const { data, metadata } = await askGrader({ grade, model, messages, name: 'llm_rubric_grade', schema: RUBRIC_SCHEMA, signal: env.signal, parent: env.parent });
      const score = data.score as number;
      if (!(score >= 0 && score <= 1)) throw new GraderFailure(`grader score ${score} is outside 0..1`, metadata);
      const pass = (data.pass as boolean) && (threshold === undefined || score >= threshold);
      const note = threshold !== undefined && data.pass && score < threshold ? ` (score ${score} < threshold ${threshold})` : '';
      return scored(score, pass, `${data.reason as string}${note}`, { ...metadata, graderPass: data.pass });
    });
};

function factualityScores(spec: AssertionSpec): Record<Choice, number> {
  const raw = spec.config?.scores;
  const scores = { ...FACTUALITY_SCORES };
  if (raw === undefined) return scores;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SpecError('config.scores must map choices (A–E, or subset/superset/agree/disagree/differButFactual) to scores', 'config.scores');
  for (const [k, v] of Object.entries(raw)) {
    const choice = (/^[A-E]$/.test(k) ? k : FACTUALITY_NAMES[k]) as Choice | undefined;
    if (!choice) throw new SpecError(`config.scores: unknown choice "${k}" (use A–E or subset, superset, agree, disagree, differButFactual)`, 'config.scores');
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new SpecError(`config.scores.${k} must be a number in 0..1`, 'config.scores');
    scores[choice] = v;
  }
  return scores;
}

/** The question: the rendered prompt, else vars.question / vars.input / vars.query. */
function questionOf(ctx: ScoreContext): string | undefined {
  if (ctx.prompt !== undefined) return ctx.prompt;
  for (const k of ['question', 'input', 'query']) {
    const v = ctx.vars[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

const factuality: ScorerFactory = (spec, deps, base) => {
  const { grade, model } = graderOf(spec, deps, base);
  const value = prepareValue(spec, base, rubricText);
  const threshold = thresholdIn(spec, base, undefined, 0, 1);
  const scores = factualityScores(spec);
  const custom = customPrompt(spec);
  return (ctx, env) =>
    guarded(async () => {
      const expected = value(env.vars);
      const question = questionOf(ctx);
      if (question === undefined) return failure('factuality needs the question: the call has no prompt and the vars no question/input/query');
      const messages = render(custom ?? [{ role: 'user', content: FACTUALITY_PROMPT }], promptVars(ctx, env, { input: question, expected, ideal: expected }));
      const { data, metadata } = await askGrader({ grade, model, messages, name: 'factuality_grade', schema: FACTUALITY_SCHEMA, signal: env.signal, parent: env.parent });
      const choice = data.choice as Choice;
      const score = scores[choice];
      const pass = threshold === undefined ? score > 0 : score >= threshold;
      return scored(score, pass, `(${choice}) ${data.reason as string}`, { ...metadata, choice });
    });
};

const closedQa: ScorerFactory = (spec, deps, base) => {
  const { grade, model } = graderOf(spec, deps, base);
  const value = prepareValue(spec, base, rubricText);
  const custom = customPrompt(spec);
  return (ctx, env) =>
    guarded(async () => {
      const criteria = value(env.vars);
      const messages = render(custom ?? [{ role: 'user', content: closedQaPrompt(ctx.prompt !== undefined) }], promptVars(ctx, env, { criteria, rubric: criteria }));
      const { data, metadata } = await askGrader({ grade, model, messages, name: 'closedqa_grade', schema: CLOSEDQA_SCHEMA, signal: env.signal, parent: env.parent });
      const pass = data.pass as boolean;
      return scored(pass ? 1 : 0, pass, data.reason as string, metadata);
    });
};

export const modelGradedScorers: Record<string, ScorerFactory> = {
  'llm-rubric': llmRubric,
  factuality,
  'model-graded-factuality': factuality,
  'model-graded-closedqa': closedQa,
};
