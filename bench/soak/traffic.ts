/**
 * The soak benchmark's traffic: one function per kind of request, each sending one request to Assay
 * and checking its answer. A request never throws: it resolves to ok (with the trace ids it created)
 * or to an error message. Kinds: chat, stream, tool (a route whose server-side `run_code` tool the
 * fake upstream calls), otlp and langfuse ingest batches, and the dashboard's reads: the trace list,
 * a trace, metrics and sessions.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { ASSAY_KEY } from '../gateway/procs.js';
import { makePayloads } from '../ingest/payloads.js';

export const WRITES = ['chat', 'stream', 'tool', 'otlp', 'langfuse'] as const;
export const READS = ['traces', 'trace', 'metrics', 'sessions'] as const;
export const KINDS = [...WRITES, ...READS] as const;
export type Kind = (typeof KINDS)[number];

/**
 * What a request created that must be readable afterwards: a trace with at least `observations`
 * observations (`gateway`: written by the gateway's trace recorder), or an OTLP batch found by the
 * root name of one of its traces.
 */
export type Written = { traceId: string; observations: number; gateway: boolean } | { otlpProbe: string; start: number };
/** A call's root and its attempt; a tool-loop call adds a step span per model call and the tool's span. */
const CHAT_OBSERVATIONS = 2;
const TOOL_OBSERVATIONS = 6;

export interface Outcome {
  ok: boolean;
  error?: string;
  written?: Written[];
}

export const CHAT_ROUTE = 'soak';
export const TOOL_ROUTE = 'soak-tools';
const TIMEOUT_MS = 30_000;
const OTLP_TRACES_PER_BATCH = 4; // × 5 spans
const LANGFUSE_TRACES_PER_BATCH = 4; // × 3 events
const AUTH = { authorization: `Bearer ${ASSAY_KEY}` };
const SETTLE_MS = 5_000;

export class Traffic {
  private readonly pool: Pool;
  private readonly runId = randomBytes(3).toString('hex');
  private n = 0;
  /** Recent gateway calls [answered at, trace id], for the trace detail read. */
  private recent: [number, string][] = [];

  constructor(origin: string, connections: number) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  send(kind: Kind): Promise<Outcome> {
    const i = this.n++;
    const run = {
      chat: () => this.chat(i, false),
      stream: () => this.chat(i, true),
      tool: () => this.tool(i),
      otlp: () => this.otlp(),
      langfuse: () => this.langfuse(i),
      traces: () => this.read('/api/traces?limit=50'),
      trace: () => this.read(this.settledTrace()),
      metrics: () => this.read(`/api/metrics?from=${Date.now() - 15 * 60_000}&to=${Date.now()}&group_by=model`),
      sessions: () => this.read('/api/sessions?limit=50'),
    }[kind];
    return run().catch((err: Error) => ({ ok: false, error: `${err.name}: ${err.message}` }));
  }

  private async request(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
    const res = await this.pool.request({ method, path, body, headers: { ...AUTH, ...(body ? { 'content-type': 'application/json' } : {}), ...headers } });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  }

  /**
   * A recent call's trace, answered long enough ago to be written (traces are written in batches
   * after the answer); the trace list while there is none.
   */
  private settledTrace(): string {
    const before = Date.now() - SETTLE_MS;
    const found = this.recent.findLast(([at]) => at < before);
    return found ? `/api/traces/${encodeURIComponent(found[1])}` : '/api/traces?limit=1';
  }

  private remember(traceId: string, observations: number): Written[] {
    this.recent.push([Date.now(), traceId]);
    if (this.recent.length > 1_000) this.recent.splice(0, 500);
    return [{ traceId, observations, gateway: true }];
  }

