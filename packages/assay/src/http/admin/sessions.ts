/** /api/sessions: conversations (traces sharing a session id), and one session's traces in order with its scores. */
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../../errors.js';
import { listSessions } from '../../store/sessions.js';
import { authenticate, type AuthVars } from '../auth.js';
import { validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { pageParams, timeParam } from '../query.js';

const listQuery = z.strictObject({
  user: z.string().optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  ...pageParams,
});

/** Traces shown for one session; longer sessions page through /api/traces?session=. */
const SESSION_TRACES = 500;

export function sessionsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  app.use('*', authenticate(deps, 'read'));

  app.get('/', async (c) => {
    const q = validate(listQuery, c.req.query());
    return c.json(await listSessions(deps.store.db, { projectId: c.var.key.project_id, userId: q.user, from: q.from, to: q.to }, q.limit, q.cursor));
  });

  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    const projectId = c.var.key.project_id;
    const page = await deps.store.observations.listTraces({ projectId, sessionId: id }, SESSION_TRACES);
    if (page.data.length === 0) throw notFound(`no session ${id}`, 'session_not_found');
    const scores = await deps.store.scores.list({ projectId, sessionId: id }, 500);
    return c.json({
      session_id: id,
      traces: page.data.reverse(),
      truncated: page.next_cursor !== null,
      scores: scores.data,
    });
  });
  return app;
}
