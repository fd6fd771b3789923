/** /api/traces: the narrow, cursor-paginated list of calls, and one trace with all its observations. */
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../../errors.js';
import { authenticate, type AuthVars } from '../auth.js';
import { validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { pageParams, timeParam } from '../query.js';

const listQuery = z.strictObject({
  model: z.string().optional(),
  route: z.string().optional(),
  status: z.enum(['ok', 'error'], { message: 'status must be ok or error' }).optional(),
  key: z.string().optional(),
  user: z.string().optional(),
  session: z.string().optional(),
  environment: z.string().optional(),
  release: z.string().optional(),
  name: z.string().optional(),
  tag: z.string().optional(),
  /** Free-text search over the trace's observations (name, input, output, metadata, error). */
  q: z.string().min(1).max(500).optional(),
  /** `key=value`: an attribute any observation of the trace has. */
  attr: z
    .string()
    .regex(/^[^=]+=/, 'attr must be key=value, e.g. attr=http.route=/users')
    .transform((v) => ({ key: v.slice(0, v.indexOf('=')), value: v.slice(v.indexOf('=') + 1) }))
    .optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  ...pageParams,
});

export function tracesRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  app.use('*', authenticate(deps, 'read'));

  app.get('/', async (c) => {
    const q = validate(listQuery, c.req.query());
    const page = await deps.store.observations.listTraces(
      {
        projectId: c.var.key.project_id,
        model: q.model,
        route: q.route,
        status: q.status,
        keyId: q.key,
        userId: q.user,
        sessionId: q.session,
        environment: q.environment,
        release: q.release,
        name: q.name,
        tag: q.tag,
        text: q.q,
        attribute: q.attr,
        from: q.from,
        to: q.to,
      },
      q.limit,
      q.cursor,
    );
    return c.json(page);
  });

  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    const observations = await deps.store.observations.getTrace(id, c.var.key.project_id);
    if (observations.length === 0) {
      throw notFound(`no trace ${id}: it may still be in the write queue for a few milliseconds, or the id is wrong`, 'trace_not_found');
    }
    return c.json({ id, observations });
  });
  return app;
}
