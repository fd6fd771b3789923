/**
 * `check`: a verifier model answers structured questions about the draft, with information the
 * generator's draft does not carry by itself.
 * - `claims`: every factual claim of the draft is judged against the context (the conversation's
 *   system, user and tool messages, and the passages the tool loop retrieved).
 * - `cove` (chain-of-verification, factored): the verifier plans questions that would check the
 *   draft, each is answered in its own call that never sees the draft, then the answers are
 *   compared with the draft.
 * A draft that fails is revised with the findings fed back (up to `max_revisions`), and checked
 * again; one still failing makes the call abstain.
 */
import { compileSchema, formatIssues } from '../../evals/scorers/index.js';
import { contentText } from '../../gateway/content.js';
import type { ChatCompletion, ChatRequest } from '../../gateway/types.js';
import type { Span } from '../../tracing/span.js';
import { withFeedback, type Verification } from '../run.js';
import type { CheckSpec } from '../spec.js';
import type { AttemptReport, Outcome, StopReason } from '../types.js';
import { attempt, callsClientTool, endAttempt, lastUserText, skipped, type Candidate, type PrepareCtx, type Produce, type Run } from './common.js';
import { readJson } from './schema.js';

const MAX_CONTEXT_CHARS = 60_000;

const CLAIMS_SCHEMA = {
  type: 'object',
  properties: {
    claims: {
      type: 'array',
      items: {
        type: 'object',
        properties: { claim: { type: 'string' }, supported: { type: 'boolean' }, evidence: { type: 'string' } },
        required: ['claim', 'supported', 'evidence'],
        additionalProperties: false,
      },
    },
  },
  required: ['claims'],
  additionalProperties: false,
};
const QUESTIONS_SCHEMA = {
  type: 'object',
  properties: { questions: { type: 'array', items: { type: 'string' } } },
  required: ['questions'],
  additionalProperties: false,
};
const COMPARE_SCHEMA = {
  type: 'object',
  properties: {
    checks: {
      type: 'array',
      items: {
        type: 'object',
        properties: { question: { type: 'string' }, consistent: { type: 'boolean' }, note: { type: 'string' } },
        required: ['question', 'consistent', 'note'],
        additionalProperties: false,
      },
    },
  },
  required: ['checks'],
  additionalProperties: false,
};
const validators = { claims: compileSchema(CLAIMS_SCHEMA), questions: compileSchema(QUESTIONS_SCHEMA), checks: compileSchema(COMPARE_SCHEMA) };

const CLAIMS_PROMPT =
  'You fact-check an answer against a context. Split the answer into its factual claims (statements that could be true or false). ' +
  'For each, decide whether the context supports it: supported only when the context states it or it follows directly from what the context states; ' +
  'anything the context does not mention is not supported, even if you believe it is true. Quote the supporting context in `evidence` ("" when there is none). ' +
  'Greetings, hedges and statements that something is unknown are not claims.';
const PLAN_PROMPT =
  'You plan a fact check of an answer. Write short, self-contained questions whose answers would confirm or refute the facts the answer states ' +
  '(one fact per question; include names, so each question can be answered without seeing the answer). At most {{max}} questions.';
const ANSWER_PROMPT = 'Answer the question briefly and factually. If you do not know, say so.';
const COMPARE_PROMPT =
  'You compare an answer with independently checked facts. For each checked question, say whether the answer is consistent with its checked answer ' +
  '(consistent when the answer does not state that fact at all), with a short note on any difference.';

/** The context a claim can be checked against: the conversation (not earlier assistant turns) and retrieved passages. */
export function contextOf(req: ChatRequest, draft: ChatCompletion | null): string {
  const parts: string[] = [];
  for (const m of req.messages) {
    if (m.role === 'assistant') continue;
    const text = contentText(m.content);
    if (text.trim()) parts.push(`[${m.role}] ${text}`);
  }
  const citations = (draft?.assay as { citations?: { source?: string; text?: string }[] } | undefined)?.citations ?? [];
  for (const c of citations) if (c.text) parts.push(`[retrieved: ${c.source ?? ''}] ${c.text}`);
  const all = parts.join('\n\n');
  return all.length > MAX_CONTEXT_CHARS ? `${all.slice(0, MAX_CONTEXT_CHARS)}\n[context truncated]` : all;
}

