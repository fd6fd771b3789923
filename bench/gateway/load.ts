/**
 * The load generator: undici Pools with keep-alive (one per path and concurrency, connections =
 * concurrency), closed-loop workers that each send one request at a time until the deadline.
 * Records per-request latency (ms, request sent → body fully read), and for streams the time to the
 * first body chunk that carries `data:` (TTFT). Non-2xx answers, bodies without `choices`, streams
 * that end without `data: [DONE]`, and socket errors count as errors.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export type PathName = 'direct' | 'assay' | 'portkey';

export interface Target {
  name: PathName;
  origin: string;
  path: string;
  headers: Record<string, string>;
  model: string;
  /** A response header every answer must carry (Assay's x-assay-trace-id). */
  mustHaveHeader?: string;
}

export interface RunResult {
  ok: number;
  errors: number;
  errorSamples: string[];
  /** Missing `mustHaveHeader` on 2xx answers. */
  missingHeader: number;
  latencies: number[];
  ttfts: number[];
  elapsedMs: number;
  rps: number;
}

const DONE = Buffer.from('[DONE]');
const DATA = Buffer.from('data:');
const CHOICES = Buffer.from('"choices"');
const REQUEST_TIMEOUT_MS = 10_000;

export function requestBody(model: string, stream: boolean, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'Name an animal that jumps over a lazy dog.' },
    ],
    max_tokens: 16,
    temperature: 0,
    ...(stream ? { stream: true } : {}),
    ...extra,
  });
}

const pools = new Map<string, Pool>();

/** The keep-alive pool with one connection for `t`. */
export const probePool = (t: Target) => poolFor(t, 1);

function poolFor(t: Target, concurrency: number): Pool {
  const key = `${t.origin}:${concurrency}`;
  let p = pools.get(key);
  if (!p) {
    p = new Pool(t.origin, {
      connections: concurrency,
      pipelining: 1,
      keepAliveTimeout: 120_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    pools.set(key, p);
  }
  return p;
}

export async function closePools(): Promise<void> {
  await Promise.allSettled([...pools.values()].map((p) => p.close()));
  pools.clear();
}

interface One {
  ok: boolean;
  latency: number;
  ttft: number;
  error?: string;
  missingHeader?: boolean;
}

/** One request. Never throws. */
export async function once(t: Target, pool: Pool, body: string, stream: boolean): Promise<One> {
  const t0 = performance.now();
  try {
    const res = await pool.request({
      method: 'POST',
      path: t.path,
      headers: { 'content-type': 'application/json', ...t.headers },
      body,
    });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const text = (await res.body.text()).slice(0, 300);
      return { ok: false, latency: 0, ttft: 0, error: `HTTP ${res.statusCode}: ${text}` };
    }
    const missingHeader = t.mustHaveHeader ? !res.headers[t.mustHaveHeader] : false;
    if (!stream) {
      const buf = Buffer.from(await res.body.arrayBuffer());
      const latency = performance.now() - t0;
      if (!buf.includes(CHOICES)) return { ok: false, latency: 0, ttft: 0, error: `no "choices" in body: ${buf.toString('utf8', 0, 200)}` };
      return { ok: true, latency, ttft: latency, missingHeader };
    }
    let ttft = -1;
    let prev: Buffer = Buffer.alloc(0);
    let last: Buffer = Buffer.alloc(0);
    for await (const c of res.body as AsyncIterable<Buffer>) {
      if (ttft < 0 && c.includes(DATA)) ttft = performance.now() - t0;
      prev = last;
      last = c;
    }
    const latency = performance.now() - t0;
    if (ttft < 0 || !Buffer.concat([prev.subarray(-16), last]).includes(DONE)) {
      return { ok: false, latency: 0, ttft: 0, error: `broken stream (no data or no [DONE]): …${Buffer.concat([prev, last]).toString('utf8').slice(-200)}` };
    }
    return { ok: true, latency, ttft, missingHeader };
  } catch (err) {
    return { ok: false, latency: 0, ttft: 0, error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

/** Closed loop at `concurrency` for `durationMs` (bounded by `maxRequests` too). */
export async function runLoad(
  t: Target,
  opts: { concurrency: number; durationMs: number; stream: boolean; maxRequests?: number },
): Promise<RunResult> {
  const pool = poolFor(t, opts.concurrency);
  const body = requestBody(t.model, opts.stream);
  const r: RunResult = { ok: 0, errors: 0, errorSamples: [], missingHeader: 0, latencies: [], ttfts: [], elapsedMs: 0, rps: 0 };
  const maxRequests = opts.maxRequests ?? 2_000_000;
  let sent = 0;
  const start = performance.now();
  const end = start + opts.durationMs;
  const worker = async () => {
    while (performance.now() < end && sent < maxRequests) {
      sent++;
      const one = await once(t, pool, body, opts.stream);
      if (one.ok) {
        r.ok++;
        r.latencies.push(one.latency);
        if (opts.stream) r.ttfts.push(one.ttft);
        if (one.missingHeader) r.missingHeader++;
      } else {
        r.errors++;
        if (r.errorSamples.length < 3) r.errorSamples.push(one.error ?? 'unknown error');
        // Do not spin on a dead target.
        await new Promise((res) => setTimeout(res, 5));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  r.elapsedMs = performance.now() - start;
  r.rps = r.ok / (r.elapsedMs / 1000);
  return r;
}

/**
 * Send one request with an unknown top-level OpenAI field through `t` and report whether the
 * upstream saw it (the upstream lists the probe values it received at GET /__probes).
 */
export async function unknownFieldPassed(t: Target, upstreamOrigin: string, stream: boolean): Promise<{ passed: boolean; error?: string }> {
  const value = `probe-${t.name}-${stream ? 'stream' : 'plain'}-${Math.random().toString(36).slice(2)}`;
  const pool = poolFor(t, 1);
  const one = await once(t, pool, requestBody(t.model, stream, { bench_unknown_field: value }), stream);
  const seen = (await (await fetch(`${upstreamOrigin}/__probes`)).json()) as string[];
  return { passed: seen.includes(value), error: one.ok ? undefined : one.error };
}

/** Wait until `t` answers a request with 2xx (bounded). */
export async function waitReady(t: Target, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const one = await once(t, poolFor(t, 1), requestBody(t.model, false), false);
    if (one.ok) return;
    last = one.error ?? '';
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`${t.name} did not answer a chat completion within ${timeoutMs} ms; last error: ${last}`);
}
