/** POST /v1/embeddings through the router (vectors are not stored in traces, only their shape). */
import type { Context } from 'hono';
import { forbidden, toAssayError } from '../../errors.js';
import type { EmbeddingsRequest } from '../../gateway/types.js';
import { keyAllowsModel } from '../../keys/service.js';
import type { ApiKeyRecord } from '../../store/keys.js';
import { parseJson, readBodyText, validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { errorResponse } from '../errors.js';
import { createCall, traceIdFor } from './context.js';
import { embeddingsRequestSchema } from './schemas.js';

export async function embeddings(c: Context, deps: AppDeps, key: ApiKeyRecord): Promise<Response> {
  const traceId = traceIdFor(c);
  const headers = { 'x-assay-trace-id': traceId };
  const text = await readBodyText(c, deps.config.limits.max_body_bytes);
  let body: unknown = null;
  let parseError: unknown = null;
  try {
    body = parseJson(text);
  } catch (err) {
    parseError = err;
  }
  const { ctx, span } = createCall(c, deps, key, traceId, 'embeddings', body as EmbeddingsRequest | null);
  try {
    if (parseError) throw parseError;
    const req = validate(embeddingsRequestSchema, body) as EmbeddingsRequest;
    if (!keyAllowsModel(key, req.model)) throw forbidden(`This key may not call "${req.model}"; it may call: ${key.models!.join(', ')}`);
    span.meta({ requested_model: req.model });
    const wait = deps.recorder.whenWritable();
    if (wait) await wait;
    const res = await deps.embeddings(req, ctx);
    const first = res.data?.[0]?.embedding;
    span.end({
      status_code: 200,
      input_tokens: res.usage?.prompt_tokens ?? null,
      total_tokens: res.usage?.total_tokens ?? null,
      output: deps.config.tracing.store_bodies
        ? { vectors: res.data?.length ?? 0, dimensions: Array.isArray(first) ? first.length : null, encoding: typeof first === 'string' ? 'base64' : 'float' }
        : null,
    });
    return new Response(JSON.stringify(res), { status: 200, headers: { 'content-type': 'application/json', ...headers } });
  } catch (err) {
    const e = toAssayError(err);
    span.fail(e).end({ status_code: e.status });
    return errorResponse(c, e, headers);
  }
}
