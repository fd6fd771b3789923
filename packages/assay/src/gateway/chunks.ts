/** Helpers for chunk streams shared by providers and layers. */
import type { ChatCompletion, ChatCompletionChunk } from './types.js';

/**
 * A whole completion as the chunk sequence a streaming client expects: a role chunk, the text
 * (and extra text fields such as reasoning_content), tool calls, the finish chunk, then usage.
 */
export async function* completionAsChunks(c: ChatCompletion): AsyncGenerator<ChatCompletionChunk> {
  const base = { id: c.id, object: 'chat.completion.chunk' as const, created: c.created, model: c.model };
  const each = (fn: (ch: ChatCompletion['choices'][number]) => ChatCompletionChunk['choices'][number] | null) =>
    c.choices.map(fn).filter((x): x is ChatCompletionChunk['choices'][number] => x !== null);
  yield { ...base, choices: each((ch) => ({ index: ch.index, delta: { role: 'assistant', content: '' }, finish_reason: null })) };
  const extra = each((ch) => {
    const { role: _r, content: _c, tool_calls: _t, refusal: _f, ...rest } = ch.message;
    const delta = Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v === 'string' && v !== ''));
    return Object.keys(delta).length ? { index: ch.index, delta, finish_reason: null } : null;
  });
  if (extra.length) yield { ...base, choices: extra };
  const text = each((ch) => (typeof ch.message.content === 'string' && ch.message.content !== '' ? { index: ch.index, delta: { content: ch.message.content }, finish_reason: null } : null));
  if (text.length) yield { ...base, choices: text };
  const calls = each((ch) =>
    ch.message.tool_calls?.length ? { index: ch.index, delta: { tool_calls: ch.message.tool_calls.map((t, index) => ({ index, ...t })) }, finish_reason: null } : null,
  );
  if (calls.length) yield { ...base, choices: calls };
  // Assay's report (tool loop, verification) rides on the finish chunk, as in a live stream.
  yield { ...base, choices: each((ch) => ({ index: ch.index, delta: {}, finish_reason: ch.finish_reason })), ...(c.assay !== undefined ? { assay: c.assay } : {}) };
  if (c.usage) yield { ...base, choices: [], usage: c.usage };
}

/** `first`, then the rest; return() reaches `rest` even if iteration never resumed, so resources are released. */
export function prepend<T>(first: T, rest: AsyncIterator<T>): AsyncIterableIterator<T> {
  let sent = false;
  return {
    async next() {
      if (!sent) {
        sent = true;
        return { value: first, done: false };
      }
      return rest.next();
    },
    async return(value?: unknown) {
      await rest.return?.(undefined);
      return { value: value as T, done: true };
    },
    async throw(err?: unknown) {
      if (rest.throw) return rest.throw(err);
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
