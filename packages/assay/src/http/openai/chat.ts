/** POST /v1/chat/completions: validate, build the call context, run the pipeline, answer or stream. */
import type { Context } from 'hono';
import { forbidden, toAssayError } from '../../errors.js';
import { usageFields } from '../../gateway/router/index.js';
import type { ChatRequest } from '../../gateway/types.js';
import { keyAllowsModel } from '../../keys/service.js';
import type { ApiKeyRecord } from '../../store/keys.js';
import { parseJson, readBodyText, validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { errorResponse } from '../errors.js';
import { createCall, traceIdFor } from './context.js';
import { chatRequestSchema } from './schemas.js';
import { sseStream } from './stream.js';

export async function chatCompletions(c: Context, deps: AppDeps, key: ApiKeyRecord): Promise<Response> {
  const started = performance.now();
  const traceId = traceIdFor(c);
  const text = await readBodyText(c, deps.config.limits.max_body_bytes);
  let body: unknown = null;
  try {
    body = parseJson(text);
  } catch (err) {
    body = deps.config.tracing.store_bodies ? { raw: text.slice(0, 65_536) } : null;
    return failed(c, deps, key, traceId, body, err);
  }
  const { ctx, span } = createCall(c, deps, key, traceId, 'chat.completions', body as ChatRequest);
  const headers: Record<string, string> = { 'x-assay-trace-id': traceId };
  try {
    const req = validate(chatRequestSchema, body) as ChatRequest;
    if (!keyAllowsModel(key, req.model)) throw forbidden(`This key may not call "${req.model}"; it may call: ${key.models!.join(', ')}`);
    span.meta({ requested_model: req.model, stream: !!req.stream });
    const wait = deps.recorder.whenWritable();
    if (wait) await wait;
    const result = await deps.chat(req, ctx);
    Object.assign(headers, result.headers);
    if (result.kind === 'response') {
      const upstream = Number(result.headers?.['x-assay-upstream-ms'] ?? 0);
      headers['x-assay-overhead-ms'] = Math.max(0, performance.now() - started - upstream).toFixed(3);
      span.end({
        status_code: 200,
        output: deps.config.tracing.store_bodies ? result.response : null,
        ...usageFields(result.response.usage),
        metadata: { ...span.observation.metadata, finish_reason: result.response.choices?.[0]?.finish_reason ?? null },
      });
      return new Response(JSON.stringify(result.response), { status: 200, headers: { 'content-type': 'application/json', ...headers } });
    }
    const stream = sseStream(result.chunks, !!req.stream_options?.include_usage, {
      onFirstChunk: () => span.set({ ttft_ms: Math.round(span.elapsed() * 1000) / 1000 }),
      onEnd: (acc, error) => {
        const output = acc.result();
        if (error) span.fail(toAssayError(error));
        span.end({
          status_code: error ? (toAssayError(error).status ?? 502) : 200,
          output: deps.config.tracing.store_bodies ? output : null,
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
  } catch (err) {
    const e = toAssayError(err);
    span.fail(e).end({ status_code: e.status });
    return errorResponse(c, e, headers);
  }
}

/** A request that failed before it had a context (e.g. invalid JSON) is still traced. */
function failed(c: Context, deps: AppDeps, key: ApiKeyRecord, traceId: string, body: unknown, err: unknown): Response {
  const e = toAssayError(err);
  const { span } = createCall(c, deps, key, traceId, 'chat.completions', null);
  span.fail(e).end({ status_code: e.status, input: body });
  return errorResponse(c, e, { 'x-assay-trace-id': traceId });
}
