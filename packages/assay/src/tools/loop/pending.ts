/**
 * Mixed turns: when the model calls a client tool and a server tool in the same turn, Assay runs
 * the server tool, returns only the client's tool calls (the client cannot answer the others), and
 * keeps the server part of the exchange here. When the client sends the conversation back with its
 * tool results, the server calls and their results are put back into the assistant turn, so the
 * model sees the whole exchange. Kept in memory for an hour; after a restart or on another
 * instance the server part is simply missing and the model calls the tool again if it needs it.
 */
import type { ChatMessage, ToolCall } from '../../gateway/types.js';

interface Exchange {
  serverCalls: ToolCall[];
  results: ChatMessage[];
  at: number;
}

export class PendingExchanges {
  private readonly byCallId = new Map<string, Exchange>();

  constructor(
    private readonly ttlMs = 3_600_000,
    private readonly capacity = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.byCallId.size;
  }

  /** Remembers the server part of a turn under the ids of the client calls returned with it. */
  save(clientCalls: ToolCall[], serverCalls: ToolCall[], results: ChatMessage[]): void {
    const ex: Exchange = { serverCalls, results, at: this.now() };
    for (const c of clientCalls) {
      this.byCallId.delete(c.id);
      this.byCallId.set(c.id, ex);
    }
    while (this.byCallId.size > this.capacity) this.byCallId.delete(this.byCallId.keys().next().value!);
  }

  /** The conversation with every known server exchange put back (a new array; inputs untouched). */
  restore(messages: readonly ChatMessage[]): ChatMessage[] {
    if (this.byCallId.size === 0) return [...messages];
    const out: ChatMessage[] = [];
    for (const m of messages) {
      const ex = m.role === 'assistant' ? this.find(m.tool_calls) : null;
      if (!ex) {
        out.push(m);
        continue;
      }
      const present = new Set((m.tool_calls ?? []).map((c) => c.id));
      const missing = ex.serverCalls.filter((c) => !present.has(c.id));
      out.push(missing.length ? { ...m, tool_calls: [...missing, ...(m.tool_calls ?? [])] } : m);
      for (const r of ex.results) if (missing.some((c) => c.id === r.tool_call_id)) out.push(r);
    }
    return out;
  }

  private find(calls: ToolCall[] | undefined): Exchange | null {
    for (const c of calls ?? []) {
      const ex = this.byCallId.get(c.id);
      if (!ex) continue;
      if (this.now() - ex.at > this.ttlMs) {
        this.byCallId.delete(c.id);
        continue;
      }
      return ex;
    }
    return null;
  }
}
