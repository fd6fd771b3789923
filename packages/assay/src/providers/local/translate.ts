/**
 * OpenAI Chat Completions ⇄ node-llama-cpp, at the edge: request validation (unsupported
 * parameters are refused with a 400 naming the parameter), messages → chat history, tools →
 * functions, and the OpenAI response / chunk objects.
 *
 * Messages: system and developer → system items; user → user items; assistant text and
 * tool_calls → one model response whose function calls carry the results of the matching tool
 * messages (what node-llama-cpp's chat templates render). A trailing assistant message is
 * continued (prefill), as llama.cpp servers do.
 */
import { randomBytes } from 'node:crypto';
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatModelResponse } from 'node-llama-cpp';
import { badRequest } from '../../errors.js';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, ChatMessage, ToolCall, Usage } from '../../gateway/types.js';

export type ResponseFormatPlan = { kind: 'json' } | { kind: 'schema'; schema: Record<string, unknown> } | null;

export interface ChatPlan {
  history: ChatHistoryItem[];
  /** Functions the model may call (undefined: none, or tool_choice 'none'). */
  functions: ChatModelFunctions | undefined;
  /** tool_choice 'required' or a named function: the answer must be a call. */
  forceFunctionCall: boolean;
  maxParallelFunctionCalls: number | undefined;
  responseFormat: ResponseFormatPlan;
  /** Requested completion limit; null: the model's configured default. */
  maxTokens: number | null;
  temperature: number;
  topP: number | undefined;
  topK: number | undefined;
  minP: number | undefined;
  seed: number | undefined;
  stop: string[];
  presencePenalty: number;
  frequencyPenalty: number;
}

/** Validate a request and translate it; throws AssayError 400 for what local models cannot do. */
export function planChat(req: ChatRequest): ChatPlan {
  refuseUnsupported(req);
  if (!Array.isArray(req.messages) || req.messages.length === 0) {
    throw badRequest('messages must be a non-empty array', 'messages');
  }
  const history = toHistory(req.messages);
  const { functions, force } = toFunctions(req);
  const responseFormat = toResponseFormat(req);
  if (responseFormat && functions) {
    throw badRequest(
      'response_format json_object/json_schema cannot be combined with tools on local models; set tool_choice "none" or drop one of them',
      'response_format',
    );
  }
  const maxTokens = req.max_completion_tokens ?? req.max_tokens ?? null;
  if (maxTokens !== null) positiveInt(maxTokens, req.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens');
  return {
    history,
    functions,
    forceFunctionCall: force,
    maxParallelFunctionCalls: req.parallel_tool_calls === false ? 1 : undefined,
    responseFormat,
    maxTokens,
    temperature: range(req.temperature, 'temperature', 0, 2) ?? 1,
    topP: range(req.top_p, 'top_p', 0, 1),
    topK: optionalInt(req.top_k, 'top_k'),
    minP: range(req.min_p, 'min_p', 0, 1),
    seed: optionalInt(req.seed, 'seed'),
    stop: toStop(req.stop),
    presencePenalty: range(req.presence_penalty, 'presence_penalty', -2, 2) ?? 0,
    frequencyPenalty: range(req.frequency_penalty, 'frequency_penalty', -2, 2) ?? 0,
  };
}

function refuseUnsupported(req: ChatRequest): void {
  if (req.n != null && req.n !== 1) throw badRequest('n > 1 is not supported by local models: send one request per choice', 'n');
  if (req.logprobs === true || req.top_logprobs != null) {
    throw badRequest('logprobs are not supported by local models', req.logprobs === true ? 'logprobs' : 'top_logprobs');
  }
  const bias = req.logit_bias as Record<string, unknown> | null | undefined;
  if (bias != null && (typeof bias !== 'object' || Object.keys(bias).length > 0)) {
    throw badRequest('logit_bias is not supported by local models (token ids differ per model)', 'logit_bias');
  }
  if (req.audio != null) throw badRequest('audio output is not supported by local models', 'audio');
  const modalities = req.modalities as unknown;
  if (Array.isArray(modalities) && modalities.some((m) => m !== 'text')) {
    throw badRequest('local models only produce text: modalities must be ["text"]', 'modalities');
  }
  if (req.prediction != null) throw badRequest('predicted outputs are not supported by local models', 'prediction');
  if (req.functions != null || req.function_call != null) {
    throw badRequest('the legacy functions/function_call parameters are not supported: use tools and tool_choice', req.functions != null ? 'functions' : 'function_call');
  }
}

function textOf(content: ChatMessage['content'], param: string): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw badRequest('content must be a string or an array of content parts', param);
  const texts: string[] = [];
  content.forEach((part, j) => {
    if (part?.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part?.type === 'refusal') return;
    else throw badRequest(`content part type "${String(part?.type)}" is not supported by local models (text only)`, `${param}[${j}]`);
  });
  return texts.join('\n');
}

