/** /api/sessions: conversations (traces sharing a session id), and one session's traces in order with its scores. */
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../../errors.js';
import type { TraceSummary } from '../../store/observations.js';
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

const detailQuery = z.strictObject({
  bodies: z.enum(['true', 'false'], { message: 'bodies must be true or false' }).transform((v) => v === 'true').optional(),
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

  /** `?bodies=true` adds each trace root's input and output, so a conversation reads in one request. */
  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    const { bodies } = validate(detailQuery, c.req.query());
    const projectId = c.var.key.project_id;
    const page = await deps.store.observations.listTraces({ projectId, sessionId: id }, SESSION_TRACES);
    if (page.data.length === 0) throw notFound(`no session ${id}`, 'session_not_found');
    const scores = await deps.store.scores.list({ projectId, sessionId: id }, 500);
    let traces: (TraceSummary & { input?: unknown; output?: unknown })[] = page.data.reverse();
    if (bodies) {
      const roots = new Map((await deps.store.observations.getMany(projectId, traces)).map((o) => [`${o.trace_id}\u0000${o.id}`, o]));
      traces = traces.map((t) => {
        const o = roots.get(`${t.trace_id}\u0000${t.id}`);
        return { ...t, input: o?.input ?? null, output: o?.output ?? null };
      });
    }
    return c.json({
      session_id: id,
      traces,
      truncated: page.next_cursor !== null,
      scores: scores.data,
    });
  });
  return app;
}
