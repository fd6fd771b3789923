/**
 * /api/score-configs: definitions scores are validated against (docs/feedback.md). Creating and
 * changing needs the admin scope, reading the read scope. PATCH changes only the description and
 * the archived flag: a config's type, range and categories are fixed (create a new name instead).
 *
 * Also the Langfuse-compatible /api/public/score-configs (camelCase fields, page/limit meta), so
 * Langfuse SDKs and scripts can list, read and create configs.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest } from '../../errors.js';
import { scoreConfigInputSchema, scoreConfigPatchSchema, type ScoreConfig } from '../../feedback/scores/types.js';
import { authenticate, type AuthVars } from '../auth.js';
import { readJson, validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { catalogParams, pageOf } from '../query.js';

const FIXED_FIELDS = ['name', 'data_type', 'min', 'max', 'categories'];

const listQuery = z.strictObject({
  include_archived: z.enum(['true', 'false']).optional(),
  name: z.string().optional(),
  ...catalogParams,
});

export function scoreConfigsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const svc = deps.scoreConfigs;

  app.post('/', authenticate(deps, 'admin'), async (c) => {
    const input = await readJson(c, scoreConfigInputSchema, 64 * 1024);
    return c.json(await svc.create(c.var.key.project_id, input, c.var.key.id), 201);
  });

  app.get('/', authenticate(deps, 'read'), async (c) => {
    const q = validate(listQuery, c.req.query());
    const data = await svc.list(c.var.key.project_id, { includeArchived: q.include_archived === 'true', name: q.name });
    return c.json(pageOf(data, q, (s) => s.id));
  });

  app.get('/:id', authenticate(deps, 'read'), async (c) => c.json(await svc.get(c.var.key.project_id, c.req.param('id'))));

  app.patch('/:id', authenticate(deps, 'admin'), async (c) => {
    const body = await readJson(c, z.record(z.string(), z.unknown()), 64 * 1024);
    const fixed = Object.keys(body).filter((k) => FIXED_FIELDS.includes(k));
    if (fixed.length) {
      throw badRequest(
        `${fixed.join(', ')} cannot change: scores already stored follow this definition. Archive the config and create one with a new name instead; PATCH takes description and archived`,
        fixed[0],
        'score_config_immutable',
      );
    }
    const patch = validate(scoreConfigPatchSchema, body);
    return c.json(await svc.update(c.var.key.project_id, c.req.param('id'), patch));
  });
  return app;
}

/** A config in Langfuse's ScoreConfig shape. */
export function toLangfuseConfig(c: ScoreConfig): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    createdAt: new Date(c.created_at).toISOString(),
    updatedAt: new Date(c.updated_at).toISOString(),
    projectId: c.project_id,
    dataType: c.data_type,
    isArchived: c.archived,
    minValue: c.min,
    maxValue: c.max,
    categories: c.categories,
    description: c.description,
  };
}

const langfuseCreate = z.strictObject({
  name: z.string(),
  dataType: z.string(),
  categories: z.array(z.unknown()).nullable().optional(),
  minValue: z.number().nullable().optional(),
  maxValue: z.number().nullable().optional(),
  description: z.string().nullable().optional(),
});

const langfuseList = z.strictObject({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** Langfuse's /api/public/score-configs: GET (list, page/limit), POST, GET /:configId. */
export function langfuseScoreConfigsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const svc = deps.scoreConfigs;

  app.get('/', authenticate(deps, 'read'), async (c) => {
    const q = validate(langfuseList, c.req.query());
    const all = await svc.list(c.var.key.project_id, { includeArchived: true });
    const data = all.slice((q.page - 1) * q.limit, q.page * q.limit).map(toLangfuseConfig);
    return c.json({ data, meta: { page: q.page, limit: q.limit, totalItems: all.length, totalPages: Math.ceil(all.length / q.limit) } });
  });

  app.post('/', authenticate(deps, 'admin'), async (c) => {
    const b = await readJson(c, langfuseCreate, 64 * 1024);
    const input = validate(scoreConfigInputSchema, {
      name: b.name,
      data_type: b.dataType,
      min: b.minValue,
      max: b.maxValue,
      categories: b.dataType === 'BOOLEAN' ? undefined : b.categories, // Langfuse sends True/False categories
      description: b.description,
    });
    return c.json(toLangfuseConfig(await svc.create(c.var.key.project_id, input, c.var.key.id)), 200);
  });

  app.get('/:id', authenticate(deps, 'read'), async (c) => c.json(toLangfuseConfig(await svc.get(c.var.key.project_id, c.req.param('id')))));
  return app;
}