  private chatBody(i: number, model: string, stream: boolean): string {
    return JSON.stringify({
      model,
      messages: [{ role: 'user', content: `Question ${i}: name an animal that jumps over a lazy dog.` }],
      user: `user-${i % 50}`,
      max_tokens: 32,
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
  }

  private async chat(i: number, stream: boolean): Promise<Outcome> {
    const r = await this.request('POST', '/v1/chat/completions', this.chatBody(i, CHAT_ROUTE, stream), { 'x-assay-session-id': `session-${i % 200}` });
    const traceId = String(r.headers['x-assay-trace-id'] ?? '');
    if (r.status !== 200) return { ok: false, error: `HTTP ${r.status}: ${r.text.slice(0, 200)}` };
    if (!traceId) return { ok: false, error: 'answer without x-assay-trace-id' };
    if (stream && !r.text.trimEnd().endsWith('data: [DONE]')) return { ok: false, error: `stream without data: [DONE]: …${r.text.slice(-200)}` };
    if (!stream && !r.text.includes('"choices"')) return { ok: false, error: `no choices: ${r.text.slice(0, 200)}` };
    return { ok: true, written: this.remember(traceId, CHAT_OBSERVATIONS) };
  }

  private async tool(i: number): Promise<Outcome> {
    const r = await this.request('POST', '/v1/chat/completions', this.chatBody(i, TOOL_ROUTE, false), { 'x-assay-session-id': `session-${i % 200}` });
    if (r.status !== 200) return { ok: false, error: `HTTP ${r.status}: ${r.text.slice(0, 200)}` };
    const content = (JSON.parse(r.text) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? '';
    if (!content.includes('5050')) return { ok: false, error: `tool loop answer without the sandbox result 5050: ${content.slice(0, 200)}` };
    return { ok: true, written: this.remember(String(r.headers['x-assay-trace-id']), TOOL_OBSERVATIONS) };
  }

  private async otlp(): Promise<Outcome> {
    const [p] = makePayloads(1, OTLP_TRACES_PER_BATCH, `soak-${this.runId}-${this.n}`);
    const res = await this.pool.request({ method: 'POST', path: '/v1/traces', body: p.body, headers: { ...AUTH, 'content-type': 'application/x-protobuf' } });
    const text = await res.body.text();
    if (res.statusCode !== 200) return { ok: false, error: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` };
    return { ok: true, written: [{ otlpProbe: p.probe, start: p.probeStart }] };
  }

  private async langfuse(i: number): Promise<Outcome> {
    const ts = new Date().toISOString();
    const ids = Array.from({ length: LANGFUSE_TRACES_PER_BATCH }, (_, k) => `lf-${this.runId}-${i}-${k}`);
    const batch = ids.flatMap((id, k) => [
      { id: `${id}-e1`, type: 'trace-create', timestamp: ts, body: { id, name: 'soak-langfuse', userId: `user-${(i + k) % 50}`, sessionId: `lf-session-${i % 100}`, tags: ['soak'] } },
      { id: `${id}-e2`, type: 'span-create', timestamp: ts, body: { id: `${id}-s`, traceId: id, name: 'retrieve', startTime: ts, endTime: ts, input: { q: `question ${i}` } } },
      {
        id: `${id}-e3`,
        type: 'generation-create',
        timestamp: ts,
        body: { id: `${id}-g`, traceId: id, name: 'answer', model: 'gpt-4o-mini', startTime: ts, endTime: ts, input: [{ role: 'user', content: `question ${i}` }], output: 'an answer', usage: { input: 120, output: 30 } },
      },
    ]);
    const r = await this.request('POST', '/api/public/ingestion', JSON.stringify({ batch }));
    if (r.status !== 207 && r.status !== 200) return { ok: false, error: `HTTP ${r.status}: ${r.text.slice(0, 200)}` };
    const body = JSON.parse(r.text) as { errors: { id: string; message: string }[] };
    if (body.errors.length) return { ok: false, error: `${body.errors.length} events rejected: ${body.errors[0].message}` };
    return { ok: true, written: ids.map((traceId) => ({ traceId, observations: 3, gateway: false })) };
  }

  private async read(path: string): Promise<Outcome> {
    const r = await this.request('GET', path);
    if (r.status !== 200) return { ok: false, error: `GET ${path.split('?')[0]} → HTTP ${r.status}: ${r.text.slice(0, 200)}` };
    return { ok: true };
  }

  /** How many observations of what a request wrote can be read back (an OTLP batch: 1 if its probe trace is listed). */
  async readBack(w: Written): Promise<number> {
    const path =
      'traceId' in w
        ? `/api/traces/${encodeURIComponent(w.traceId)}`
        : `/api/traces?limit=1&name=${encodeURIComponent(w.otlpProbe)}&from=${w.start - 1}&to=${w.start + 2}`;
    const r = await this.request('GET', path);
    if (r.status === 404) return 0;
    if (r.status !== 200) throw new Error(`GET ${path} → HTTP ${r.status}: ${r.text.slice(0, 200)}`);
    if ('traceId' in w) return (JSON.parse(r.text) as { observations: unknown[] }).observations.length;
    return (JSON.parse(r.text) as { data: unknown[] }).data.length;
  }
}
