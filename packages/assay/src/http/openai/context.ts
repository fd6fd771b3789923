/**
 * Builds a call's context from the request: trace id (namespaced by key), user (a key's bound user
 * wins), session, tags and metadata, the calling key (its model allow-list and memory namespace),
 * and the call's root span. Headers: x-assay-trace-id, x-assay-session-id, x-assay-user, x-assay-tags.
 */
import type { Context } from 'hono';
import type { CallContext, CallKey } from '../../gateway/spec.js';
import { memoryNamespaceOf } from '../../keys/policy.js';
import { isValidClientTraceId, newTraceId } from '../../tracing/ids.js';
import { emptyObservation, Span } from '../../tracing/span.js';
import type { ApiKeyRecord } from '../../store/keys.js';
import type { AppDeps } from '../deps.js';
import type { ServerResponse } from 'node:http';
import { AssayError, badRequest, clientClosed } from '../../errors.js';

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

/**
 * The trace id for this request: a new one, or, for the client's x-assay-trace-id, that id within
 * the key's namespace: "<key id>:<client id>". The same key and client id always land on the same
 * trace; another key's calls can never add spans to it (key ids hold no ":"). An id that already
 * starts with the key's own prefix (the response header sent back) is kept as it is.
 */
export function traceIdFor(c: Context, key: Pick<ApiKeyRecord, 'id'>): string {
  const given = c.req.header('x-assay-trace-id');
  if (given === undefined) return newTraceId();
  if (!isValidClientTraceId(given)) {
    throw badRequest('x-assay-trace-id must be 1–128 characters of letters, digits, "_", ".", ":" or "-"', 'x-assay-trace-id');
  }
  const prefix = `${key.id}:`;
  return given.startsWith(prefix) ? given : prefix + given;
}

/**
 * The end user of a call: the key's bound user (keys/policy.ts `user`), else the body's `user`,
 * else x-assay-user. A bound key naming another user gets a refusal (the call is still traced as
 * its bound user), so per-user memory and budgets cannot be reached or dodged by inventing users.
 */
export function callUser(c: Context, key: ApiKeyRecord, body: { user?: unknown } | null): { user: string | null; refusal: AssayError | null } {
  const inBody = typeof body?.user === 'string' && body.user ? body.user : null;
  const named = inBody ?? c.req.header('x-assay-user') ?? null;
  const bound = key.policy?.user;
  if (!bound) return { user: named, refusal: null };
  if (named === null || named === bound) return { user: bound, refusal: null };
  const field = inBody ? 'user' : 'x-assay-user';
  const refusal = new AssayError({
    status: 403,
    code: 'user_bound',
    param: field,
    message: `This key is bound to one end user (${JSON.stringify(bound)}): ${field} ${JSON.stringify(named)} is not allowed; send that user or none`,
  });
  return { user: bound, refusal };
}

/** What the layers know of the calling key. */
export const callKeyOf = (key: ApiKeyRecord): CallKey => ({
  id: key.id, scopes: key.scopes, policy: key.policy, models: key.models, memoryNamespace: memoryNamespaceOf(key),
});

export function createCall(
  c: Context,
  deps: AppDeps,
  key: ApiKeyRecord,
  traceId: string,
  name: string,
  body: { user?: unknown; metadata?: unknown } | null,
  user: string | null,
): CallSetup {
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
    key: callKeyOf(key),
    userId: span.observation.user_id,
    sessionId: span.observation.session_id,
    tags: span.observation.tags,
    metadata: metadata ?? {},
    span,
  };
  return { ctx, span };
}
