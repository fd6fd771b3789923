/**
 * Grader calls for model-graded assertions. `graderFromChat` builds the `grade` dependency over the
 * gateway's ChatHandler (each call traced as an `evaluator` span under the context's span);
 * `askGrader` sends one grading request at temperature 0 with a json_schema response format and
 * checks the answer: a failed call, an answer that is not JSON, or JSON that does not match the
 * schema is a GraderFailure carrying the rendered prompt and the raw answer for the result.
 */
import { wholeCompletion } from '../../gateway/accumulate.js';
import type { CallContext, ChatHandler } from '../../gateway/spec.js';
import { contentText as textOf } from '../../gateway/content.js';
import type { ChatMessage } from '../../gateway/types.js';
import type { Span } from '../../tracing/span.js';
import { compileSchema, formatIssues } from './json-schema.js';
import type { GradeFn, GradingMetadata } from './types.js';


/**
 * The `grade` dependency over a ChatHandler; `makeCtx` gives each call its context (span, signal,
 * key). The call is traced as an `evaluator` span under the caller's `parent` span when given, else
 * under the context's span.
 */
export function graderFromChat(chat: ChatHandler, makeCtx: () => CallContext): GradeFn {
  return async (req, opts) => {
    const base = makeCtx();
    const span = (opts.parent ?? base.span).child('evaluator', `grader ${req.model}`, { model: req.model });
    span.set({ input: { messages: req.messages, response_format: req.response_format, temperature: req.temperature } });
    const signal = opts.signal ? AbortSignal.any([base.signal, opts.signal]) : base.signal;
    const ctx: CallContext = { ...base, traceId: span.traceId, signal, span };
    try {
      const completion = await wholeCompletion(await chat({ ...req, stream: false }, ctx));
      const choice = completion.choices?.[0];
      const refusal = choice?.message?.refusal;
      if (refusal) throw new Error(`the grader refused: ${refusal}`);
      const content = textOf(choice?.message?.content);
      if (!content.trim()) throw new Error(`the grader returned no content (finish reason: ${choice?.finish_reason ?? 'none'})`);
      const u = completion.usage;
      span.end({
        status_code: 200,
        output: content,
        input_tokens: u?.prompt_tokens ?? null,
        output_tokens: u?.completion_tokens ?? null,
        total_tokens: u?.total_tokens ?? null,
        ...(u ? { usage: u as Record<string, unknown> } : {}),
      });
      return { content, raw: completion };
    } catch (err) {
      const e = err as { message?: string; status?: number };
      span.fail({ message: e.message ?? String(err), status: e.status });
      span.end();
      throw err;
    }
  };
}

/** A grading call that did not produce a usable answer; never a pass. */
export class GraderFailure extends Error {
  constructor(
    message: string,
    readonly metadata: GradingMetadata,
  ) {
    super(message);
    this.name = 'GraderFailure';
  }
}

export interface GraderAsk {
  grade: GradeFn;
  model: string;
  messages: ChatMessage[];
  /** json_schema name and schema (strict-mode compatible: every property required, no extras). */
  name: string;
  schema: Record<string, unknown>;
  signal?: AbortSignal;
  parent?: Span;
}

/** The prompt as stored in metadata: the text of a single user message, else the messages as JSON. */
export function promptText(messages: ChatMessage[]): string {
  if (messages.length === 1 && messages[0].role === 'user' && typeof messages[0].content === 'string') return messages[0].content;
  return JSON.stringify(messages);
}

/** Strips one surrounding ``` fence (some local models add one even under json_schema). */
function unfence(s: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i.exec(s);
  return m ? m[1] : s.trim();
}

/** Sends the request and returns the parsed, schema-checked answer; throws GraderFailure. */
export async function askGrader(a: GraderAsk): Promise<{ data: Record<string, unknown>; metadata: GradingMetadata }> {
  const metadata: GradingMetadata = { renderedGradingPrompt: promptText(a.messages), graderModel: a.model };
  let content: string;
  try {
    const res = await a.grade(
      { model: a.model, messages: a.messages, temperature: 0, response_format: { type: 'json_schema', json_schema: { name: a.name, schema: a.schema, strict: true } } },
      { signal: a.signal, parent: a.parent },
    );
    content = res.content;
  } catch (err) {
    const e = err as { message?: string; status?: number };
    throw new GraderFailure(`grader call failed${e.status ? ` (HTTP ${e.status})` : ''}: ${e.message ?? String(err)}`, metadata);
  }
  metadata.graderOutput = content;
  let data: unknown;
  try {
    data = JSON.parse(unfence(content));
  } catch (err) {
    throw new GraderFailure(`grader answer is not valid JSON: ${(err as Error).message}`, metadata);
  }
  const issues = compileSchema(a.schema)(data);
  if (issues.length) throw new GraderFailure(`grader answer does not match the ${a.name} schema: ${formatIssues(issues)}`, metadata);
  return { data: data as Record<string, unknown>, metadata };
}
