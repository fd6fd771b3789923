/**
 * /api/alerts (rules: CRUD, history, evaluate now) and /api/channels (CRUD, test). GETs need the
 * read scope, everything else admin. Channel secrets are masked in every answer.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { channelCreateSchema, channelPatchSchema, ruleCreateSchema, rulePatchSchema } from '../../alerts/schemas.js';
import { hasScope } from '../../keys/service.js';
import { authenticate, type AuthVars } from '../auth.js';
import { readJson, validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { catalogParams, pageOf, pageParams } from '../query.js';

const BODY_LIMIT = 64 * 1024;

const pageQuery = z.strictObject(pageParams);

export function alertsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const read = authenticate(deps, 'read');
  const admin = authenticate(deps, 'admin');
  const alerts = () => deps.alerts;

  app.get('/', read, async (c) => {
    const q = validate(pageQuery, c.req.query());
    return c.json(await alerts().listRules(c.var.key.project_id, q.limit, q.cursor));
  });

  app.post('/', admin, async (c) => {
    const input = await readJson(c, ruleCreateSchema, BODY_LIMIT);
    return c.json(await alerts().createRule(c.var.key.project_id, input), 201);
  });

  app.get('/:id', read, async (c) => c.json(await alerts().getRule(c.var.key.project_id, c.req.param('id'))));

  app.patch('/:id', admin, async (c) => {
    const patch = await readJson(c, rulePatchSchema, BODY_LIMIT);
    return c.json(await alerts().updateRule(c.var.key.project_id, c.req.param('id'), patch));
  });

  app.delete('/:id', admin, async (c) => {
    await alerts().deleteRule(c.var.key.project_id, c.req.param('id'));
    return c.json({ id: c.req.param('id'), deleted: true });
  });

  app.get('/:id/history', read, async (c) => {
    const q = validate(pageQuery, c.req.query());
    return c.json(await alerts().history(c.var.key.project_id, c.req.param('id'), q.limit, q.cursor));
  });

  app.post('/:id/evaluate', admin, async (c) => {
    const r = (await alerts().evaluate(c.var.key.project_id, c.req.param('id')))!;
    return c.json({ ...r.rule, transition: r.event, notification: r.notification, deliveries: r.deliveries });
  });
  return app;
}

export function channelsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const read = authenticate(deps, 'read');
  const admin = authenticate(deps, 'admin');
  const alerts = () => deps.alerts;

  app.get('/', read, async (c) => {
    const q = validate(z.strictObject(catalogParams), c.req.query());
    return c.json(pageOf(await alerts().listChannels(c.var.key.project_id, hasScope(c.var.key, 'admin')), q, (ch) => ch.id));
  });

  app.post('/', admin, async (c) => {
    const input = await readJson(c, channelCreateSchema, BODY_LIMIT);
    return c.json(await alerts().createChannel(c.var.key.project_id, input), 201);
  });

  app.get('/:id', read, async (c) => c.json(await alerts().getChannel(c.var.key.project_id, c.req.param('id'), hasScope(c.var.key, 'admin'))));

  app.patch('/:id', admin, async (c) => {
    const patch = await readJson(c, channelPatchSchema, BODY_LIMIT);
    return c.json(await alerts().updateChannel(c.var.key.project_id, c.req.param('id'), patch));
  });

  app.delete('/:id', admin, async (c) => {
    await alerts().deleteChannel(c.var.key.project_id, c.req.param('id'));
    return c.json({ id: c.req.param('id'), deleted: true });
  });

  app.post('/:id/test', admin, async (c) => c.json(await alerts().testChannel(c.var.key.project_id, c.req.param('id'))));
  return app;
}
