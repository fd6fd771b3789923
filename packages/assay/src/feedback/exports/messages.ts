/**
 * Conversion of the gateway's chat messages (OpenAI wire shape) into the two message conventions
 * the exports write: OpenAI (tool-call `arguments` as a JSON string, tool results by
 * `tool_call_id`, assistant `content: null` when it only calls tools) and TRL conversational
 * (`arguments` as an object, tool results `{role: 'tool', name, content}`), plus the plain-text
 * rendering of TRL's standard style. Anything that cannot be converted faithfully throws RowError,
 * whose message becomes the record's rejection reason.
 */
import type { ChatMessage, FunctionTool, ToolCall } from '../../gateway/types.js';
import type { Conversation } from './types.js';

export class RowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RowError';
  }
}

type Json = Record<string, unknown>;

/** The text of a message: a string, text parts joined, or null when there is none. Other parts are refused. */
export function textOf(m: ChatMessage, what: string): string | null {
  const c = m.content;
  if (c === undefined || c === null) return null;
  if (typeof c === 'string') return c;
  if (!Array.isArray(c)) throw new RowError(`${what}: content must be a string or a list of parts`);
  let out = '';
  for (const p of c) {
    if (p?.type !== 'text' || typeof p.text !== 'string') {
      throw new RowError(`${what}: only text content can be exported (found a '${String(p?.type)}' part)`);
    }
    out += p.text;
  }
  return out;
}

/** 'developer' is written as 'system' (neither OpenAI fine-tuning nor TRL knows it); legacy 'function' is refused. */
function roleOf(m: ChatMessage, what: string): 'system' | 'user' | 'assistant' | 'tool' {
  switch (m.role) {
    case 'system':
    case 'developer':
      return 'system';
    case 'user':
    case 'assistant':
    case 'tool':
      return m.role;
    default:
      throw new RowError(`${what}: role '${String(m.role)}' cannot be exported (system, developer, user, assistant or tool)`);
  }
}

/** The answer being trained on must be an assistant turn with text or tool calls. */
export function checkAnswer(m: ChatMessage, what: string): void {
  if (!m || typeof m !== 'object') throw new RowError(`${what} is missing`);
  if (m.role !== 'assistant') throw new RowError(`${what} must be an assistant message (got role '${String(m.role)}')`);
  const text = textOf(m, what);
  if ((text === null || text === '') && !(m.tool_calls?.length)) throw new RowError(`${what} is empty (no text and no tool calls)`);
}

function calls(m: ChatMessage, what: string): ToolCall[] {
  if (m.tool_calls === undefined || m.tool_calls === null) return [];
  if (!Array.isArray(m.tool_calls)) throw new RowError(`${what}: tool_calls must be a list`);
  return m.tool_calls;
}

function parseArguments(c: ToolCall, what: string): unknown {
  const name = c?.function?.name;
  const args = c?.function?.arguments;
  if (typeof args !== 'string') throw new RowError(`${what}: tool call ${c?.id ?? '?'} (${String(name)}) has no arguments string`);
  try {
    return JSON.parse(args === '' ? '{}' : args);
  } catch {
    throw new RowError(`${what}: tool call ${c.id} (${String(name)}) has arguments that are not valid JSON`);
  }
}

function toolDef(t: FunctionTool): Json {
  const f = t.function ?? ({} as FunctionTool['function']);
  const fn: Json = { name: f.name };
  if (f.description !== undefined) fn.description = f.description;
  if (f.parameters !== undefined) fn.parameters = f.parameters;
  if (f.strict !== undefined) fn.strict = f.strict;
  return { type: t.type, function: fn };
}

/** Tool definitions as both conventions write them: `{type: 'function', function: {name, description?, parameters?, strict?}}`. */
export function toolDefs(tools: FunctionTool[]): Json[] {
  return tools.map(toolDef);
}

// ---- OpenAI convention ----

