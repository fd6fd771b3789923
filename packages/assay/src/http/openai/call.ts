/**
 * The common frame of every model-API call: read and parse the body, open the call's root span
 * (also when the body is not JSON, so failed calls are traced too), validate, check the key's bound
 * user and model allowlist, wait while the trace queue is full, then run the surface's own handler. Anything thrown
 * ends the span and becomes the error response, with x-assay-trace-id.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { toAssayError } from '../../errors.js';
import { checkModel } from '../../gateway/allow.js';
import type { CallContext } from '../../gateway/spec.js';
import type { ApiKeyRecord } from '../../store/keys.js';
import type { Span } from '../../tracing/span.js';
import { parseJson, readBodyText, validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { errorResponse } from '../errors.js';
import { callUser, createCall, traceIdFor } from './context.js';

export interface Call {
  ctx: CallContext;
  span: Span;
  /** Response headers so far (x-assay-trace-id); a handler adds its own. */
  headers: Record<string, string>;
}

/** What a body that is not JSON is traced as (when bodies are stored). */
const RAW_BODY_TRACE_LIMIT = 65_536;

export async function handleCall<S extends z.ZodType<{ model: string }>>(
  c: Context,
  deps: AppDeps,
  key: ApiKeyRecord,
  name: string,
  schema: S,
  run: (req: z.infer<S>, call: Call) => Promise<Response>,
): Promise<Response> {
  const traceId = traceIdFor(c, key);
  const headers: Record<string, string> = { 'x-assay-trace-id': traceId };
  const text = await readBodyText(c, deps.config.limits.max_body_bytes);
  let body: unknown = null;
  let parseError: unknown = null;
  try {
    body = parseJson(text);
  } catch (err) {
    parseError = err;
  }
  const given = parseError ? null : (body as { user?: unknown; metadata?: unknown });
  const who = callUser(c, key, given);
  const { ctx, span } = createCall(c, deps, key, traceId, name, given, who.user);
  if (parseError && deps.config.tracing.store_bodies) span.set({ input: { raw: text.slice(0, RAW_BODY_TRACE_LIMIT) } });
  try {
    if (parseError) throw parseError;
    const req = validate(schema, body);
    if (who.refusal) throw who.refusal;
    checkModel(ctx, req.model);
    span.meta({ requested_model: req.model });
    const wait = deps.recorder.whenWritable();
    if (wait) await wait;
    return await run(req, { ctx, span, headers });
  } catch (err) {
    const e = toAssayError(err);
    if (!span.isEnded) span.fail(e).end({ status_code: e.status });
    return errorResponse(c, e, headers);
  }
}
