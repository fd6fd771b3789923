/**
 * Anthropic Messages SSE events → OpenAI chat.completion.chunk objects.
 *
 * message_start → first chunk {role:'assistant', content:''}; text_delta → content; thinking_delta →
 * reasoning_content; a tool_use block → tool-call deltas (id/type/name on the first fragment, then
 * input_json_delta fragments as arguments; `index` counts tool_use blocks from 0); message_delta →
 * stop reason and usage (cumulative); message_stop → a closing chunk with finish_reason, then a usage
 * chunk with `choices: []`. ping and unknown event types are skipped; `error` throws.
 * The emulated response_format tool (JsonMode) streams its input as content instead of a tool call.
 */
import type { ChatCompletionChunk, ChunkChoice } from '../../gateway/types.js';
import { anthropicEventError, streamBroken } from './errors.js';
import type { JsonMode } from './translate-request.js';
import { finishReason, jsonAnswer, toUsage } from './translate-response.js';
import type { AnthropicStreamEvent, AnthropicUsage } from './wire.js';

export interface SseMessage {
  event?: string;
  data: string;
}

export interface StreamOptions {
  target: string;
  jsonMode: JsonMode | null;
  /** Unix seconds for `created` (defaults to now). */
  created?: number;
}

interface BlockState {
  kind: 'text' | 'tool' | 'json' | 'thinking' | 'other';
  toolIndex?: number;
  /** Argument text seen so far (tool and json blocks). */
  args: string;
  startInput?: unknown;
}

const isEmptyObject = (v: unknown) => v === undefined || v === null || (typeof v === 'object' && Object.keys(v as object).length === 0);

/**
 * Translate a stream. Throws UpstreamError: for an `error` event before the first chunk it has the
 * status the error type implies (failure 'http', so e.g. overloaded_error 529 is retryable); after
 * the first chunk failure 'stream'; a stream that ends before message_stop is failure 'stream' too.
 */
