/**
 * OpenAI Chat Completions and Embeddings (request, response, stream chunks) as observation fields
 * and OpenTelemetry GenAI attributes. Everything here reads untyped JSON defensively.
 *
 * Messages are recorded once, in OpenAI's own shape (`langfuse.observation.input|output`, as the
 * gateway records its calls), not a second time as `gen_ai.input|output.messages`: Assay prefers
 * the langfuse attributes and would keep the copy as metadata, storing every prompt twice.
 */
import type { Attributes } from '@opentelemetry/api';
import { ATTR } from './attributes.js';
import type { Observation } from './observation.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Request fields that are content, not parameters. */
const NOT_PARAMETERS = new Set(['model', 'messages', 'input', 'tools', 'functions', 'tool_choice', 'response_format', 'stream_options', 'metadata', 'prediction', 'audio']);

export function modelParameters(params: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(params)) {
    if (NOT_PARAMETERS.has(k)) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (k === 'stop' && Array.isArray(v)) out[k] = v;
  }
  return out;
}

export function chatInput(params: Json): unknown {
  return params.tools !== undefined ? { messages: params.messages, tools: params.tools } : params.messages;
}

interface ChatAnswer {
  id?: string;
  model?: string;
  choices: { message: Json; finish_reason?: unknown }[];
  usage?: unknown;
}

/** Records a chat answer (a response, or one accumulated from a stream) on the generation. */
export function recordChatAnswer(obs: Observation, answer: ChatAnswer): void {
  const messages = answer.choices.map((c) => c.message);
  const attrs: Attributes = {};
  if (answer.id) attrs[ATTR.responseId] = answer.id;
  const reasons = answer.choices.map((c) => c.finish_reason).filter((r): r is string => typeof r === 'string');
  if (reasons.length) attrs[ATTR.finishReasons] = reasons;
  obs.setAttributes(attrs);
  obs.update({
    output: messages.length === 0 ? undefined : messages.length === 1 ? messages[0] : messages,
    model: answer.model,
    usage: answer.usage ?? undefined,
  });
}

export function chatCompletionAnswer(completion: unknown): ChatAnswer {
  const c = obj(completion);
  return {
    id: str(c.id),
    model: str(c.model),
    choices: arr(c.choices).map((ch) => ({ message: obj(obj(ch).message), finish_reason: obj(ch).finish_reason })),
    usage: c.usage ?? undefined,
  };
}

export function recordEmbeddings(obs: Observation, response: unknown): void {
  const r = obj(response);
  const data = arr(r.data);
  const first = obj(data[0]).embedding;
  obs.update({
    // The vectors themselves are large and rarely useful in a trace: record their shape.
    output: { embeddings: data.length, dimensions: Array.isArray(first) ? first.length : undefined },
    model: str(r.model),
    usage: r.usage ?? undefined,
  });
}

interface ChoiceState {
  role?: string;
  content: string;
  refusal: string;
  toolCalls: Map<number, { id?: string; type?: string; name: string; arguments: string }>;
  finishReason?: unknown;
}

/** Rebuilds the answer from stream chunks as they pass by: content, tool calls, finish reasons, usage. */
export class ChatStreamAccumulator {
  private id?: string;
  private model?: string;
  private usage?: unknown;
  private readonly choices = new Map<number, ChoiceState>();

  add(chunk: unknown): void {
    const c = obj(chunk);
    this.id ??= str(c.id);
    this.model ??= str(c.model);
    if (c.usage) this.usage = c.usage;
    for (const raw of arr(c.choices)) {
      const choice = obj(raw);
      const index = typeof choice.index === 'number' ? choice.index : 0;
      let state = this.choices.get(index);
      if (!state) {
        state = { content: '', refusal: '', toolCalls: new Map() };
        this.choices.set(index, state);
      }
      const delta = obj(choice.delta);
      if (typeof delta.role === 'string') state.role = delta.role;
      if (typeof delta.content === 'string') state.content += delta.content;
      if (typeof delta.refusal === 'string') state.refusal += delta.refusal;
      for (const t of arr(delta.tool_calls)) {
        const call = obj(t);
        const i = typeof call.index === 'number' ? call.index : state.toolCalls.size;
        let tc = state.toolCalls.get(i);
        if (!tc) {
          tc = { name: '', arguments: '' };
          state.toolCalls.set(i, tc);
        }
        if (typeof call.id === 'string') tc.id = call.id;
        if (typeof call.type === 'string') tc.type = call.type;
        const fn = obj(call.function);
        if (typeof fn.name === 'string') tc.name += fn.name;
        if (typeof fn.arguments === 'string') tc.arguments += fn.arguments;
      }
      if (choice.finish_reason !== undefined && choice.finish_reason !== null) state.finishReason = choice.finish_reason;
    }
  }

  answer(): ChatAnswer {
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, s]) => {
        const message: Json = { role: s.role ?? 'assistant', content: s.content || null };
        if (s.refusal) message.refusal = s.refusal;
        if (s.toolCalls.size) {
          message.tool_calls = [...s.toolCalls.entries()]
            .sort(([a], [b]) => a - b)
            .map(([, t]) => ({ id: t.id, type: t.type ?? 'function', function: { name: t.name, arguments: t.arguments } }));
        }
        return { message, finish_reason: s.finishReason };
      });
    return { id: this.id, model: this.model, choices, usage: this.usage };
  }
}
