/**
 * Folds chat.completion.chunk objects back into a chat.completion: content and refusal text,
 * tool calls accumulated by index (id, type and name from the first fragment, argument fragments
 * appended), finish reasons and usage. Presence of tool calls wins over a "stop" finish reason.
 */
import type { ChatChoice, ChatCompletion, ChatCompletionChunk, ChatResult, ToolCall, Usage } from './types.js';

interface ChoiceState {
  content: string | null;
  refusal: string | null;
  toolCalls: Map<number, ToolCall>;
  finish: string | null;
  extra: Record<string, unknown>;
}

export class ChunkAccumulator {
  private readonly choices = new Map<number, ChoiceState>();
  id = '';
  model = '';
  created = 0;
  usage: Usage | null = null;
  chunks = 0;

  add(chunk: ChatCompletionChunk): void {
    this.chunks++;
    if (chunk.id) this.id = chunk.id;
    if (chunk.model) this.model = chunk.model;
    if (chunk.created) this.created = chunk.created;
    if (chunk.usage) this.usage = chunk.usage;
    for (const ch of chunk.choices ?? []) {
      let s = this.choices.get(ch.index ?? 0);
      if (!s) {
        s = { content: null, refusal: null, toolCalls: new Map(), finish: null, extra: {} };
        this.choices.set(ch.index ?? 0, s);
      }
      const d = ch.delta ?? {};
      if (typeof d.content === 'string') s.content = (s.content ?? '') + d.content;
      if (typeof d.refusal === 'string') s.refusal = (s.refusal ?? '') + d.refusal;
      for (const [k, v] of Object.entries(d)) {
        if (k === 'role' || k === 'content' || k === 'refusal' || k === 'tool_calls') continue;
        if (typeof v === 'string') s.extra[k] = String(s.extra[k] ?? '') + v; // e.g. reasoning_content
      }
      for (const tc of d.tool_calls ?? []) {
        const i = tc.index ?? 0;
        let call = s.toolCalls.get(i);
        if (!call) {
          call = { id: tc.id ?? '', type: 'function', function: { name: tc.function?.name ?? '', arguments: '' } };
          s.toolCalls.set(i, call);
        } else {
          if (tc.id && !call.id) call.id = tc.id;
          if (tc.function?.name && !call.function.name) call.function.name = tc.function.name;
        }
        if (typeof tc.function?.arguments === 'string') call.function.arguments += tc.function.arguments;
      }
      if (ch.finish_reason) s.finish = ch.finish_reason;
    }
  }

  result(): ChatCompletion {
    const choices: ChatChoice[] = [...this.choices.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([index, s]) => {
        const toolCalls = [...s.toolCalls.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
        return {
          index,
          message: {
            role: 'assistant',
            content: s.content,
            ...(s.refusal !== null ? { refusal: s.refusal } : {}),
            ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
            ...s.extra,
          },
          finish_reason: toolCalls.length && (s.finish === 'stop' || s.finish === 'other' || !s.finish) ? 'tool_calls' : s.finish,
        };
      });
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices,
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }
}

/** A call's result as one completion: a response as is, a stream read to its end. */
export async function wholeCompletion(result: ChatResult): Promise<ChatCompletion> {
  if (result.kind === 'response') return result.response;
  const acc = new ChunkAccumulator();
  for await (const c of result.chunks) acc.add(c);
  return acc.result();
}
