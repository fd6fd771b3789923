/**
 * Model inputs and outputs as a readable chat. Understands OpenAI chat requests and responses
 * (messages, content parts, tool_calls, response_format), OTel GenAI messages ({role, parts}),
 * Anthropic / Vercel AI SDK content blocks, and single messages. Anything else falls back to text
 * or pretty JSON.
 *
 *   const msgs = toMessages(observation.input)   // ChatMsg[] | null
 *   <ChatView messages={msgs} />
 */
import './chat.css';
import { mediaLink } from './media-url';

export type ChatPart =
  | { kind: 'text'; text: string }
  | { kind: 'json'; value: unknown }
  | { kind: 'reasoning'; text: string }
  | { kind: 'refusal'; text: string }
  | { kind: 'tool_call'; id?: string; name: string; args: unknown }
  | { kind: 'tool_result'; id?: string; name?: string; value: unknown }
  | { kind: 'media'; label: string; url?: string }
  | { kind: 'other'; value: unknown };

export interface ChatMsg {
  role: string;
  name?: string;
  toolCallId?: string;
  finishReason?: string;
  parts: ChatPart[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A string that holds a JSON object or array, parsed; otherwise undefined. */
export function parseJsonText(s: string): unknown {
  const t = s.trim();
  if (!((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']')))) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

function textPart(s: string): ChatPart {
  const j = parseJsonText(s);
  return j === undefined ? { kind: 'text', text: s } : { kind: 'json', value: j };
}

function args(v: unknown): unknown {
  if (typeof v === 'string') {
    const j = parseJsonText(v);
    return j === undefined ? v : j;
  }
  return v;
}

function contentParts(c: unknown): ChatPart[] {
  if (c === null || c === undefined) return [];
  if (typeof c === 'string') return c === '' ? [] : [textPart(c)];
  if (Array.isArray(c)) return c.flatMap(blockParts);
  if (isObj(c)) return blockParts(c);
  return [{ kind: 'text', text: String(c) }];
}

/** One content block / part of any of the known shapes. */
function blockParts(b: unknown): ChatPart[] {
  if (typeof b === 'string') return [textPart(b)];
  if (!isObj(b)) return [{ kind: 'other', value: b }];
  const type = str(b.type);
  switch (type) {
    case 'text':
    case 'input_text':
    case 'output_text': {
      const t = str(b.text) ?? str(b.content);
      return t === undefined ? [{ kind: 'other', value: b }] : [textPart(t)];
    }
    case 'reasoning':
    case 'thinking':
      return [{ kind: 'reasoning', text: str(b.content) ?? str(b.thinking) ?? str(b.text) ?? JSON.stringify(b) }];
    case 'refusal':
      return [{ kind: 'refusal', text: str(b.refusal) ?? '' }];
    case 'tool_call': // GenAI
    case 'tool-call': // Vercel AI SDK
    case 'tool_use': // Anthropic
    case 'function_call': // Responses API
      return [
        {
          kind: 'tool_call',
          id: str(b.id) ?? str(b.toolCallId) ?? str(b.call_id),
          name: str(b.name) ?? str(b.toolName) ?? 'tool',
          args: args(b.arguments ?? b.args ?? b.input),
        },
      ];
    case 'tool_call_response':
    case 'tool-result':
    case 'tool_result':
    case 'function_call_output':
      return [
        {
          kind: 'tool_result',
          id: str(b.id) ?? str(b.toolCallId) ?? str(b.tool_use_id) ?? str(b.call_id),
          name: str(b.toolName),
          value: args(b.response ?? b.result ?? b.output ?? b.content),
        },
      ];
    case 'image_url': {
      const u = isObj(b.image_url) ? str(b.image_url.url) : str(b.image_url);
      return [{ kind: 'media', label: 'image', url: mediaLink(u) }];
    }
    case 'image':
    case 'input_image':
    case 'input_audio':
    case 'audio':
    case 'file':
    case 'blob':
    case 'uri': {
      const u = str(b.uri) ?? str(b.url) ?? str(b.image_url);
      return [{ kind: 'media', label: str(b.modality) ?? str(b.mime_type) ?? type, url: mediaLink(u) }];
    }
  }
  if (type === undefined && typeof b.text === 'string') return [textPart(b.text)];
  return [{ kind: 'other', value: b }];
}

function isMessage(v: unknown): boolean {
  return isObj(v) && typeof v.role === 'string';
}

/** One message of any known shape. */
function toMsg(m: Obj): ChatMsg {
  const parts: ChatPart[] = [];
  if (Array.isArray(m.parts)) parts.push(...m.parts.flatMap(blockParts));
  else parts.push(...contentParts(m.content));
  if (typeof m.refusal === 'string' && m.refusal) parts.push({ kind: 'refusal', text: m.refusal });
  if (typeof m.reasoning_content === 'string' && m.reasoning_content) parts.unshift({ kind: 'reasoning', text: m.reasoning_content });
  if (Array.isArray(m.tool_calls)) {
    for (const tc of m.tool_calls) {
      if (!isObj(tc)) continue;
      const fn = isObj(tc.function) ? tc.function : tc;
      parts.push({ kind: 'tool_call', id: str(tc.id), name: str(fn.name) ?? 'tool', args: args(fn.arguments ?? fn.args) });
    }
  }
  if (isObj(m.function_call)) parts.push({ kind: 'tool_call', name: str(m.function_call.name) ?? 'function', args: args(m.function_call.arguments) });
  return {
    role: String(m.role),
    name: str(m.name),
    toolCallId: str(m.tool_call_id),
    finishReason: str(m.finish_reason),
    parts,
  };
}

/**
 * The messages in a model input or output, or null when it is not chat-shaped. Handles a request
 * body ({messages, system?}), a response ({choices}), a message list, a single message and
 * {prompt|completion|text} strings.
 */
export function toMessages(v: unknown, role = 'user'): ChatMsg[] | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every(isMessage)) return (v as Obj[]).map(toMsg);
    return null;
  }
  if (!isObj(v)) return null;
  if (Array.isArray(v.messages) && v.messages.every(isMessage)) {
    const msgs = (v.messages as Obj[]).map(toMsg);
    if (typeof v.system === 'string' || Array.isArray(v.system)) msgs.unshift({ role: 'system', parts: contentParts(v.system) });
    return msgs;
  }
  if (Array.isArray(v.choices)) {
    const msgs = v.choices.flatMap((c) => {
      if (!isObj(c)) return [];
      const m = isObj(c.message) ? c.message : isObj(c.delta) ? c.delta : null;
      if (m) return [{ ...toMsg({ role: 'assistant', ...m }), finishReason: str(c.finish_reason) }];
      if (typeof c.text === 'string') return [{ role: 'assistant', parts: [textPart(c.text)], finishReason: str(c.finish_reason) }];
      return [];
    });
    return msgs.length ? msgs : null;
  }
  if (isMessage(v)) return [toMsg(v)];
  if (typeof v.prompt === 'string') return [{ role, parts: [textPart(v.prompt)] }];
  if (typeof v.completion === 'string') return [{ role: 'assistant', parts: [textPart(v.completion)] }];
  return null;
}

