/**
 * `program` (program-aided): the model is asked for JavaScript instead of an answer; the sandbox
 * runs it and its result becomes the answer. A program that fails (syntax, exception, timeout, no
 * `return`) has its error fed back for a retry.
 */
import type { ChatRequest } from '../../gateway/types.js';
import type { RunResult } from '../../sandbox/index.js';
import type { Span } from '../../tracing/span.js';
import { withContent, withFeedback, type Verification } from '../run.js';
import type { ProgramSpec } from '../spec.js';
import type { AttemptReport, Outcome, StopReason } from '../types.js';
import { attempt, callsClientTool, endAttempt, skipped, type Candidate, type PrepareCtx, type Produce, type Run } from './common.js';
import { extractCode } from './extract.js';

export const PROGRAM_INSTRUCTIONS =
  'Answer the user by writing a JavaScript program that computes the answer. Reply with only the code, in one ```javascript block. ' +
  'The code is the body of an async function run in a sandbox with no network, no files and no imports: compute the answer and `return` it ' +
  '(a string, number, boolean, array or object). Do not print the answer; return it. Do not guess values the code can compute.';

const MAX_CODE_IN_REPORT = 4000;

function failureOf(r: RunResult & { ok: false }): string {
  const where = r.error.line ? ` (line ${r.error.line}${r.error.column ? `, column ${r.error.column}` : ''})` : '';
  return `${r.error.name}: ${r.error.message}${where} [${r.error.kind}]`;
}

async function runCode(code: string, spec: ProgramSpec, v: Verification, parent: Span): Promise<RunResult> {
  const span = parent.child('tool', 'sandbox');
  if (v.env.storeBodies) span.set({ input: { code } });
  const r = await v.env.sandbox.run(code, {
    signal: v.env.ctx.signal,
    timeoutMs: spec.timeout_ms,
    ...(spec.memory_mb ? { memoryBytes: spec.memory_mb * 1024 * 1024 } : {}),
  });
  if (r.ok) span.end({ output: v.env.storeBodies ? { value: r.value ?? null, logs: r.logs } : null, metadata: { ms: r.durationMs } });
  else span.fail({ message: failureOf(r) }).end({ output: v.env.storeBodies ? { error: r.error, logs: r.logs } : null, metadata: { ms: r.durationMs, kind: r.error.kind } });
  return r;
}

export function prepareProgram(spec: ProgramSpec, _req: ChatRequest, _pc: PrepareCtx, produce: Produce): Run {
  const instructions = spec.instructions ?? PROGRAM_INSTRUCTIONS;
  return async (req, v, span) => {
    const attempts: AttemptReport[] = [];
    let stopped: StopReason | undefined;
    let last: Candidate | null = null;
    const base = [{ role: 'system' as const, content: instructions }, ...req.messages];
    let messages = base;
    for (let i = 0; i <= spec.max_retries; i++) {
      const a = await attempt(span, `attempt ${i + 1}`, (r) => (stopped = r), async (s) => {
        const c = await produce({ ...req, messages }, v, s);
        if (callsClientTool(c.completion)) return { c, code: '', run: null };
        const code = extractCode(c.content);
        return { c, code, run: code ? await runCode(code, spec, v, s) : null };
      });
      if (!a) break;
      const { c, code, run } = a.value;
      if (callsClientTool(c.completion)) return skipped('program', c, attempts);
      last = c;
      let failure: string | null = null;
      if (!code) failure = 'the reply has no code';
      else if (!run) failure = 'the code did not run';
      else if (!run.ok) failure = failureOf(run);
      else if (run.value === undefined) failure = 'the code returned nothing: end it with `return <the answer>`';
      const shownCode = code.length > MAX_CODE_IN_REPORT ? `${code.slice(0, MAX_CODE_IN_REPORT)}…` : code;
      const report: AttemptReport = { attempt: i + 1, verdict: failure ? 'fail' : 'pass', ms: a.ms, code: shownCode, ...(failure ? { reason: failure } : {}) };
      if (run?.ok && run.value !== undefined) report.answer = JSON.stringify(run.value).slice(0, 500);
      attempts.push(report);
      endAttempt(a.span, report);
      if (!failure && run?.ok) {
        const value = run.value;
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        const answer = spec.answer === 'result_and_code' ? `${text}\n\n\`\`\`javascript\n${code}\n\`\`\`` : text;
        return {
          completion: c.completion ? withContent(c.completion, answer) : null,
          headers: c.headers,
          report: { strategy: 'program', verdict: 'passed', confidence: 1, reason: i === 0 ? 'the program ran' : `the program ran after ${i} ${i === 1 ? 'retry' : 'retries'}`, attempts, result: value ?? null },
        };
      }
      const logs = run?.logs.length ? `\nIts console output:\n${run.logs.map((l) => l.text).join('\n').slice(0, 2000)}` : '';
      messages = withFeedback(base, c.content, `Running your program failed: ${failure}.${logs}\nFix it and reply with the whole corrected program in one \`\`\`javascript block.`);
    }
    return {
      completion: last?.completion ?? null,
      headers: last?.headers ?? {},
      report: {
        strategy: 'program',
        verdict: 'failed',
        confidence: 0,
        reason: attempts.length ? `no program ran in ${attempts.length} ${attempts.length === 1 ? 'attempt' : 'attempts'}; the last one: ${attempts.at(-1)!.reason}` : 'no program was produced',
        attempts,
        ...(stopped ? { stopped } : {}),
      },
    };
  };
}
