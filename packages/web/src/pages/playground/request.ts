/**
 * The playground's editable form of an OpenAI chat request, and the two ways across:
 * draftFromRequest (prefill from a traced request body, exactly: every field the form has no input
 * for goes to a JSON box) and requestFromDraft (the body that Send posts).
 */

export const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;

export interface DraftMessage {
  /** Stable React key. */
  id: number;
  role: string;
  content: string;
  /** Other fields of the message as a JSON object text (name, tool_calls, tool_call_id, non-text content …), '' for none. */
  fields: string;
}

export interface Draft {
  model: string;
  messages: DraftMessage[];
  /** Numbers as typed; '' means "not sent". */
  temperature: string;
  max_tokens: string;
  top_p: string;
  stream: boolean;
  /** Every other request field, as a JSON object text. */
  extra: string;
}

let nextId = 1;
export function newMessage(role = 'user', content = '', fields = ''): DraftMessage {
  return { id: nextId++, role, content, fields };
}

export const DEFAULT_EXTRA = '{\n  "stream_options": { "include_usage": true }\n}';

export function emptyDraft(model = ''): Draft {
  return {
    model,
    messages: [newMessage('system', 'You are a helpful assistant.'), newMessage('user', '')],
    temperature: '',
    max_tokens: '',
    top_p: '',
    stream: true,
    extra: DEFAULT_EXTRA,
  };
}

const pretty = (v: Record<string, unknown>) => (Object.keys(v).length ? JSON.stringify(v, null, 2) : '');

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A recorded request body → the form. Throws when it is not a chat request. */
export function draftFromRequest(input: unknown): Draft {
  if (!isObject(input)) throw new Error('This observation has no request body (bodies may not be stored: tracing.store_bodies).');
  const rest: Record<string, unknown> = { ...input };
  const take = <T>(key: string, ok: (v: unknown) => v is T): T | undefined => {
    if (!(key in rest) || !ok(rest[key])) return undefined;
    const v = rest[key] as T;
    delete rest[key];
    return v;
  };
  const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const isInt = (v: unknown): v is number => Number.isInteger(v);
  const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
  const isStr = (v: unknown): v is string => typeof v === 'string';
  const isMessages = (v: unknown): v is Record<string, unknown>[] => Array.isArray(v) && v.every((m) => isObject(m) && typeof m.role === 'string');

  const model = take('model', isStr) ?? '';
  const msgs = take('messages', isMessages);
  const temperature = take('temperature', isNum);
  const maxTokens = take('max_tokens', isInt);
  const topP = take('top_p', isNum);
  // `stream: false` is the same request as no `stream`; keep an explicit false in the JSON box anyway.
  const stream = rest.stream === true ? (delete rest.stream, true) : false;

  const messages = (msgs ?? []).map((m) => {
    const { role, content, ...other } = m as { role: string; content?: unknown } & Record<string, unknown>;
    if (typeof content === 'string') return newMessage(role, content, pretty(other));
    return newMessage(role, '', pretty(content === undefined ? other : { content, ...other }));
  });
  return {
    model,
    messages,
    temperature: temperature === undefined ? '' : String(temperature),
    max_tokens: maxTokens === undefined ? '' : String(maxTokens),
    top_p: topP === undefined ? '' : String(topP),
    stream,
    extra: pretty(rest) || '{}',
  };
}

export class DraftError extends Error {}

function parseObject(text: string, what: string): Record<string, unknown> {
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new DraftError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(v)) throw new DraftError(`${what} must be a JSON object ({ … })`);
  return v;
}

function parseNumber(text: string, what: string, integer = false): number | undefined {
  if (!text.trim()) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new DraftError(`${what} must be ${integer ? 'a whole number' : 'a number'}`);
  return n;
}

/** The form → the request body. Throws DraftError with a readable message. */
export function requestFromDraft(d: Draft): Record<string, unknown> {
  if (!d.model.trim()) throw new DraftError('Pick a model or route');
  const messages = d.messages.map((m, i) => {
    const fields = parseObject(m.fields, `Other fields of message ${i + 1}`);
    return { role: m.role, content: m.content, ...fields };
  });
  const extra = parseObject(d.extra, 'Other request fields');
  const body: Record<string, unknown> = { model: d.model.trim(), messages };
  const temperature = parseNumber(d.temperature, 'Temperature');
  const maxTokens = parseNumber(d.max_tokens, 'Max tokens', true);
  const topP = parseNumber(d.top_p, 'Top p');
  if (temperature !== undefined) body.temperature = temperature;
  if (maxTokens !== undefined) body.max_tokens = maxTokens;
  if (topP !== undefined) body.top_p = topP;
  if (d.stream) body.stream = true;
  return { ...body, ...extra };
}

/** Turn streaming on or off; the usage option only makes sense with a stream, so it follows along. */
export function withStream(d: Draft, stream: boolean): Draft {
  let extra = d.extra;
  try {
    const obj = parseObject(d.extra, 'x');
    let changed = false;
    if (stream && obj.stream === false) {
      delete obj.stream;
      changed = true;
    }
    if (!stream && 'stream_options' in obj) {
      delete obj.stream_options;
      changed = true;
    } else if (stream && !('stream_options' in obj)) {
      obj.stream_options = { include_usage: true };
      changed = true;
    }
    if (changed) extra = pretty(obj) || '{}';
  } catch {
    /* leave an invalid JSON box alone: Send will say what is wrong */
  }
  return { ...d, stream, extra };
}
