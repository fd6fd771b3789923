/**
 * A fake Anthropic Messages API for tests: POST /v1/messages on 127.0.0.1, speaking the documented
 * wire format (headers, request validation, message bodies, the SSE event sequence, error bodies).
 *
 * It is stricter than the real API in one place: consecutive same-role turns are rejected instead of
 * merged, so a translation that fails to alternate user/assistant is caught.
 *
 * Behaviour is chosen by the model name (substring match):
 * - `overloaded`   → 529 overloaded_error
 * - `rate-limited` → 429 rate_limit_error with retry-after: 7
 * - `invalid`      → 400 invalid_request_error
 * - `early-error`  → (stream) 200, then an `error` event (overloaded_error) before message_start
 * - `stream-error` → (stream) some text, then an `error` event (overloaded_error)
 * - `thinking`     → a thinking block before the answer
 * - `slow`         → (stream) a long answer, 20 ms between events
 * Otherwise the answer depends on the request: a forced tool_choice ({type:'tool'} or 'any') → a
 * tool_use of that tool (or the first) with an input sampled from its schema; tools with tool_choice
 * auto and a last user turn that is not a tool result → the text "Let me check." and a tool_use of the
 * first tool; a last turn with tool results → "Tool said: <results>"; else "You said: <last user text>".
 * `stop_sequences` and `max_tokens` (counted in words) cut the text and set stop_reason as the API does.
 * Usage is always {input_tokens: 25, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 9}.
 *
 * `requests` records every request as {method, path, headers, body}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_ANTHROPIC_KEY = 'sk-ant-fake-key';

export interface FakeAnthropicRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeAnthropic {
  /** Base URL, e.g. http://127.0.0.1:12345 (use as the provider's base_url). */
  url: string;
  close(): Promise<void>;
  requests: FakeAnthropicRequest[];
}

export const FAKE_USAGE = { input_tokens: 25, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 9 };

const KNOWN_FIELDS = new Set([
  'model', 'messages', 'max_tokens', 'system', 'stop_sequences', 'temperature', 'top_p', 'top_k',
  'tools', 'tool_choice', 'metadata', 'stream', 'thinking', 'service_tier', 'container', 'mcp_servers',
  'output_config', 'cache_control', 'inference_geo',
]);
const BLOCK_TYPES = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking', 'search_result']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

class Invalid extends Error {}

type Json = Record<string, unknown>;
type Block = Json & { type: string };

export async function startFakeAnthropic(opts: { apiKey?: string } = {}): Promise<FakeAnthropic> {
  const apiKey = opts.apiKey ?? FAKE_ANTHROPIC_KEY;
  const requests: FakeAnthropicRequest[] = [];
  let seq = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = ++seq;
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        // recorded as text; rejected below
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      res.setHeader('request-id', `req_fake_${n}`);
      try {
        handle(req, res, body, raw, n);
      } catch (err) {
        if (err instanceof Invalid) sendError(res, 400, 'invalid_request_error', err.message);
        else sendError(res, 500, 'api_error', `fake server bug: ${(err as Error).message}`);
      }
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: unknown, raw: string, n: number): void {
    if ((req.url ?? '').split('?')[0] !== '/v1/messages') return sendError(res, 404, 'not_found_error', `Not found: ${req.url}`);
    if (req.method !== 'POST') return sendError(res, 405, 'invalid_request_error', `Method ${req.method} not allowed`);
    if (req.headers['x-api-key'] !== apiKey) return sendError(res, 401, 'authentication_error', 'invalid x-api-key');
    if (!req.headers['anthropic-version']) return sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    if (!String(req.headers['content-type'] ?? '').includes('application/json')) throw new Invalid('content-type must be application/json');
    if (!body || typeof body !== 'object' || typeof body === 'string') throw new Invalid(`request body is not a JSON object: ${raw.slice(0, 100)}`);
    const b = body as Json;
    validate(b);
    const model = b.model as string;

    if (model.includes('overloaded')) return sendError(res, 529, 'overloaded_error', 'Overloaded');
    if (model.includes('rate-limited')) {
      res.setHeader('retry-after', '7');
      return sendError(res, 429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit');
    }
    if (model.includes('invalid')) return sendError(res, 400, 'invalid_request_error', 'messages.0.content: Input should be a valid list');

    const message = answer(b, n);
    if (b.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(message));
      return;
    }
    stream(res, message, model);
  }

  function stream(res: ServerResponse, message: Json, model: string): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const events: Json[] = [];
    const content = message.content as Block[];
    if (model.includes('early-error')) {
      events.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    } else {
      events.push({
        type: 'message_start',
        message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...FAKE_USAGE, output_tokens: 1 } },
      });
      content.forEach((block, index) => {
        if (block.type === 'text') {
          events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
          if (index === 0) events.push({ type: 'ping' });
          for (const piece of splitWords(block.text as string)) {
            events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
          }
          if (model.includes('stream-error')) {
            events.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
            return;
          }
        } else if (block.type === 'thinking') {
          events.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
          for (const piece of splitWords(block.thinking as string)) {
            events.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } });
          }
          events.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } });
        } else if (block.type === 'tool_use') {
          events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
          if (index === 0) events.push({ type: 'ping' });
          events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
          const json = JSON.stringify(block.input);
          for (let i = 0; i < json.length; i += 4) {
            events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 4) } });
          }
        }
        events.push({ type: 'content_block_stop', index });
      });
      if (!model.includes('stream-error')) {
        events.push({
          type: 'message_delta',
          delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence },
          usage: { output_tokens: FAKE_USAGE.output_tokens },
        });
        events.push({ type: 'message_stop' });
      }
    }
    // A stream cut short by an error event stops at the error.
    const cut = events.findIndex((e) => e.type === 'error');
    const send = cut >= 0 ? events.slice(0, cut + 1) : events;
    const delay = model.includes('slow') ? 20 : 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    let i = 0;
    const next = () => {
      if (closed) return;
      if (i >= send.length) {
        res.end();
        return;
      }
      const ev = send[i++];
      res.write(`event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`);
      if (delay > 0) setTimeout(next, delay);
      else setImmediate(next);
    };
    next();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  const id = res.getHeader('request-id');
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ type: 'error', error: { type, message }, request_id: id }));
}