/** A tool call's arguments or a tool result: parsed JSON when it is JSON, else the text. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  let current: ChatModelResponse | null = null;
  const awaiting = new Map<string, ChatModelFunctionCall>();
  messages.forEach((m, i) => {
    const p = `messages[${i}]`;
    if (!m || typeof m !== 'object') throw badRequest('each message must be an object', p);
    switch (m.role) {
      case 'system':
      case 'developer':
        history.push({ type: 'system', text: textOf(m.content, `${p}.content`) });
        current = null;
        return;
      case 'user':
        history.push({ type: 'user', text: textOf(m.content, `${p}.content`) });
        current = null;
        return;
      case 'assistant': {
        if (!current) {
          current = { type: 'model', response: [] };
          history.push(current);
        }
        const text = textOf(m.content, `${p}.content`);
        if (text) current.response.push(text);
        (m.tool_calls ?? []).forEach((tc: ToolCall, j) => {
          const tp = `${p}.tool_calls[${j}]`;
          if (tc?.type !== 'function' || typeof tc.function?.name !== 'string') {
            throw badRequest('tool calls must be {type: "function", function: {name, arguments}}', tp);
          }
          const call: ChatModelFunctionCall = {
            type: 'functionCall',
            name: tc.function.name,
            params: parseValue(tc.function.arguments ?? '{}'),
            result: undefined,
            ...(j === 0 ? { startsNewChunk: true } : {}),
          };
          current!.response.push(call);
          awaiting.set(String(tc.id), call);
        });
        return;
      }
      case 'tool': {
        const call = awaiting.get(String(m.tool_call_id));
        if (!call) throw badRequest(`tool message answers tool_call_id "${String(m.tool_call_id)}", which no earlier assistant message called`, `${p}.tool_call_id`);
        call.result = parseValue(textOf(m.content, `${p}.content`));
        awaiting.delete(String(m.tool_call_id));
        return;
      }
      case 'function':
        throw badRequest('role "function" (legacy function calling) is not supported: use tool messages', `${p}.role`);
      default:
        throw badRequest(`unknown role "${String(m.role)}"`, `${p}.role`);
    }
  });
  if (awaiting.size > 0) {
    throw badRequest(
      `an assistant message with tool_calls must be followed by tool messages answering each tool_call_id (missing: ${[...awaiting.keys()].join(', ')})`,
      'messages',
    );
  }
  return history;
}

function toFunctions(req: ChatRequest): { functions: ChatModelFunctions | undefined; force: boolean } {
  const tools = req.tools ?? [];
  if (!Array.isArray(tools)) throw badRequest('tools must be an array', 'tools');
  const choice = req.tool_choice;
  const all: Record<string, { description?: string; params?: never }> = {};
  tools.forEach((t, i) => {
    if (t?.type !== 'function' || typeof t.function?.name !== 'string' || !t.function.name) {
      throw badRequest('only function tools ({type: "function", function: {name, parameters}}) are supported by local models', `tools[${i}]`);
    }
    if (t.function.name in all) throw badRequest(`duplicate tool name "${t.function.name}"`, `tools[${i}].function.name`);
    const params = t.function.parameters;
    if (params != null && (typeof params !== 'object' || Array.isArray(params))) {
      throw badRequest('parameters must be a JSON schema object', `tools[${i}].function.parameters`);
    }
    all[t.function.name] = {
      ...(t.function.description ? { description: t.function.description } : {}),
      ...(params != null ? { params: params as never } : {}),
    };
  });
  if (choice == null || choice === 'auto') return { functions: tools.length ? all : undefined, force: false };
  if (choice === 'none') return { functions: undefined, force: false };
  if (tools.length === 0) throw badRequest('tool_choice requires tools', 'tool_choice');
  if (choice === 'required') return { functions: all, force: true };
  if (typeof choice === 'object' && choice.type === 'function' && typeof choice.function?.name === 'string') {
    const name = choice.function.name;
    if (!(name in all)) throw badRequest(`tool_choice names "${name}", which is not in tools`, 'tool_choice');
    return { functions: { [name]: all[name] }, force: true };
  }
  throw badRequest('tool_choice must be "none", "auto", "required" or {type: "function", function: {name}}', 'tool_choice');
}

function toResponseFormat(req: ChatRequest): ResponseFormatPlan {
  const rf = req.response_format;
  if (rf == null || rf.type === 'text') return null;
  if (rf.type === 'json_object') return { kind: 'json' };
  if (rf.type === 'json_schema') {
    const schema = rf.json_schema?.schema;
    if (schema == null) return { kind: 'json' };
    if (typeof schema !== 'object' || Array.isArray(schema)) throw badRequest('json_schema.schema must be an object', 'response_format.json_schema.schema');
    return { kind: 'schema', schema };
  }
  throw badRequest(`response_format type "${String((rf as { type?: unknown }).type)}" is not supported`, 'response_format.type');
}

function toStop(stop: ChatRequest['stop']): string[] {
  if (stop == null) return [];
  if (typeof stop === 'string') return stop ? [stop] : [];
  if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) return stop.filter((s) => s.length > 0);
  throw badRequest('stop must be a string or an array of strings', 'stop');
}

function range(v: unknown, param: string, min: number, max: number): number | undefined {
  if (v == null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw badRequest(`${param} must be a number from ${min} to ${max}`, param);
  return v;
}

function optionalInt(v: unknown, param: string): number | undefined {
  if (v == null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badRequest(`${param} must be an integer`, param);
  return v;
}

function positiveInt(v: unknown, param: string): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw badRequest(`${param} must be a positive integer`, param);
}

// ---- responses ----

export function completionId(): string {
  return `chatcmpl-${randomBytes(12).toString('hex')}`;
}

export function toolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

export interface Outcome {
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  usage: Usage;
}

export function toCompletion(id: string, created: number, model: string, o: Outcome): ChatCompletion {
  const toolCalls: ToolCall[] = o.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: o.text === '' && toolCalls.length > 0 ? null : o.text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: o.finishReason,
        logprobs: null,
      },
    ],
    usage: o.usage,
  };
}

/** Builds the chunks of one streamed completion. */
export class ChunkFactory {
  constructor(
    readonly id: string,
    readonly created: number,
    readonly model: string,
  ) {}

  private base(): { id: string; object: 'chat.completion.chunk'; created: number; model: string } {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }

  role(): ChatCompletionChunk {
    return { ...this.base(), choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
  }

  content(text: string): ChatCompletionChunk {
    return { ...this.base(), choices: [{ index: 0, delta: { content: text }, finish_reason: null }] };
  }

  toolStart(index: number, id: string, name: string): ChatCompletionChunk {
    return {
      ...this.base(),
      choices: [{ index: 0, delta: { tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] }, finish_reason: null }],
    };
  }

  toolArgs(index: number, args: string): ChatCompletionChunk {
    return { ...this.base(), choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: args } }] }, finish_reason: null }] };
  }

  finish(reason: Outcome['finishReason']): ChatCompletionChunk {
    return { ...this.base(), choices: [{ index: 0, delta: {}, finish_reason: reason }] };
  }

  usage(usage: Usage): ChatCompletionChunk {
    return { ...this.base(), choices: [], usage };
  }
}