function jsonFormat(name: string, schema: Record<string, unknown>): ChatRequest['response_format'] {
  return { type: 'json_schema', json_schema: { name, schema, strict: true } };
}

/** A verifier's structured answer, or an Error saying why it cannot be read. */
function parseVerifier<T>(content: string, validate: (v: unknown) => { path: string; message: string }[]): T {
  const read = readJson(content);
  if (!read.ok) throw new Error(`the verifier's answer is ${read.error}`);
  const issues = validate(read.value);
  if (issues.length) throw new Error(`the verifier's answer does not match its schema: ${formatIssues(issues)}`);
  return read.value as T;
}

interface Finding {
  /** Share of the checked items that agree with the draft (1 when there is nothing to check). */
  share: number;
  /** What failed, fed back for a revision. */
  problems: string[];
  /** What the report shows. */
  detail: Record<string, unknown>;
}

type Checker = (req: ChatRequest, draft: Candidate, v: Verification, span: Span) => Promise<Finding>;

function claimsChecker(spec: CheckSpec): Checker {
  return async (req, draft, v, span) => {
    const model = spec.model ?? req.model;
    const r = await v.verifier(
      {
        model,
        temperature: 0,
        messages: [
          { role: 'system', content: CLAIMS_PROMPT },
          { role: 'user', content: `CONTEXT:\n${contextOf(req, draft.completion) || '(none)'}\n\nQUESTION:\n${lastUserText(req.messages)}\n\nANSWER TO CHECK:\n${draft.content}` },
        ],
        response_format: jsonFormat('claims', CLAIMS_SCHEMA),
      },
      span,
      'check claims',
    );
    const { claims } = parseVerifier<{ claims: { claim: string; supported: boolean; evidence: string }[] }>(r.content, validators.claims);
    const unsupported = claims.filter((c) => !c.supported);
    return {
      share: claims.length ? (claims.length - unsupported.length) / claims.length : 1,
      problems: unsupported.map((c) => c.claim),
      detail: { claims: claims.map((c) => ({ claim: c.claim.slice(0, 500), supported: c.supported, evidence: c.evidence.slice(0, 500) })) },
    };
  };
}

function coveChecker(spec: CheckSpec): Checker {
  return async (req, draft, v, span) => {
    const model = spec.model ?? req.model;
    const question = lastUserText(req.messages);
    const plan = await v.verifier(
      {
        model,
        temperature: 0,
        messages: [
          { role: 'system', content: PLAN_PROMPT.replace('{{max}}', String(spec.max_questions)) },
          { role: 'user', content: `QUESTION:\n${question}\n\nANSWER TO CHECK:\n${draft.content}` },
        ],
        response_format: jsonFormat('questions', QUESTIONS_SCHEMA),
      },
      span,
      'cove plan',
    );
    const questions = parseVerifier<{ questions: string[] }>(plan.content, validators.questions).questions.filter((q) => q.trim()).slice(0, spec.max_questions);
    if (!questions.length) return { share: 1, problems: [], detail: { questions: [] } };
    // Factored: each question in its own call, which sees the context but never the draft.
    const context = contextOf({ ...req, messages: req.messages.filter((m) => m.role !== 'user' || m !== req.messages.at(-1)) }, draft.completion);
    const answers = await Promise.all(
      questions.map((q, i) =>
        v.verifier(
          { model, temperature: 0, messages: [{ role: 'system', content: context ? `${ANSWER_PROMPT}\n\nContext you may use:\n${context}` : ANSWER_PROMPT }, { role: 'user', content: q }] },
          span,
          `cove answer ${i + 1}`,
        ),
      ),
    );
    const qa = questions.map((q, i) => ({ question: q, answer: answers[i].content.trim() }));
    const compare = await v.verifier(
      {
        model,
        temperature: 0,
        messages: [
          { role: 'system', content: COMPARE_PROMPT },
          { role: 'user', content: `ANSWER:\n${draft.content}\n\nCHECKED FACTS:\n${qa.map((x) => `Q: ${x.question}\nA: ${x.answer}`).join('\n\n')}` },
        ],
        response_format: jsonFormat('checks', COMPARE_SCHEMA),
      },
      span,
      'cove compare',
    );
    const { checks } = parseVerifier<{ checks: { question: string; consistent: boolean; note: string }[] }>(compare.content, validators.checks);
    const bad = checks.filter((c) => !c.consistent);
    return {
      share: checks.length ? (checks.length - bad.length) / checks.length : 1,
      problems: bad.map((c) => {
        const found = qa.find((x) => x.question === c.question);
        return `${c.question} — checked answer: ${found?.answer ?? '?'}${c.note ? ` (${c.note})` : ''}`;
      }),
      detail: { questions: qa.map((x) => ({ ...x, consistent: checks.find((c) => c.question === x.question)?.consistent ?? null })) },
    };
  };
}

