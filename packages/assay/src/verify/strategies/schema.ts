/**
 * `schema`: the answer must be JSON matching the request's json_schema response_format (or the
 * spec's `schema`, which is then also sent as the response_format, so providers that enforce
 * schemas — OpenAI structured outputs, local models by grammar — do). A failing answer gets the
 * validation errors fed back and is retried up to `max_retries` times.
 */
import { compileSchema, formatIssues, SchemaError, type SchemaValidator } from '../../evals/scorers/index.js';
import type { ChatRequest } from '../../gateway/types.js';
import { withContent, withFeedback } from '../run.js';
import type { SchemaSpec } from '../spec.js';
import type { AttemptReport, Outcome, StopReason } from '../types.js';
import { attempt, callsClientTool, endAttempt, skipped, specError, type Candidate, type PrepareCtx, type Produce, type Run } from './common.js';

export type JsonRead = { ok: true; value: unknown; repaired?: string } | { ok: false; error: string };

/** JSON from an answer: as is, or the inside of a single ```json fence around it (a repair the report names). */
export function readJson(content: string): JsonRead {
  try {
    return { ok: true, value: JSON.parse(content) };
  } catch (err) {
    const fenced = /^\s*```[a-zA-Z]*[ \t]*\r?\n([\s\S]*?)\r?\n?```\s*$/.exec(content);
    if (fenced) {
      try {
        return { ok: true, value: JSON.parse(fenced[1]), repaired: fenced[1].trim() };
      } catch {
        /* fall through to the original error */
      }
    }
    return { ok: false, error: content.trim() === '' ? 'the answer is empty' : `not valid JSON (${(err as Error).message})` };
  }
}

export function prepareSchema(spec: SchemaSpec, req: ChatRequest, pc: PrepareCtx, produce: Produce): Run {
  const rf = req.response_format;
  let schema: unknown;
  let objectOnly = false;
  let field: (string | number)[] | null = null;
  if (rf?.type === 'json_schema') {
    schema = rf.json_schema?.schema ?? {};
  } else if (spec.schema) {
    schema = spec.schema;
    field = ['schema'];
  } else if (rf?.type === 'json_object') {
    objectOnly = true;
  } else {
    throw specError(pc, ['strategy'], 'schema verification needs response_format {"type": "json_schema", …} or {"type": "json_object"} on the request, or a schema in the verify option');
  }
  let validate: SchemaValidator = () => [];
  if (!objectOnly) {
    try {
      validate = compileSchema(schema);
    } catch (err) {
      if (!(err instanceof SchemaError)) throw err;
      if (field) throw specError(pc, field, `the schema is not valid: ${err.message}`);
      throw specError({ ...pc, path: [] }, ['response_format', 'json_schema', 'schema'], `the schema is not valid: ${err.message}`);
    }
  }
  // A schema given in the spec is also asked of the provider, which may enforce it.
  const ask = (r: ChatRequest): ChatRequest =>
    field && !r.response_format ? { ...r, response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: schema as Record<string, unknown> } } } : r;

  const check = (content: string): { ok: true; repaired?: string } | { ok: false; error: string } => {
    const read = readJson(content);
    if (!read.ok) return read;
    if (objectOnly && (typeof read.value !== 'object' || read.value === null || Array.isArray(read.value))) return { ok: false, error: 'the answer must be a JSON object' };
    const issues = validate(read.value);
    if (issues.length) return { ok: false, error: `it does not match the schema: ${formatIssues(issues)}` };
    return { ok: true, ...(read.repaired !== undefined ? { repaired: read.repaired } : {}) };
  };

  return async (req, v, span) => {
    const attempts: AttemptReport[] = [];
    let stopped: StopReason | undefined;
    let last: Candidate | null = null;
    let messages = req.messages;
    for (let i = 0; i <= spec.max_retries; i++) {
      const a = await attempt(span, `attempt ${i + 1}`, (r) => (stopped = r), (s) => produce(ask({ ...req, messages }), v, s));
      if (!a) break;
      const c = a.value;
      if (callsClientTool(c.completion)) return skipped('schema', c, attempts);
      const verdict = c.ok ? check(c.content) : { ok: false as const, error: `the wrapped strategy did not pass: ${c.inner?.reason ?? ''}` };
      const report: AttemptReport = {
        attempt: i + 1,
        verdict: verdict.ok ? 'pass' : 'fail',
        ms: a.ms,
        ...(verdict.ok ? (verdict.repaired !== undefined ? { reason: 'a code fence around the JSON was removed' } : {}) : { reason: verdict.error }),
        ...(c.inner ? { inner: c.inner } : {}),
      };
      attempts.push(report);
      endAttempt(a.span, report);
      last = c;
      if (verdict.ok) {
        const completion = verdict.repaired !== undefined && c.completion ? withContent(c.completion, verdict.repaired) : c.completion;
        return {
          completion,
          headers: c.headers,
          report: { strategy: 'schema', verdict: 'passed', confidence: 1, reason: i === 0 ? 'the first answer matched the schema' : `the answer matched the schema after ${i} ${i === 1 ? 'retry' : 'retries'}`, attempts, enforced_by: pc.grammar ? 'grammar' : 'validation' },
        };
      }
      messages = withFeedback(req.messages, c.content, `Your answer was rejected: ${verdict.error}. Reply again with only the JSON value that matches the required schema: no prose, no code fences.`);
    }
    return {
      completion: last?.completion ?? null,
      headers: last?.headers ?? {},
      report: {
        strategy: 'schema',
        verdict: 'failed',
        confidence: 0,
        reason: attempts.length ? `no answer matched the schema in ${attempts.length} ${attempts.length === 1 ? 'attempt' : 'attempts'}; the last one: ${attempts.at(-1)!.reason}` : 'no answer was produced',
        attempts,
        enforced_by: pc.grammar ? 'grammar' : 'validation',
        ...(stopped ? { stopped } : {}),
      },
    };
  };
}
