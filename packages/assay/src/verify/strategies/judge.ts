/**
 * `judge`: the answer is graded by scorers from the evals module (any assertion list, model-graded
 * ones included); a failing answer is retried — with the failing reasons fed back unless
 * `feedback: false` — until one passes or `max_attempts` or the budget ends. Without a passing
 * answer the best-scoring one is kept.
 */
import { compileTest, graderFromChat, type CompiledTest, type ScorerDeps } from '../../evals/scorers/index.js';
import type { ChatRequest } from '../../gateway/types.js';
import type { Span } from '../../tracing/span.js';
import { withFeedback } from '../run.js';
import type { JudgeSpec } from '../spec.js';
import type { AttemptReport, Outcome, StopReason } from '../types.js';
import { attempt, callsClientTool, endAttempt, lastUserText, skipped, type Candidate, type PrepareCtx, type Produce, type Run } from './common.js';

export function prepareJudge(spec: JudgeSpec, req: ChatRequest, pc: PrepareCtx, produce: Produce): Run {
  const deps = (grade?: ScorerDeps['grade'], sandbox?: ScorerDeps['sandbox']): ScorerDeps => ({
    ...(grade ? { grade } : {}),
    ...(sandbox ? { sandbox } : {}),
    ...(pc.embedFor ? { embedFor: pc.embedFor } : {}),
    ...(pc.embed ? { embed: pc.embed } : {}),
    defaultGrader: spec.grader ?? req.model,
  });
  const compile = (d: ScorerDeps): CompiledTest => compileTest(spec.assert, d, spec.threshold !== undefined ? { threshold: spec.threshold } : {});
  return async (req, v, span) => {
    const test = compile(deps(graderFromChat(v.graderChat(), () => v.ctxFor(span)), v.env.sandbox));
    const question = lastUserText(req.messages);
    const attempts: AttemptReport[] = [];
    let stopped: StopReason | undefined;
    let best: { c: Candidate; score: number } | null = null;
    let messages = req.messages;
    for (let i = 0; i < spec.max_attempts; i++) {
      const a = await attempt(span, `attempt ${i + 1}`, (r) => (stopped = r), async (s: Span) => {
        const c = await produce({ ...req, messages }, v, s);
        if (callsClientTool(c.completion) || !c.ok) return { c, grade: null };
        return { c, grade: await test({ output: c.content, prompt: question, vars: spec.vars }, { signal: v.env.ctx.signal, parent: s }) };
      });
      if (!a) break;
      const { c, grade } = a.value;
      if (callsClientTool(c.completion)) return skipped('judge', c, attempts);
      const failing = grade ? grade.results.filter((r) => !r.pass).map((r) => r.reason) : [`the wrapped strategy did not pass: ${c.inner?.reason ?? ''}`];
      const report: AttemptReport = {
        attempt: i + 1,
        verdict: grade?.pass ? 'pass' : grade && grade.errors > 0 ? 'error' : 'fail',
        ms: a.ms,
        ...(grade ? { score: grade.score } : {}),
        ...(grade?.pass ? {} : { reason: failing.join('; ').slice(0, 1000) }),
        ...(c.inner ? { inner: c.inner } : {}),
      };
      attempts.push(report);
      endAttempt(a.span, report);
      const score = grade?.score ?? 0;
      if (c.completion && (!best || score > best.score)) best = { c, score };
      if (grade?.pass) {
        return { completion: c.completion, headers: c.headers, report: { strategy: 'judge', verdict: 'passed', confidence: grade.score, reason: i === 0 ? 'the first answer passed' : `attempt ${i + 1} passed`, attempts } };
      }
      if (spec.feedback && c.content) {
        messages = withFeedback(req.messages, c.content, `Your answer did not pass review: ${failing.join('; ').slice(0, 2000)}. Answer again, fixing this.`);
      }
    }
    return {
      completion: best?.c.completion ?? null,
      headers: best?.c.headers ?? {},
      report: {
        strategy: 'judge',
        verdict: 'failed',
        confidence: best?.score ?? 0,
        reason: attempts.length ? `no answer passed in ${attempts.length} ${attempts.length === 1 ? 'attempt' : 'attempts'}; the best scored ${(best?.score ?? 0).toFixed(2)}` : 'no answer was produced',
        attempts,
        ...(stopped ? { stopped } : {}),
      },
    };
  };
}
