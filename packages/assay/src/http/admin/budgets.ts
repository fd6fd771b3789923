/** /api/budgets: spend and token budgets the gateway enforces; each with its current usage. */
import { Hono } from 'hono';
import { budgetFieldsSchema, budgetInputSchema, windowBounds, type Budget } from '../../budgets/types.js';
import type { BudgetService } from '../../budgets/service.js';
import { authenticate, type AuthVars } from '../auth.js';
import { z } from 'zod';
import { readJson, validate } from '../body.js';
import { catalogParams, pageOf } from '../query.js';
import type { AppDeps } from '../deps.js';

const LIMIT = 64 * 1024;

/** A budget with its window and, for a budget about one subject, what it has used. */
async function withUsage(budgets: BudgetService, b: Budget) {
  const { start, end } = windowBounds(b.window, Date.now());
  const used = b.subject === null ? null : (await budgets.usage(b, [b.subject]))[0];
  return { ...b, window_start: new Date(start).toISOString(), window_end: new Date(end).toISOString(), used, remaining: used === null ? null : Math.max(0, b.limit - used) };
}

export function budgetsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const read = authenticate(deps, 'read');
  const admin = authenticate(deps, 'admin');

  app.get('/', read, async (c) => {
    const q = validate(z.strictObject(catalogParams), c.req.query());
    const page = pageOf(deps.budgets.list(c.var.key.project_id), q, (b) => b.id);
    return c.json({ ...page, data: await Promise.all(page.data.map((b) => withUsage(deps.budgets, b))) });
  });

  app.post('/', admin, async (c) => {
    const input = await readJson(c, budgetInputSchema, LIMIT);
    return c.json(await withUsage(deps.budgets, await deps.budgets.create(c.var.key.project_id, input)), 201);
  });

  app.get('/:id', read, async (c) => c.json(await withUsage(deps.budgets, deps.budgets.get(c.var.key.project_id, c.req.param('id')))));

  /** Usage of one subject (`?subject=`), e.g. a user under a per-user budget. */
  app.get('/:id/usage', read, async (c) => {
    const b = deps.budgets.get(c.var.key.project_id, c.req.param('id'));
    const subject = c.req.query('subject') ?? b.subject;
    if (!subject) return c.json({ error: { message: 'this budget applies to every subject: name one with ?subject=', code: 'subject_required' } }, 400);
    const [used] = await deps.budgets.usage(b, [subject]);
    return c.json({ budget: b.name, subject, used, limit: b.limit, remaining: Math.max(0, b.limit - used) });
  });

  app.patch('/:id', admin, async (c) => {
    const patch = await readJson(c, budgetFieldsSchema.partial(), LIMIT);
    return c.json(await withUsage(deps.budgets, await deps.budgets.update(c.var.key.project_id, c.req.param('id'), patch)));
  });

  app.delete('/:id', admin, async (c) => {
    await deps.budgets.delete(c.var.key.project_id, c.req.param('id'));
    return c.json({ id: c.req.param('id'), deleted: true });
  });
  return app;
}
