/**
 * /api/trace-dead-letters: trace rows the database refused even alone (tracing/dead-letters.ts),
 * newest first, with the reason and the row as it was refused (cut). Admin only: the rows hold
 * request bodies of any key in the project.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { authenticate, type AuthVars } from '../auth.js';
import { validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { pageParams } from '../query.js';

const listQuery = z.strictObject({ ...pageParams });

export function deadLettersRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  app.use('*', authenticate(deps, 'admin'));
  app.get('/', async (c) => {
    const q = validate(listQuery, c.req.query());
    return c.json(await deps.ingest.deadLetters.list(c.var.key.project_id, q.limit, q.cursor));
  });
  return app;
}
