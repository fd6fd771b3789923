/**
 * POST /api/public/feedback: end-user feedback (thumbs up/down, a number, a comment) from a browser,
 * against the trace id the gateway returned in `x-assay-trace-id` (docs/feedback.md).
 *
 * Auth: a key with the `feedback` scope — write-only, so it may sit in page source — sent as
 * `x-assay-feedback-key` (or `Authorization: Bearer`). CORS for `feedback.cors_origins` (default
 * any) on this endpoint only; a token bucket per key and client IP (`feedback.rate_per_minute`).
 *
 * Trace ids are checked for form only, not existence: gateway traces are written in batches, so
 * feedback may arrive before its trace row; scores reference trace ids loosely anyway.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AssayError, badRequest, forbidden } from '../../errors.js';
import { TokenBuckets } from '../../feedback/scores/rate-limit.js';
import { requireScope } from '../../keys/service.js';
import { isValidClientTraceId, newSpanId } from '../../tracing/ids.js';
import { checkedScore, type ScoreInput } from '../admin/scores.js';
import { checkedInHandler, keyFromHeader, publicRoute } from '../auth.js';
import { readJson } from '../body.js';
import type { AppDeps } from '../deps.js';

export const FEEDBACK_KEY_HEADER = 'x-assay-feedback-key';
const MAX_BODY = 16 * 1024;
const THUMBS: Record<string, boolean> = { up: true, down: false };

const feedbackSchema = z.strictObject({
  trace_id: z.string({ message: 'trace_id is required: the x-assay-trace-id header of the gateway response' }).refine(isValidClientTraceId, {
    message: 'trace_id is not a trace id (1-128 characters of letters, digits, _ . : -)',
  }),
  observation_id: z.string().min(1).max(200).optional(),
  value: z.union([z.enum(['up', 'down']), z.boolean(), z.number().finite(), z.string().min(1).max(200)], {
    message: 'value must be "up", "down", true, false or a number',
  }),
  comment: z.string().max(5_000).optional(),
  name: z.string().min(1).max(200).default('user-feedback'),
  /** A client-chosen id (e.g. per message): posting again with it replaces that feedback. */
  feedback_id: z.string().min(1).max(200).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** The CORS origin to answer for a request's Origin, or null when that origin is not allowed. */
export function allowedOrigin(origins: readonly string[], origin: string | undefined): string | null {
  if (origins.includes('*')) return origin ?? '*';
  return origin && origins.includes(origin) ? origin : null;
}

function clientIp(c: Context): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

export function feedbackRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const origins = deps.config.feedback.cors_origins;
  const buckets = new TokenBuckets(deps.config.feedback.rate_per_minute);

  // CORS headers on every answer of this endpoint, errors included, so the page can read them.
  app.use('*', async (c, next) => {
    await next();
    const allow = allowedOrigin(origins, c.req.header('origin'));
    if (!allow) return;
    c.res.headers.set('access-control-allow-origin', allow);
    c.res.headers.set('access-control-expose-headers', 'retry-after');
    if (allow !== '*') c.res.headers.append('vary', 'Origin');
  });

  app.options('/', publicRoute(), (c) => {
    if (c.req.header('origin') && !allowedOrigin(origins, c.req.header('origin'))) return c.body(null, 403);
    return c.body(null, 204, {
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': `content-type, authorization, ${FEEDBACK_KEY_HEADER}`,
      'access-control-max-age': '86400',
    });
  });

  app.post('/', checkedInHandler(['feedback']), async (c) => {
    const origin = c.req.header('origin');
    if (origin && !allowedOrigin(origins, origin)) {
      throw forbidden(`origin ${origin} may not post feedback: add it to feedback.cors_origins in the config`);
    }
    const header = c.req.header(FEEDBACK_KEY_HEADER);
    const key = requireScope(await keyFromHeader(deps, header ? `Bearer ${header}` : c.req.header('authorization')), 'feedback');
    const waitMs = buckets.take(`${key.id}\u0000${clientIp(c)}`);
    if (waitMs !== null) {
      throw new AssayError({
        status: 429,
        code: 'rate_limited',
        message: `too much feedback from this client: at most ${deps.config.feedback.rate_per_minute} per minute; retry in ${Math.ceil(waitMs / 1000)} s`,
        headers: { 'retry-after': String(Math.ceil(waitMs / 1000)) },
      });
    }
    const body = await readJson(c, feedbackSchema, MAX_BODY);
    const projectId = key.project_id;
    const config = await deps.scoreConfigs.repo.getByName(projectId, body.name);
    const typed = config && !config.archived && config.data_type !== 'BOOLEAN';
    let value: ScoreInput['value'];
    if (typed) value = body.value;
    else if (typeof body.value === 'string') {
      if (!(body.value in THUMBS)) throw badRequest('value must be "up", "down", true, false or a number', 'value');
      value = THUMBS[body.value];
    } else if (body.value === 1 || body.value === 0 || body.value === -1) value = body.value === 1;
    else value = body.value;

    const user = body.metadata?.user ?? body.metadata?.user_id;
    const input: ScoreInput = {
      id: body.feedback_id
        ? 'fb_' + createHash('sha256').update([projectId, key.id, body.trace_id, body.name, body.feedback_id].join('\u0000')).digest('hex').slice(0, 32)
        : 'fb_' + newSpanId() + newSpanId(),
      trace_id: body.trace_id,
      observation_id: body.observation_id,
      name: body.name,
      value,
      data_type: typed ? undefined : typeof value === 'boolean' ? 'BOOLEAN' : 'NUMERIC',
      comment: body.comment,
      metadata: { ...body.metadata, ...(typeof user === 'string' ? { user_id: user } : {}), ...(origin ? { origin } : {}) },
    };
    const score = await checkedScore(deps, input, projectId, key.id, 'end-user');
    await deps.ingest.scores([score]);
    const { id, trace_id, observation_id, name, data_type, value: v, string_value, comment } = score;
    return c.json({ id, trace_id, observation_id, name, data_type, value: v, string_value, comment }, 201);
  });
  return app;
}