/** One message as OpenAI fine-tuning files write it. `weight` only on assistant messages. */
export function openaiMessage(m: ChatMessage, what: string, weight?: unknown): Json {
  const role = roleOf(m, what);
  const text = textOf(m, what);
  if (role === 'assistant') {
    const cs = calls(m, what);
    if ((text === null || text === '') && cs.length === 0) throw new RowError(`${what}: assistant turn has no text and no tool calls`);
    const out: Json = { role, content: cs.length > 0 && text === '' ? null : text };
    if (cs.length > 0) {
      out.tool_calls = cs.map((c) => {
        parseArguments(c, what);
        return { id: c.id, type: c.type, function: { name: c.function.name, arguments: c.function.arguments === '' ? '{}' : c.function.arguments } };
      });
    }
    if (weight !== undefined) out.weight = weight;
    return out;
  }
  if (text === null) throw new RowError(`${what}: ${role} turn has no content`);
  if (role === 'tool') {
    if (typeof m.tool_call_id !== 'string') throw new RowError(`${what}: tool result has no tool_call_id`);
    return { role, tool_call_id: m.tool_call_id, content: text };
  }
  return { role, content: text };
}

/** The prompt messages in the OpenAI convention; a `weight` of 0 or 1 on a prompt-side assistant turn is kept. */
export function openaiPrompt(conv: Conversation): Json[] {
  if (!Array.isArray(conv?.messages) || conv.messages.length === 0) throw new RowError('the prompt has no messages');
  return conv.messages.map((m, i) => openaiMessage(m, `prompt message ${i}`, m.role === 'assistant' && (m.weight === 0 || m.weight === 1) ? m.weight : undefined));
}

// ---- TRL conversational convention ----

function trlMessage(m: ChatMessage, what: string, names: Map<string, string>): Json {
  const role = roleOf(m, what);
  const text = textOf(m, what);
  if (role === 'assistant') {
    const cs = calls(m, what);
    if ((text === null || text === '') && cs.length === 0) throw new RowError(`${what}: assistant turn has no text and no tool calls`);
    const out: Json = { role };
    if (text !== null && (text !== '' || cs.length === 0)) out.content = text;
    if (cs.length > 0) {
      out.tool_calls = cs.map((c) => {
        const args = parseArguments(c, what);
        if (!args || typeof args !== 'object' || Array.isArray(args)) {
          throw new RowError(`${what}: tool call ${c.id} (${c.function.name}) has arguments that are not a JSON object`);
        }
        return { type: c.type, function: { name: c.function.name, arguments: args } };
      });
    }
    return out;
  }
  if (text === null) throw new RowError(`${what}: ${role} turn has no content`);
  if (role === 'tool') {
    const name = (typeof m.tool_call_id === 'string' ? names.get(m.tool_call_id) : undefined) ?? m.name;
    if (typeof name !== 'string') throw new RowError(`${what}: tool result matches no earlier tool call (tool_call_id ${String(m.tool_call_id)})`);
    return { role, name, content: text };
  }
  return { role, content: text };
}

/** The prompt messages in TRL's convention (tool results named after the call they answer). */
export function trlPrompt(conv: Conversation): Json[] {
  if (!Array.isArray(conv?.messages) || conv.messages.length === 0) throw new RowError('the prompt has no messages');
  const names = new Map<string, string>();
  return conv.messages.map((m, i) => {
    for (const c of m.role === 'assistant' ? calls(m, `prompt message ${i}`) : []) {
      if (typeof c?.id === 'string' && typeof c.function?.name === 'string') names.set(c.id, c.function.name);
    }
    return trlMessage(m, `prompt message ${i}`, names);
  });
}

/** An answer in TRL's convention. */
export function trlAnswer(m: ChatMessage, what: string): Json {
  checkAnswer(m, what);
  return trlMessage(m, what, new Map());
}

// ---- TRL standard (plain text) ----

/** Standard style: the prompt is text only when it is exactly one user message and offers no tools. */
export function promptText(conv: Conversation): string {
  const ms = Array.isArray(conv?.messages) ? conv.messages : [];
  if (ms.length !== 1 || ms[0].role !== 'user') {
    const roles = ms.map((m) => m.role).join(', ') || 'none';
    throw new RowError(
      `the standard (text) style needs a prompt of exactly one user message; this one has ${ms.length} (${roles}): use style 'conversational'`,
    );
  }
  if (conv.tools?.length) throw new RowError(`the standard (text) style cannot carry tools: use style 'conversational'`);
  const text = textOf(ms[0], 'prompt message 0');
  if (text === null) throw new RowError('prompt message 0: user turn has no content');
  return text;
}

/** Standard style: the answer's text (an answer with tool calls needs the conversational style). */
export function answerText(m: ChatMessage, what: string): string {
  checkAnswer(m, what);
  if (m.tool_calls?.length) throw new RowError(`${what} calls tools, which the standard (text) style cannot carry: use style 'conversational'`);
  return textOf(m, what) ?? '';
}