// ---------------------------------------------------------------- validation (the documented request shape)

function validate(b: Json): void {
  for (const k of Object.keys(b)) if (!KNOWN_FIELDS.has(k)) throw new Invalid(`${k}: Extra inputs are not permitted`);
  if (typeof b.model !== 'string' || b.model === '') throw new Invalid('model: Field required');
  if (!Number.isInteger(b.max_tokens) || (b.max_tokens as number) < 1) throw new Invalid('max_tokens: Field required (a positive integer)');
  if (b.system !== undefined) {
    const ok = typeof b.system === 'string' || (Array.isArray(b.system) && b.system.every((s) => isBlock(s) && s.type === 'text' && typeof s.text === 'string'));
    if (!ok) throw new Invalid('system: Input should be a string or a list of text blocks');
  }
  if (b.stop_sequences !== undefined && !(Array.isArray(b.stop_sequences) && b.stop_sequences.every((s) => typeof s === 'string'))) {
    throw new Invalid('stop_sequences: Input should be a list of strings');
  }
  for (const k of ['temperature', 'top_p'] as const) {
    if (b[k] !== undefined && (typeof b[k] !== 'number' || (b[k] as number) < 0 || (b[k] as number) > 1)) throw new Invalid(`${k}: Input should be between 0 and 1`);
  }
  if (b.metadata !== undefined) {
    const m = b.metadata as Json;
    if (!m || typeof m !== 'object' || Object.keys(m).some((k) => k !== 'user_id')) throw new Invalid('metadata: only user_id is permitted');
  }
  const toolNames = new Set<string>();
  if (b.tools !== undefined) {
    if (!Array.isArray(b.tools)) throw new Invalid('tools: Input should be a valid list');
    b.tools.forEach((t: Json, i) => {
      if (typeof t?.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(t.name)) throw new Invalid(`tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
      const schema = t.input_schema as Json | undefined;
      if (!schema || schema.type !== 'object') throw new Invalid(`tools.${i}.input_schema.type: Input should be 'object'`);
      for (const k of Object.keys(t)) if (!['name', 'description', 'input_schema', 'cache_control', 'type'].includes(k)) throw new Invalid(`tools.${i}.${k}: Extra inputs are not permitted`);
      toolNames.add(t.name);
    });
  }
  if (b.tool_choice !== undefined) {
    const tc = b.tool_choice as Json;
    if (!['auto', 'any', 'tool', 'none'].includes(tc?.type as string)) throw new Invalid('tool_choice.type: Input should be auto, any, tool or none');
    if (tc.type === 'tool' && !toolNames.has(tc.name as string)) throw new Invalid(`tool_choice.name: no tool named ${String(tc.name)}`);
    if (tc.type !== 'none' && toolNames.size === 0) throw new Invalid('tool_choice may only be specified while providing tools');
  }
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw new Invalid('messages: at least one message is required');
  let prevToolUses = new Set<string>();
  b.messages.forEach((m: Json, i) => {
    if (m?.role !== 'user' && m?.role !== 'assistant') throw new Invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (i === 0 && m.role !== 'user') throw new Invalid('messages: first message must use the "user" role');
    if (i > 0 && (b.messages as Json[])[i - 1].role === m.role) throw new Invalid(`messages.${i}: roles must alternate between "user" and "assistant"`);
    const blocks: Block[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : (m.content as Block[]);
    if (!Array.isArray(blocks) || blocks.length === 0) throw new Invalid(`messages.${i}: all messages must have non-empty content`);
    const toolUses = new Set<string>();
    let seenOther = false;
    blocks.forEach((blk, j) => {
      const at = `messages.${i}.content.${j}`;
      if (!isBlock(blk) || !BLOCK_TYPES.has(blk.type)) throw new Invalid(`${at}: unknown content block type`);
      if (blk.type === 'text' && (typeof blk.text !== 'string' || blk.text === '')) throw new Invalid(`${at}: text content blocks must be non-empty`);
      if (blk.type === 'image') {
        const src = blk.source as Json;
        const ok = (src?.type === 'base64' && IMAGE_TYPES.has(src.media_type as string) && typeof src.data === 'string')
          || (src?.type === 'url' && typeof src.url === 'string' && /^https?:\/\//.test(src.url));
        if (!ok) throw new Invalid(`${at}.source: invalid image source`);
      }
      if (blk.type === 'tool_use') {
        if (m.role !== 'assistant') throw new Invalid(`${at}: tool_use blocks are only allowed in assistant messages`);
        if (typeof blk.id !== 'string' || !/^[a-zA-Z0-9_-]+$/.test(blk.id)) throw new Invalid(`${at}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
        if (!blk.input || typeof blk.input !== 'object' || Array.isArray(blk.input)) throw new Invalid(`${at}.input: Input should be a valid dictionary`);
        if (toolNames.size === 0) throw new Invalid('Requests which include `tool_use` or `tool_result` blocks must define tools.');
        toolUses.add(blk.id);
      }
      if (blk.type === 'tool_result') {
        if (m.role !== 'user') throw new Invalid(`${at}: tool_result blocks are only allowed in user messages`);
        if (seenOther) throw new Invalid(`${at}: tool_result blocks must come first in the user message`);
        if (!prevToolUses.has(blk.tool_use_id as string)) {
          throw new Invalid(`${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(blk.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
        }
      } else {
        seenOther = true;
      }
    });
    prevToolUses = toolUses;
  });
}

const isBlock = (v: unknown): v is Block => !!v && typeof v === 'object' && typeof (v as Json).type === 'string';

// ---------------------------------------------------------------- answers

function answer(b: Json, n: number): Json {
  const messages = b.messages as Json[];
  const last = messages[messages.length - 1];
  const lastBlocks: Block[] = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : (last.content as Block[]);
  const tools = (b.tools as Json[] | undefined) ?? [];
  const tc = b.tool_choice as Json | undefined;
  const content: Block[] = [];
  let stopReason = 'end_turn';
  let stopSequence: string | null = null;

  if (String(b.model).includes('thinking')) {
    content.push({ type: 'thinking', thinking: 'The user wants an answer. I will give one.', signature: 'sig_fake' });
  }

  const hasToolResults = last.role === 'user' && lastBlocks.some((x) => x.type === 'tool_result');
  const forced = tc?.type === 'tool' || tc?.type === 'any';
  const useTool = tools.length > 0 && tc?.type !== 'none' && (forced || !hasToolResults);
  if (useTool) {
    const tool = (tc?.type === 'tool' ? tools.find((t) => t.name === tc.name) : tools[0])!;
    if (!forced) content.push({ type: 'text', text: 'Let me check.' });
    content.push({ type: 'tool_use', id: `toolu_fake_${n}`, name: tool.name, input: sample(tool.input_schema as Json) });
    stopReason = 'tool_use';
  } else {
    let text: string;
    if (hasToolResults) {
      text = 'Tool said: ' + lastBlocks
        .filter((x) => x.type === 'tool_result')
        .map((x) => (typeof x.content === 'string' ? x.content : ((x.content as Block[] | undefined) ?? []).map((c) => c.text ?? '').join('')))
        .join(' | ');
    } else {
      const userText = lastBlocks.filter((x) => x.type === 'text').map((x) => x.text).join(' ');
      text = `You said: ${userText}`;
    }
    for (const s of (b.stop_sequences as string[] | undefined) ?? []) {
      const at = text.indexOf(s);
      if (s !== '' && at >= 0) {
        text = text.slice(0, at);
        stopReason = 'stop_sequence';
        stopSequence = s;
        break;
      }
    }
    const words = splitWords(text);
    if (words.length > (b.max_tokens as number)) {
      text = words.slice(0, b.max_tokens as number).join('');
      stopReason = 'max_tokens';
      stopSequence = null;
    }
    content.push({ type: 'text', text });
  }

  return {
    id: `msg_fake_${n}`,
    type: 'message',
    role: 'assistant',
    model: b.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: { ...FAKE_USAGE },
  };
}

/** A deterministic value that fits a (simple) JSON schema. */
export function sample(schema: Json | undefined): unknown {
  if (!schema || typeof schema !== 'object') return null;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (schema.type) {
    case 'object': {
      const out: Json = {};
      for (const [k, v] of Object.entries((schema.properties as Record<string, Json> | undefined) ?? {})) out[k] = sample(v);
      return out;
    }
    case 'array':
      return [sample(schema.items as Json)];
    case 'string':
      return 'Paris';
    case 'integer':
      return 3;
    case 'number':
      return 1.5;
    case 'boolean':
      return true;
    default:
      return null;
  }
}

/** Words with their following whitespace, so joining the pieces gives the text back. */
function splitWords(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