export async function* translateStream(events: AsyncIterable<SseMessage>, opts: StreamOptions): AsyncGenerator<ChatCompletionChunk> {
  const { target, jsonMode } = opts;
  let started = false;
  let id = '';
  let model = '';
  const created = opts.created ?? Math.floor(Date.now() / 1000);
  const blocks = new Map<number, BlockState>();
  let nextTool = 0;
  let answered = false;
  let stop: string | null = null;
  let usage: AnthropicUsage = {};

  const chunk = (delta: ChunkChoice['delta'], finish: string | null = null): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const mergeUsage = (u: AnthropicUsage | undefined) => {
    if (!u) return;
    for (const [k, v] of Object.entries(u)) if (v !== null && v !== undefined) usage[k] = v;
  };

  for await (const msg of events) {
    if (!msg.data) continue;
    let ev: AnthropicStreamEvent;
    try {
      ev = JSON.parse(msg.data);
    } catch {
      throw streamBroken(target, `${target} sent a stream event that is not JSON: ${msg.data.slice(0, 200)}`);
    }
    const type = (ev && typeof ev === 'object' && typeof ev.type === 'string' ? ev.type : msg.event) ?? '';
    if (type === 'error' || msg.event === 'error') throw anthropicEventError(ev, target, started);
    if (type === 'ping') continue;
    if (type === 'message_start') {
      if (started) continue;
      const m = (ev as Extract<AnthropicStreamEvent, { type: 'message_start' }>).message ?? ({} as never);
      id = m.id ?? '';
      model = m.model ?? '';
      usage = {};
      mergeUsage(m.usage);
      started = true;
      yield chunk({ role: 'assistant', content: '' });
      continue;
    }
    if (!started) {
      if (['content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'].includes(type)) {
        throw streamBroken(target, `${target} sent '${type}' before message_start`);
      }
      continue;
    }

    switch (type) {
      case 'content_block_start': {
        const e = ev as Extract<AnthropicStreamEvent, { type: 'content_block_start' }>;
        const cb = e.content_block as Record<string, unknown>;
        if (cb.type === 'text') {
          blocks.set(e.index, { kind: 'text', args: '' });
          if (typeof cb.text === 'string' && cb.text !== '') yield chunk({ content: cb.text });
        } else if (cb.type === 'thinking') {
          blocks.set(e.index, { kind: 'thinking', args: '' });
          if (typeof cb.thinking === 'string' && cb.thinking !== '') yield chunk({ reasoning_content: cb.thinking });
        } else if (cb.type === 'tool_use' && jsonMode && cb.name === jsonMode.toolName) {
          blocks.set(e.index, { kind: 'json', args: '', startInput: cb.input });
        } else if (cb.type === 'tool_use') {
          const toolIndex = nextTool++;
          blocks.set(e.index, { kind: 'tool', toolIndex, args: '', startInput: cb.input });
          yield chunk({
            tool_calls: [{ index: toolIndex, id: String(cb.id), type: 'function', function: { name: String(cb.name), arguments: '' } }],
          });
        } else {
          blocks.set(e.index, { kind: 'other', args: '' });
        }
        break;
      }
      case 'content_block_delta': {
        const e = ev as Extract<AnthropicStreamEvent, { type: 'content_block_delta' }>;
        const b = blocks.get(e.index);
        const d = (e.delta ?? {}) as Record<string, unknown>;
        if (!b) break;
        if (d.type === 'text_delta' && typeof d.text === 'string' && d.text !== '') {
          yield chunk({ content: d.text });
        } else if (d.type === 'thinking_delta' && typeof d.thinking === 'string' && d.thinking !== '') {
          yield chunk({ reasoning_content: d.thinking });
        } else if (d.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json !== '') {
          b.args += d.partial_json;
          if (b.kind === 'tool') {
            yield chunk({ tool_calls: [{ index: b.toolIndex!, function: { arguments: d.partial_json } }] });
          } else if (b.kind === 'json' && !jsonMode!.wrapped) {
            yield chunk({ content: d.partial_json });
          }
        }
        // signature_delta, citations_delta and deltas of ignored blocks carry nothing OpenAI can show.
        break;
      }
      case 'content_block_stop': {
        const e = ev as Extract<AnthropicStreamEvent, { type: 'content_block_stop' }>;
        const b = blocks.get(e.index);
        if (!b) break;
        if (b.kind === 'tool' && b.args === '') {
          // No input fragments: the input is what content_block_start carried (normally {}).
          yield chunk({ tool_calls: [{ index: b.toolIndex!, function: { arguments: JSON.stringify(b.startInput ?? {}) } }] });
        } else if (b.kind === 'json') {
          answered = true;
          if (jsonMode!.wrapped) {
            let input: unknown = b.startInput;
            if (b.args !== '') {
              try {
                input = JSON.parse(b.args);
              } catch {
                throw streamBroken(target, `${target} streamed a response_format answer that is not valid JSON`);
              }
            }
            yield chunk({ content: jsonAnswer(input, jsonMode!) });
          } else if (b.args === '') {
            yield chunk({ content: jsonAnswer(b.startInput, jsonMode!) });
          }
        }
        break;
      }
      case 'message_delta': {
        const e = ev as Extract<AnthropicStreamEvent, { type: 'message_delta' }>;
        if (e.delta?.stop_reason) stop = e.delta.stop_reason;
        mergeUsage(e.usage);
        break;
      }
      case 'message_stop': {
        let finish = finishReason(stop);
        if (finish === 'tool_calls' && nextTool === 0 && answered) finish = 'stop';
        yield chunk({}, finish);
        yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: toUsage(usage) };
        return;
      }
      default:
        // New event types may be added to the API; they are skipped.
        break;
    }
  }
  throw streamBroken(target, started ? `stream from ${target} ended before message_stop` : `${target} sent an empty stream`);
}
