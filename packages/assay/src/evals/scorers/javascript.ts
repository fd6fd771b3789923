/**
 * Custom JavaScript scorers (promptfoo's `javascript`), run in the QuickJS sandbox
 * (docs/sandbox.md): never in the server's own JS engine.
 * - `value` is the body of an async function of (output, context); a single line that does not
 *   start with a statement keyword (return, const, if …) is an expression whose value is returned
 *   (`output.length < 100`), as promptfoo does.
 * - context = {vars, expected, prompt, latencyMs, cost, toolCalls, finishReason, config}.
 * - It returns a boolean, a number in 0..1 (pass when ≥ threshold, or > 0 without one), or
 *   {pass?, score?, reason?} with at least pass or score (a threshold also applies to score).
 * - A throw, a timeout, a syntax error or any other return value is an error result, never a pass.
 * - config.timeoutMs (default 1000, 1–60000) bounds each run.
 */
import { configNumber, failure, kind, prepareValue, thresholdIn, ValueError } from './common.js';
import { SpecError, type RawResult, type ScorerFactory } from './types.js';

const PREFIX = 'return (async (output, context) => {';
const SUFFIX = '\n})(input.output, input.context);';

/** The sandbox program for a scorer body (line numbers of the body are kept). */
export function scorerProgram(code: string): string {
  const body = code.trimEnd();
  const singleExpression = !body.includes('\n') && !/^\s*(return|const|let|var|if|for|while|do|switch|try|throw|function|class)\b/.test(body);
  return `${PREFIX}${singleExpression ? `return ${body.trim().replace(/;+$/, '')}` : `\n${body}`}${SUFFIX}`;
}

/** Maps the result of a scorer run to a RawResult; throws ValueError for a bad return value. */
export function interpretReturn(value: unknown, threshold: number | undefined): RawResult {
  const unit = (s: number, where: string) => {
    if (!Number.isFinite(s) || s < 0 || s > 1) throw new ValueError(`${where} must be a number in 0..1, got ${s}`);
    return s;
  };
  if (typeof value === 'boolean') return { pass: value, score: value ? 1 : 0, reason: `the scorer returned ${value}` };
  if (typeof value === 'number') {
    const score = unit(value, 'a returned score');
    const pass = threshold === undefined ? score > 0 : score >= threshold;
    return { pass, score, reason: `the scorer returned ${score}${threshold !== undefined ? ` (threshold ${threshold})` : ''}` };
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (o.pass !== undefined && typeof o.pass !== 'boolean') throw new ValueError(`pass must be a boolean, got ${kind(o.pass)}`);
    if (o.score !== undefined && typeof o.score !== 'number') throw new ValueError(`score must be a number, got ${kind(o.score)}`);
    if (o.reason !== undefined && typeof o.reason !== 'string') throw new ValueError(`reason must be a string, got ${kind(o.reason)}`);
    if (o.pass === undefined && o.score === undefined) throw new ValueError('a returned object needs pass or score');
    const score = o.score === undefined ? (o.pass ? 1 : 0) : unit(o.score as number, 'score');
    let pass = o.pass === undefined ? (threshold === undefined ? score > 0 : score >= threshold) : (o.pass as boolean);
    if (threshold !== undefined && score < threshold) pass = false;
    return { pass, score, reason: (o.reason as string | undefined) ?? `the scorer returned pass=${pass}, score=${score}` };
  }
  throw new ValueError(`a scorer must return a boolean, a number in 0..1 or {pass, score, reason}; it returned ${value === undefined ? 'undefined (is a return missing?)' : kind(value)}`);
}

const javascript: ScorerFactory = (spec, deps, base) => {
  if (!deps.sandbox) throw new SpecError(`${base} needs the code sandbox, and this evaluation has none`, 'type');
  const sandbox = deps.sandbox;
  const timeoutMs = configNumber(spec, 'timeoutMs', 1000, { min: 1, max: 60_000, integer: true });
  const threshold = thresholdIn(spec, base, undefined, 0, 1);
  const program = prepareValue(spec, base, (v) => {
    if (typeof v !== 'string' || v.trim() === '') throw new ValueError(`value must be JavaScript code, got ${kind(v)}`);
    return scorerProgram(v);
  });
  /** Lines the wrapper adds before the body (1 for a multi-line body, 0 for an expression). */
  const bodyLineOffset = (code: string) => (code.startsWith(`${PREFIX}\n`) ? 1 : 0);
  return async (ctx, env) => {
    const code = program(env.vars);
    const context = {
      vars: ctx.vars,
      expected: ctx.expected ?? null,
      prompt: ctx.prompt ?? null,
      latencyMs: ctx.latencyMs ?? null,
      cost: ctx.cost ?? null,
      toolCalls: ctx.toolCalls ?? [],
      finishReason: ctx.finishReason ?? null,
      config: spec.config ?? {},
    };
    const run = await sandbox.run(code, { input: { output: ctx.output, context }, timeoutMs, signal: env.signal });
    const logs = run.logs.length ? { logs: run.logs.slice(0, 50) } : undefined;
    if (!run.ok) {
      const e = run.error;
      const line = e.line !== undefined ? e.line - bodyLineOffset(code) : undefined;
      const where = line !== undefined && line > 0 ? ` (line ${line})` : '';
      const message = e.message.replace(/\s*\(line \d+, column \d+\)\s*$/, '');
      const what = e.kind === 'timeout' ? `timed out after ${timeoutMs} ms` : `${e.name}: ${message}`;
      return failure(`javascript scorer failed: ${what}${where}`, { ...logs, errorKind: e.kind });
    }
    try {
      const r = interpretReturn(run.value, threshold);
      return logs ? { ...r, metadata: logs } : r;
    } catch (err) {
      return failure(`javascript scorer: ${(err as Error).message}`, logs);
    }
  };
};

export const javascriptScorers: Record<string, ScorerFactory> = { javascript };