/** The text of the last message with this role (e.g. the user's question), for one-line summaries. */
export function lastText(msgs: ChatMsg[] | null, role: string): string | null {
  if (!msgs) return null;
  for (let i = msgs.length - 1; i >= 0; i--) {
    if (msgs[i].role !== role) continue;
    const t = msgs[i].parts.map((p) => (p.kind === 'text' ? p.text : p.kind === 'json' ? JSON.stringify(p.value) : p.kind === 'tool_call' ? `→ ${p.name}(…)` : '')).filter(Boolean);
    if (t.length) return t.join('\n');
  }
  return null;
}

function pretty(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v, null, 2) ?? String(v));
}

function Part({ p }: { p: ChatPart }) {
  switch (p.kind) {
    case 'text':
      return <div className="chat-text">{p.text}</div>;
    case 'json':
      return (
        <div className="chat-json">
          <span className="chat-label">JSON</span>
          <pre>{pretty(p.value)}</pre>
        </div>
      );
    case 'reasoning':
      return (
        <details className="chat-reasoning">
          <summary>Reasoning</summary>
          <div className="chat-text">{p.text}</div>
        </details>
      );
    case 'refusal':
      return (
        <div className="chat-refusal">
          <span className="chat-label">Refusal</span> {p.text}
        </div>
      );
    case 'tool_call':
      return (
        <div className="chat-toolcall">
          <div>
            <span className="chat-label">Tool call</span> <code>{p.name}</code>
            {p.id && <span className="muted small"> · {p.id}</span>}
          </div>
          <pre aria-label={`Arguments of ${p.name}`}>{pretty(p.args)}</pre>
        </div>
      );
    case 'tool_result':
      return (
        <div className="chat-toolcall">
          <div>
            <span className="chat-label">Tool result</span>
            {p.name && <code> {p.name}</code>}
            {p.id && <span className="muted small"> · {p.id}</span>}
          </div>
          <pre>{pretty(p.value)}</pre>
        </div>
      );
    case 'media':
      return (
        <div className="chat-media">
          <span className="chat-label">{p.label}</span>{' '}
          {p.url ? (
            <a href={p.url} target="_blank" rel="noreferrer noopener">
              {p.url.length > 80 ? p.url.slice(0, 80) + '…' : p.url}
            </a>
          ) : (
            <span className="muted">(inline data)</span>
          )}
        </div>
      );
    default:
      return <pre>{pretty(p.value)}</pre>;
  }
}

export function ChatMessage({ m }: { m: ChatMsg }) {
  const role = m.role.toLowerCase();
  const known = ['system', 'developer', 'user', 'assistant', 'tool', 'function'].includes(role) ? role : 'other';
  return (
    <li className={`chat-msg chat-${known}`}>
      <div className="chat-head">
        <span className="chat-role">{m.role}</span>
        {m.name && <span className="muted small">{m.name}</span>}
        {m.toolCallId && <span className="muted small">for {m.toolCallId}</span>}
        {m.finishReason && <span className="muted small chat-finish">finish: {m.finishReason}</span>}
      </div>
      {m.parts.length === 0 ? <div className="muted small">(empty)</div> : m.parts.map((p, i) => <Part key={i} p={p} />)}
    </li>
  );
}

export function ChatView({ messages, label }: { messages: ChatMsg[]; label?: string }) {
  return (
    <ol className="chat" aria-label={label}>
      {messages.map((m, i) => (
        <ChatMessage key={i} m={m} />
      ))}
    </ol>
  );
}

/** A model input or output: as chat when it is chat-shaped, else text, else pretty JSON. */
export function ChatOrJson({ value, label, role }: { value: unknown; label: string; role?: string }) {
  const msgs = toMessages(value, role);
  if (msgs) return <ChatView messages={msgs} label={label} />;
  if (typeof value === 'string') {
    const j = parseJsonText(value);
    return <pre aria-label={label}>{j === undefined ? value : pretty(j)}</pre>;
  }
  return <pre aria-label={label}>{pretty(value)}</pre>;
}
