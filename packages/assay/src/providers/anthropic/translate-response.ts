/**
 * Anthropic Messages response → OpenAI chat.completion.
 *
 * text blocks → message.content (joined in order), tool_use → tool_calls, thinking → reasoning_content
 * (redacted thinking and server-tool blocks are dropped); the emulated response_format tool (JsonMode)
 * → its input as JSON text in message.content with finish_reason 'stop'.
 */
import type { ChatCompletion, ToolCall, Usage } from '../../gateway/types.js';
import type { JsonMode } from './translate-request.js';
import type { AnthropicMessage, AnthropicUsage } from './wire.js';

/** Anthropic stop_reason → OpenAI finish_reason. */
export function finishReason(stop: string | null | undefined): string {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default: // end_turn, stop_sequence, pause_turn, anything new
      return 'stop';
  }
}

/**
 * Anthropic usage → OpenAI usage. Anthropic's input_tokens excludes cached tokens; OpenAI's
 * prompt_tokens includes them, so prompt = input + cache read + cache creation.
 */
export function toUsage(u: AnthropicUsage | undefined | null): Usage {
  const input = u?.input_tokens ?? 0;
  const cacheRead = u?.cache_read_input_tokens ?? 0;
  const cacheWrite = u?.cache_creation_input_tokens ?? 0;
  const output = u?.output_tokens ?? 0;
  const prompt = input + cacheRead + cacheWrite;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: cacheRead, ...(cacheWrite > 0 ? { cache_creation_tokens: cacheWrite } : {}) },
  };
  const thinking = u?.output_tokens_details?.thinking_tokens;
  if (typeof thinking === 'number') usage.completion_tokens_details = { reasoning_tokens: thinking };
  return usage;
}

/** The answer text of the emulated response_format tool. */
export function jsonAnswer(input: unknown, mode: JsonMode): string {
  const value = mode.wrapped ? (input as { value?: unknown } | null)?.value : input;
  return JSON.stringify(value ?? (mode.wrapped ? null : {}));
}

export function fromAnthropicMessage(msg: AnthropicMessage, jsonMode: JsonMode | null, created = Math.floor(Date.now() / 1000)): ChatCompletion {
  const texts: string[] = [];
  const thinking: string[] = [];
  const toolCalls: ToolCall[] = [];
  let answered = false;
  for (const block of msg.content ?? []) {
    if (block.type === 'text' && typeof block.text === 'string') {
      texts.push(block.text);
    } else if (block.type === 'thinking' && typeof block.thinking === 'string') {
      thinking.push(block.thinking);
    } else if (block.type === 'tool_use') {
      const b = block as { id: string; name: string; input: unknown };
      if (jsonMode && b.name === jsonMode.toolName) {
        texts.push(jsonAnswer(b.input, jsonMode));
        answered = true;
      } else {
        toolCalls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
      }
    }
  }

  let finish = finishReason(msg.stop_reason);
  if (finish === 'tool_calls' && toolCalls.length === 0 && answered) finish = 'stop';
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: texts.length > 0 ? texts.join('') : toolCalls.length > 0 ? null : '',
    refusal: msg.stop_reason === 'refusal' ? (msg.stop_details?.explanation ?? null) : null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (thinking.length > 0) message.reasoning_content = thinking.join('');

  return {
    id: msg.id,
    object: 'chat.completion',
    created,
    model: msg.model,
    choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
    usage: toUsage(msg.usage),
  };
}
