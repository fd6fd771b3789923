/** POST /v1/embeddings through the router (vectors are not stored in traces, only their shape). */
import type { Context } from 'hono';
import type { EmbeddingsRequest } from '../../gateway/types.js';
import type { ApiKeyRecord } from '../../store/keys.js';
import type { AppDeps } from '../deps.js';
import { limitHeaders } from '../../limits/index.js';
import { handleCall } from './call.js';
import { embeddingsRequestSchema } from './schemas.js';

export function embeddings(c: Context, deps: AppDeps, key: ApiKeyRecord): Promise<Response> {
  return handleCall(c, deps, key, 'embeddings', embeddingsRequestSchema, async (req, { ctx, span, headers }) => {
    const res = await deps.embeddings(req as EmbeddingsRequest, ctx);
    const first = res.data?.[0]?.embedding;
    span.end({
      status_code: 200,
      input_tokens: res.usage?.prompt_tokens ?? null,
      total_tokens: res.usage?.total_tokens ?? null,
      output: deps.config.tracing.store_bodies
        ? { vectors: res.data?.length ?? 0, dimensions: Array.isArray(first) ? first.length : null, encoding: typeof first === 'string' ? 'base64' : 'float' }
        : null,
    });
    return new Response(JSON.stringify(res), { status: 200, headers: { 'content-type': 'application/json', ...limitHeaders(ctx), ...headers } });
  });
}