function revision(spec: CheckSpec, problems: string[]): string {
  const list = problems.map((p) => `- ${p}`).join('\n');
  return spec.mode === 'claims'
    ? `A fact check against the context found claims in your answer that the context does not support:\n${list}\nRewrite your answer: keep only what the context supports, and say plainly what it does not tell.`
    : `Independent checks disagree with your answer:\n${list}\nRewrite your answer so that it agrees with the checked facts; leave out what you cannot confirm.`;
}

export function prepareCheck(spec: CheckSpec, _req: ChatRequest, _pc: PrepareCtx, produce: Produce): Run {
  const checker = spec.mode === 'claims' ? claimsChecker(spec) : coveChecker(spec);
  return async (req, v, span) => {
    const attempts: AttemptReport[] = [];
    let stopped: StopReason | undefined;
    let last: { c: Candidate; share: number } | null = null;
    let messages = req.messages;
    for (let i = 0; i <= spec.max_revisions; i++) {
      const a = await attempt(span, i === 0 ? 'draft' : `revision ${i}`, (r) => (stopped = r), async (s) => {
        const c = await produce({ ...req, messages }, v, s);
        if (callsClientTool(c.completion) || !c.ok) return { c, finding: null, error: null };
        try {
          return { c, finding: await checker(req, c, v, s), error: null };
        } catch (err) {
          if ((err as Error).name === 'BudgetExhausted' || (err as { status?: number }).status) throw err;
          return { c, finding: null, error: (err as Error).message };
        }
      });
      if (!a) break;
      const { c, finding, error } = a.value;
      if (callsClientTool(c.completion)) return skipped('check', c, attempts);
      const pass = finding !== null && finding.share >= spec.min_supported;
      const report: AttemptReport = {
        attempt: i + 1,
        verdict: error ? 'error' : pass ? 'pass' : 'fail',
        ms: a.ms,
        ...(finding ? { score: finding.share, ...finding.detail } : {}),
        ...(error ? { reason: error } : !finding ? { reason: `the wrapped strategy did not pass: ${c.inner?.reason ?? ''}` } : !pass ? { reason: `${finding.problems.length} not supported: ${finding.problems.join('; ').slice(0, 1000)}` } : {}),
        ...(c.inner ? { inner: c.inner } : {}),
      };
      attempts.push(report);
      endAttempt(a.span, report);
      last = { c, share: finding?.share ?? 0 };
      if (pass) {
        return {
          completion: c.completion,
          headers: c.headers,
          report: { strategy: 'check', mode: spec.mode, verdict: 'passed', confidence: finding!.share, reason: i === 0 ? 'the draft passed the check' : `revision ${i} passed the check`, attempts, revised: i > 0 },
        };
      }
      if (error || !finding) break;
      messages = withFeedback(req.messages, c.content, revision(spec, finding.problems));
    }
    const lastReport = attempts.at(-1);
    return {
      completion: last?.c.completion ?? null,
      headers: last?.c.headers ?? {},
      report: {
        strategy: 'check',
        mode: spec.mode,
        verdict: lastReport?.verdict === 'error' ? 'failed' : 'abstained',
        confidence: last?.share ?? 0,
        reason: lastReport ? `the answer did not pass the check (${lastReport.reason})` : 'no answer was produced',
        attempts,
        ...(stopped ? { stopped } : {}),
      },
    };
  };
}
