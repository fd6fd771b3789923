/**
 * Builds a call's context from the request: trace id, user, session, tags and metadata, and the
 * call's root span. Headers: x-assay-trace-id, x-assay-session-id, x-assay-user, x-assay-tags.
 */
import type { Context } from 'hono';
import type { CallContext } from '../../gateway/spec.js';
import { isValidClientTraceId, newTraceId } from '../../tracing/ids.js';
import { emptyObservation, Span } from '../../tracing/span.js';
import type { ApiKeyRecord } from '../../store/keys.js';
import type { AppDeps } from '../deps.js';
import type { ServerResponse } from 'node:http';
import { badRequest, clientClosed } from '../../errors.js';

const MAX_TAGS = 50;

export function parseTags(header: string | undefined): string[] {
  if (!header) return [];
  const tags = [...new Set(header.split(',').map((t) => t.trim()).filter(Boolean))];
  if (tags.length > MAX_TAGS) throw badRequest(`x-assay-tags has ${tags.length} tags; at most ${MAX_TAGS} are kept per call`, 'x-assay-tags');
  return tags;
}

/**
 * Aborted when the client goes away before the response is complete (and so also when a shutdown's
 * grace period ends and the server closes the remaining connections).
 */
export function clientSignal(c: Context): AbortSignal {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing) return c.req.raw.signal;
  const controller = new AbortController();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) controller.abort(clientClosed());
  });
  return controller.signal;
}

export interface CallSetup {
  ctx: CallContext;
  span: Span;
}

/** The trace id for this request: the client's x-assay-trace-id when valid, else a new one. */
export function traceIdFor(c: Context): string {
  const given = c.req.header('x-assay-trace-id');
  if (given === undefined) return newTraceId();
  if (!isValidClientTraceId(given)) {
    throw badRequest('x-assay-trace-id must be 1–128 characters of letters, digits, "_", ".", ":" or "-"', 'x-assay-trace-id');
  }
  return given;
}

export function createCall(
  c: Context,
  deps: AppDeps,
  key: ApiKeyRecord,
  traceId: string,
  name: string,
  body: { user?: unknown; metadata?: unknown } | null,
): CallSetup {
  const user = typeof body?.user === 'string' && body.user ? body.user : (c.req.header('x-assay-user') ?? null);
  const metadata = body?.metadata && typeof body.metadata === 'object' ? (body.metadata as Record<string, unknown>) : null;
  const span = new Span(
    deps.recorder,
    emptyObservation({
      trace_id: traceId,
      // The call is the generation (or embedding); its attempts are child spans.
      type: name === 'embeddings' ? 'embedding' : 'generation',
      name,
      key_id: key.id,
      project_id: key.project_id,
      user_id: user,
      session_id: c.req.header('x-assay-session-id') ?? null,
      tags: parseTags(c.req.header('x-assay-tags')),
      metadata,
      input: deps.config.tracing.store_bodies ? body : null,
    }),
  );
  const ctx: CallContext = {
    traceId,
    signal: clientSignal(c),
    keyId: key.id,
    userId: span.observation.user_id,
    sessionId: span.observation.session_id,
    tags: span.observation.tags,
    metadata: metadata ?? {},
    span,
  };
  return { ctx, span };
}
