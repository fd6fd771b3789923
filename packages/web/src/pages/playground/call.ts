/**
 * One chat completion from the playground: POST /v1/chat/completions with the session cookie,
 * streamed (SSE) or not, reported as it goes. Uses fetch directly (not apiFetch) so the trace id
 * and target headers are read from failed responses too.
 */
import { ApiError, errorFrom } from '../../api';

export interface ToolCall {
  id?: string;
  name: string;
  arguments: string;
}

export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  cost?: number;
  [k: string]: unknown;
}

export interface CallResult {
  status: 'running' | 'done' | 'stopped' | 'failed';
  text: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  usage: Usage | null;
  model: string | null;
  traceId: string | null;
  target: string | null;
  /** ms from Send to the first content (streams), and to the end. */
  ttftMs: number | null;
  totalMs: number | null;
  error: ApiError | null;
}

export const initialResult = (): CallResult => ({
  status: 'running',
  text: '',
  toolCalls: [],
  finishReason: null,
  usage: null,
  model: null,
  traceId: null,
  target: null,
  ttftMs: null,
  totalMs: null,
  error: null,
});

interface Choice {
  delta?: { content?: string | null; refusal?: string | null; tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] };
  message?: { content?: string | null; refusal?: string | null; tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[] };
  finish_reason?: string | null;
}

/**
 * Runs the call; `update` gets a fresh result object on every change. Resolves when the call ends
 * (done, stopped via `signal`, or failed); never rejects.
 */
export async function runChat(body: Record<string, unknown>, signal: AbortSignal, update: (r: CallResult) => void, onUnauthorized: () => void): Promise<void> {
  const t0 = performance.now();
  let r = initialResult();
  const set = (patch: Partial<CallResult>) => {
    r = { ...r, ...patch };
    update(r);
  };
  const elapsed = () => performance.now() - t0;
  const firstToken = () => {
    if (r.ttftMs === null) r.ttftMs = elapsed();
  };
  set({});
  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
    set({ traceId: res.headers.get('x-assay-trace-id'), target: res.headers.get('x-assay-target') });
    if (!res.ok) {
      const err = await errorFrom(res);
      if (res.status === 401) onUnauthorized();
      set({ status: 'failed', error: err, totalMs: elapsed() });
      return;
    }
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream')) {
      const json = (await res.json()) as { model?: string; usage?: Usage; choices?: Choice[] };
      const c = json.choices?.[0];
      firstToken();
      set({
        status: 'done',
        model: json.model ?? null,
        text: c?.message?.content ?? c?.message?.refusal ?? '',
        toolCalls: (c?.message?.tool_calls ?? []).map((t) => ({ id: t.id, name: t.function?.name ?? '', arguments: t.function?.arguments ?? '' })),
        finishReason: c?.finish_reason ?? null,
        usage: json.usage ?? null,
        totalMs: elapsed(),
      });
      return;
    }

    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    const tools: ToolCall[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      const events = buf.split(/\r?\n\r?\n/);
      buf = events.pop() ?? '';
      for (const ev of events) {
        const data = ev
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n');
        if (!data) continue;
        if (data === '[DONE]') {
          set({ status: 'done', totalMs: elapsed() });
          return;
        }
        let chunk: { model?: string; usage?: Usage | null; choices?: Choice[]; error?: { message?: string; code?: string } };
        try {
          chunk = JSON.parse(data);
        } catch {
          continue;
        }
        if (chunk.error) {
          set({ status: 'failed', error: new ApiError(502, chunk.error.message ?? 'The stream ended with an error', chunk.error.code ?? null), totalMs: elapsed() });
          return;
        }
        const patch: Partial<CallResult> = {};
        if (chunk.model) patch.model = chunk.model;
        if (chunk.usage) patch.usage = chunk.usage;
        const c = chunk.choices?.[0];
        if (c?.delta) {
          const piece = (c.delta.content ?? '') + (c.delta.refusal ?? '');
          if (piece) {
            firstToken();
            patch.text = r.text + piece;
          }
          for (const t of c.delta.tool_calls ?? []) {
            firstToken();
            const cur = tools[t.index] ?? (tools[t.index] = { id: t.id, name: '', arguments: '' });
            if (t.id) cur.id = t.id;
            cur.name += t.function?.name ?? '';
            cur.arguments += t.function?.arguments ?? '';
            patch.toolCalls = tools.map((x) => ({ ...x }));
          }
        }
        if (c?.finish_reason) patch.finishReason = c.finish_reason;
        set(patch);
      }
    }
    // The connection ended without [DONE].
    set({ status: 'failed', error: new ApiError(0, 'The stream ended before [DONE]: the answer may be cut off'), totalMs: elapsed() });
  } catch (err) {
    if (signal.aborted) set({ status: 'stopped', totalMs: elapsed() });
    else set({ status: 'failed', error: new ApiError(0, `Assay did not answer (${(err as Error).message})`), totalMs: elapsed() });
  }
}
