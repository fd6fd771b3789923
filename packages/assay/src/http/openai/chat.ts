/** POST /v1/chat/completions: run the pipeline, then answer or stream. */
import type { Context } from 'hono';
import { toAssayError } from '../../errors.js';
import { usageFields } from '../../gateway/router/index.js';
import type { ChatRequest } from '../../gateway/types.js';
import type { ApiKeyRecord } from '../../store/keys.js';
import type { AppDeps } from '../deps.js';
import { handleCall } from './call.js';
import { chatRequestSchema } from './schemas.js';
import { sseStream } from './stream.js';

export function chatCompletions(c: Context, deps: AppDeps, key: ApiKeyRecord): Promise<Response> {
  const started = performance.now();
  const storeBodies = deps.config.tracing.store_bodies;
  return handleCall(c, deps, key, 'chat.completions', chatRequestSchema, async (body, { ctx, span, headers }) => {
    const req = body as ChatRequest;
    span.meta({ stream: !!req.stream });
    const result = await deps.chat(req, ctx);
    Object.assign(headers, result.headers);
    if (result.kind === 'response') {
      const upstream = Number(result.headers?.['x-assay-upstream-ms'] ?? 0);
      headers['x-assay-overhead-ms'] = Math.max(0, performance.now() - started - upstream).toFixed(3);
      span.end({
        status_code: 200,
        output: storeBodies ? result.response : null,
        ...usageFields(result.response.usage),
        metadata: { ...span.observation.metadata, finish_reason: result.response.choices?.[0]?.finish_reason ?? null },
      });
      return new Response(JSON.stringify(result.response), { status: 200, headers: { 'content-type': 'application/json', ...headers } });
    }
    const stream = sseStream(result.chunks, !!req.stream_options?.include_usage, {
      onFirstChunk: () => span.set({ ttft_ms: Math.round(span.elapsed() * 1000) / 1000 }),
      onEnd: (acc, error) => {
        const output = acc.result();
        const e = error ? toAssayError(error) : null;
        if (e) span.fail(e);
        span.end({
          status_code: e ? e.status : 200,
          output: storeBodies ? output : null,
          ...usageFields(acc.usage),
          metadata: { ...span.observation.metadata, finish_reason: output.choices[0]?.finish_reason ?? null, chunks: acc.chunks },
        });
      },
    });
    return new Response(stream, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        ...headers,
      },
    });
  });
}
