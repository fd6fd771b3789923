/**
 * /api/experiments: create and run an experiment (a dataset version or inline items × variants ×
 * repeats through the gateway), follow its progress, read the per-run results and the statistics,
 * cancel and delete. Creating and cancelling need the admin scope; reading the read scope.
 * See docs/evals.md.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { ExperimentRecord, ResultRow } from '../../evals/experiments/types.js';
import { authenticate, type AuthVars } from '../auth.js';
import { readJson, validate } from '../body.js';
import type { AppDeps } from '../deps.js';

const MAX_DEFINITION_BYTES = 50 * 1024 * 1024;

export function experimentJson(e: ExperimentRecord) {
  return {
    id: e.id,
    name: e.name,
    status: e.status,
    dataset: e.dataset,
    dataset_version: e.datasetVersion,
    total: e.total,
    done: e.done,
    error: e.error,
    created_by: e.createdBy,
    created_at: e.createdAt,
    started_at: e.startedAt,
    finished_at: e.finishedAt,
    definition: e.definition,
    summary: e.summary,
  };
}

export function resultJson(r: ResultRow) {
  return {
    item_id: r.itemId,
    variant: r.variant,
    repeat: r.repeat,
    output: r.output,
    pass: r.pass,
    score: r.score,
    assertions: r.assertions,
    latency_ms: r.latencyMs,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cost: r.cost,
    cached: r.cached,
    trace_id: r.traceId,
    error: r.error,
  };
}

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50), before: z.coerce.number().int().optional() });
const createQuery = z.strictObject({ wait: z.enum(['true', 'false']).optional() });

export function experimentsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const svc = deps.experiments;

  app.post('/', authenticate(deps, 'admin'), async (c) => {
    const q = validate(createQuery, c.req.query());
    const body = await readJson(c, z.unknown(), MAX_DEFINITION_BYTES);
    let e = await svc.create(body, { projectId: c.var.key.project_id, keyId: c.var.key.id });
    if (q.wait === 'true') {
      await svc.wait(e.id);
      e = await svc.get(c.var.key.project_id, e.id);
    }
    return c.json(experimentJson(e), 201);
  });

  app.get('/', authenticate(deps, 'read'), async (c) => {
    const q = validate(listQuery, c.req.query());
    const rows = await svc.list(c.var.key.project_id, q.limit, q.before);
    // The list is light: no definitions or summaries, only the variant ids.
    return c.json({
      data: rows.map((e) => {
        const { definition: _d, summary: _s, ...rest } = experimentJson(e);
        return { ...rest, variants: e.definition.variants.map((v) => v.id) };
      }),
    });
  });

  app.get('/:id', authenticate(deps, 'read'), async (c) => c.json(experimentJson(await svc.get(c.var.key.project_id, c.req.param('id')))));

  app.get('/:id/results', authenticate(deps, 'read'), async (c) => {
    const { experiment, rows } = await svc.results(c.var.key.project_id, c.req.param('id'));
    return c.json({ experiment: experiment.id, status: experiment.status, data: rows.map(resultJson) });
  });

  app.get('/:id/compare', authenticate(deps, 'read'), async (c) => {
    const q = validate(z.strictObject({ baseline: z.string().min(1, { message: 'baseline is required: the id or name of a finished experiment' }) }), c.req.query());
    const r = await svc.compare(c.var.key.project_id, c.req.param('id'), q.baseline);
    return c.json({ experiment: r.experiment.id, baseline: r.baseline.id, comparisons: r.comparisons, regression: r.comparisons.some((x) => x.regression) });
  });

  app.post('/:id/cancel', authenticate(deps, 'admin'), async (c) => c.json(experimentJson(await svc.cancel(c.var.key.project_id, c.req.param('id')))));

  app.delete('/:id', authenticate(deps, 'admin'), async (c) => {
    await svc.delete(c.var.key.project_id, c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
