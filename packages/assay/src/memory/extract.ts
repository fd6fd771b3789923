/**
 * Fact extraction after a conversation: the transcript (user and assistant turns, newest kept when
 * long) goes to `memory.extract_model` through the gateway's chat pipeline with a JSON schema
 * response format `{facts: string[]}` at temperature 0. The call is traced as a `memory.extract`
 * generation (under the caller's span, or as its own trace). Output that is not that JSON is an
 * error the caller gets back as a value; nothing here throws.
 */
import { wholeCompletion as completion } from '../gateway/accumulate.js';
import type { CallContext, CallKey, ChatHandler } from '../gateway/spec.js';
import { splitOwner } from './owner.js';
import type { ChatCompletion, ChatMessage, ChatRequest } from '../gateway/types.js';
import { newTraceId } from '../tracing/ids.js';
import { emptyObservation, Span, type ObservationSink } from '../tracing/span.js';
import { MAX_TEXT_CHARS } from './text.js';

/** The transcript sent to the model keeps the newest turns up to this many characters. */
export const MAX_TRANSCRIPT_CHARS = 24_000;
/** Facts kept from one extraction (the rest are dropped). */
export const MAX_FACTS = 20;

export const EXTRACT_SYSTEM_PROMPT = [
  'You maintain a long-term memory about one user of an assistant.',
  'From the conversation below, extract durable facts about the user that are worth remembering for future conversations:',
  'preferences, personal details, relationships, work, goals, constraints (health, diet, accessibility), recurring context.',
  'Each fact is one short standalone sentence about the user in the third person, without their name (e.g. "Is allergic to peanuts.", "Prefers answers in French.").',
  'Do not include: facts about the assistant, one-off requests or questions, the content of answers, transient states ("is tired today"), or anything the user did not state or clearly imply.',
  'If there is nothing durable to remember, return an empty list.',
  'Answer only with JSON: {"facts": ["..."]}.',
].join('\n');

export const FACTS_RESPONSE_FORMAT = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'memory_facts',
    strict: true,
    schema: {
      type: 'object',
      properties: { facts: { type: 'array', items: { type: 'string' } } },
      required: ['facts'],
      additionalProperties: false,
    },
  },
};

export interface ExtractCallOptions {
  parent?: Span;
  signal?: AbortSignal;
  keyId?: string | null;
  /** The key of the call the conversation came from: the extraction model must be one it may call. */
  key?: CallKey;
  sessionId?: string | null;
}

export interface ExtractedFacts {
  facts: string[];
  error?: string;
  /** The extraction's span (still open: the caller ends it after storing). */
  span: Span;
}

/** Text of a message's content (text parts only). */
function contentText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).filter(Boolean).join('\n');
  return '';
}

/** `user: …` / `assistant: …` lines, newest kept within the bound. */
export function transcript(messages: readonly ChatMessage[]): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user' && m.role !== 'assistant') continue;
    const text = contentText(m).trim();
    if (!text) continue;
    let line = `${m.role}: ${text}`;
    if (size + line.length > MAX_TRANSCRIPT_CHARS) {
      if (lines.length > 0) break;
      line = `${line.slice(0, MAX_TRANSCRIPT_CHARS)}…`; // one huge message: keep its start
    }
    lines.push(line);
    size += line.length + 1;
  }
  return lines.reverse().join('\n');
}

/** The model's answer → facts, or why it is not `{facts: string[]}`. */
export function parseFacts(content: string | null | undefined): { facts: string[] } | { error: string } {
  if (typeof content !== 'string' || content.trim() === '') return { error: 'the extraction model returned no content' };
  const body = content.trim().replace(/^```(?:json)?\s*\n?([\s\S]*?)\n?```$/u, '$1');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return { error: `the extraction model did not return JSON (${(err as Error).message}): ${JSON.stringify(content.slice(0, 200))}` };
  }
  const facts = (parsed as { facts?: unknown } | null)?.facts;
  if (!parsed || typeof parsed !== 'object' || !Array.isArray(facts)) {
    return { error: `the extraction model returned JSON without a "facts" array: ${JSON.stringify(content.slice(0, 200))}` };
  }
  if (!facts.every((f) => typeof f === 'string')) return { error: 'the extraction model returned "facts" that are not all strings' };
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of facts as string[]) {
    const t = f.trim();
    if (!t || t.length > MAX_TEXT_CHARS || seen.has(t)) continue;
    seen.add(t);
    out.push(t);
    if (out.length === MAX_FACTS) break;
  }
  return { facts: out };
}


/**
 * Asks `model` for the facts of the owner's user (memory/owner.ts) in `messages`, through `chat` as
 * `opts.key` (whose model allow-list the router applies). Never throws: failures come back as `error`.
 */
export async function extractFacts(
  deps: { chat: ChatHandler; model: string; sink: ObservationSink },
  userId: string,
  messages: readonly ChatMessage[],
  opts: ExtractCallOptions = {},
): Promise<ExtractedFacts> {
  const { user } = splitOwner(userId);
  const span = opts.parent
    ? opts.parent.child('generation', 'memory.extract', { model: deps.model, user_id: user })
    : new Span(deps.sink, emptyObservation({ trace_id: newTraceId(), type: 'generation', name: 'memory.extract', model: deps.model, user_id: user, key_id: opts.keyId ?? null, session_id: opts.sessionId ?? null }));
  const fail = (error: string, status?: number): ExtractedFacts => {
    span.fail({ message: error, status });
    return { facts: [], error, span };
  };
  const text = transcript(messages);
  if (!text) {
    span.set({ output: { facts: [] } }).meta({ skipped: 'no user or assistant text' });
    return { facts: [], span };
  }
  const req: ChatRequest = {
    model: deps.model,
    messages: [
      { role: 'system', content: EXTRACT_SYSTEM_PROMPT },
      { role: 'user', content: `Conversation:\n${text}` },
    ],
    temperature: 0,
    response_format: FACTS_RESPONSE_FORMAT,
    stream: false,
  };
  span.set({ input: { messages: messages.length, chars: text.length } });
  const ctx: CallContext = {
    traceId: span.traceId,
    signal: opts.signal ?? new AbortController().signal,
    keyId: opts.key?.id ?? opts.keyId ?? span.observation.key_id,
    ...(opts.key ? { key: opts.key } : {}),
    userId: user,
    sessionId: opts.sessionId ?? null,
    tags: [],
    metadata: {},
    span,
  };
  let res: ChatCompletion;
  try {
    res = await completion(await deps.chat(req, ctx));
  } catch (err) {
    const e = err as { message?: string; status?: number };
    return fail(`the extraction call to ${deps.model} failed: ${e.message ?? String(err)}`, e.status);
  }
  const u = res.usage;
  span.set({
    status_code: 200,
    input_tokens: u?.prompt_tokens ?? null,
    output_tokens: u?.completion_tokens ?? null,
    total_tokens: u?.total_tokens ?? null,
    ...(u ? { usage: u as Record<string, unknown> } : {}),
  });
  const parsed = parseFacts(res.choices?.[0]?.message?.content as string | null | undefined);
  if ('error' in parsed) return fail(parsed.error);
  span.set({ output: { facts: parsed.facts } });
  return { facts: parsed.facts, span };
}
