/**
 * /api/scores: attach a judgement to a trace, an observation, a session or an experiment item (SDK
 * `score()`, apps, scripts), list and delete them. Posting needs the ingest scope; reading the read
 * scope. A score is checked against its score config (config_id, else the config of its name).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { newSpanId } from '../../tracing/ids.js';
import { AssayError, badRequest, notFound } from '../../errors.js';
import { foreignScores } from '../../tracing/ownership.js';
import type { Score } from '../../store/scores.js';
import { authenticate, type AuthVars } from '../auth.js';
import { readJson, validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { pageParams, timeParam } from '../query.js';

const id = z.string().min(1).max(200);

export const scoreInputSchema = z
  .strictObject({
    id: id.optional(),
    trace_id: id.optional(),
    observation_id: id.optional(),
    session_id: id.optional(),
    /** An experiment item: experiment_id with item_id (the dataset item the experiment ran). */
    experiment_id: id.optional(),
    item_id: id.optional(),
    name: z.string({ message: 'name is required (e.g. "helpfulness")' }).min(1).max(200),
    value: z.union([z.number(), z.string().max(10_000), z.boolean()], { message: 'value must be a number, a string or a boolean' }),
    data_type: z.enum(['NUMERIC', 'CATEGORICAL', 'BOOLEAN', 'TEXT']).optional(),
    comment: z.string().max(10_000).optional(),
    config_id: id.optional(),
    environment: z.string().max(200).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    /** When the judgement was made (epoch ms or ISO); default now. */
    timestamp: z.union([z.number().int().nonnegative(), z.string()]).optional(),
  })
  .superRefine((s, ctx) => {
    if (!s.trace_id && !s.session_id && !s.experiment_id) {
      ctx.addIssue({ code: 'custom', message: 'a score needs trace_id (optionally with observation_id), session_id, or experiment_id with item_id', path: ['trace_id'] });
    }
    if (!s.experiment_id !== !s.item_id) {
      ctx.addIssue({ code: 'custom', message: 'an experiment item score needs both experiment_id and item_id', path: [s.experiment_id ? 'item_id' : 'experiment_id'] });
    }
    if (s.observation_id && !s.trace_id) {
      ctx.addIssue({ code: 'custom', message: 'observation_id needs the trace_id it belongs to', path: ['trace_id'] });
    }
    const t = s.data_type ?? inferType(s.value);
    const v = s.value;
    const bad =
      (t === 'NUMERIC' && typeof v !== 'number') ||
      (t === 'BOOLEAN' && typeof v !== 'boolean' && v !== 0 && v !== 1 && v !== 'true' && v !== 'false') ||
      (t === 'CATEGORICAL' && typeof v !== 'string' && typeof v !== 'number') ||
      (t === 'TEXT' && typeof v !== 'string');
    if (bad) ctx.addIssue({ code: 'custom', message: `value ${JSON.stringify(v)} does not fit data_type ${t}`, path: ['value'] });
  });

export type ScoreInput = z.infer<typeof scoreInputSchema>;

function inferType(v: number | string | boolean): Score['data_type'] {
  return typeof v === 'number' ? 'NUMERIC' : typeof v === 'boolean' ? 'BOOLEAN' : 'CATEGORICAL';
}

/** An API score input as a stored Score. */
export function toScore(input: ScoreInput, projectId: string, author: string, source: string): Score {
  const dataType = input.data_type ?? inferType(input.value);
  const v = input.value;
  const asBool = v === true || v === 1 || v === 'true';
  const ts = input.timestamp === undefined ? Date.now() : typeof input.timestamp === 'number' ? input.timestamp : Date.parse(input.timestamp);
  return {
    id: input.id ?? newSpanId() + newSpanId(),
    project_id: projectId,
    trace_id: input.trace_id ?? null,
    observation_id: input.observation_id ?? null,
    session_id: input.session_id ?? null,
    experiment_id: input.experiment_id ?? null,
    experiment_item_id: input.item_id ?? null,
    name: input.name,
    data_type: dataType,
    value: dataType === 'BOOLEAN' ? (asBool ? 1 : 0) : typeof v === 'number' ? v : null,
    string_value: dataType === 'BOOLEAN' ? String(asBool) : typeof v === 'string' ? v : null,
    comment: input.comment ?? null,
    source,
    author,
    config_id: input.config_id ?? null,
    environment: input.environment ?? null,
    metadata: input.metadata ?? null,
    timestamp: Number.isFinite(ts) ? ts : Date.now(),
    created_at: Date.now(),
  };
}

/** toScore after the score-config check: the config's id and its normalized value are stored. */
export async function checkedScore(deps: AppDeps, input: ScoreInput, projectId: string, author: string, source: string): Promise<Score> {
  const score = toScore(input, projectId, author, source);
  const { config, checked } = await deps.scoreConfigs.check(projectId, input);
  return config && checked ? { ...score, ...checked, config_id: config.id } : score;
}

const listQuery = z.strictObject({
  trace_id: z.string().optional(),
  observation_id: z.string().optional(),
  session_id: z.string().optional(),
  experiment_id: z.string().optional(),
  item_id: z.string().optional(),
  name: z.string().optional(),
  source: z.string().optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  ...pageParams,
});

export function scoresRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();

  app.post('/', authenticate(deps, 'ingest'), async (c) => {
    const input = await readJson(c, scoreInputSchema, 256 * 1024);
    if (typeof input.timestamp === 'string' && !Number.isFinite(Date.parse(input.timestamp))) {
      throw badRequest(`timestamp "${input.timestamp}" is not a time: use epoch milliseconds or ISO 8601`, 'timestamp');
    }
    const score = await checkedScore(deps, input, c.var.key.project_id, c.var.key.id, 'api');
    const writer = { projectId: c.var.key.project_id, keyId: c.var.key.id, admin: c.var.key.scopes.includes('admin') };
    const why = (await foreignScores(deps.store.scores, writer, [score])).get(score.id);
    if (why) throw new AssayError({ status: 403, code: 'score_not_yours', message: `${why}; send it without an id (or with a new one) to add a score`, param: 'id' });
    await deps.ingest.scores([score]);
    return c.json(score, 201);
  });

  app.get('/', authenticate(deps, 'read'), async (c) => {
    const q = validate(listQuery, c.req.query());
    const page = await deps.store.scores.list(
      {
        projectId: c.var.key.project_id,
        traceId: q.trace_id,
        observationId: q.observation_id,
        sessionId: q.session_id,
        experimentId: q.experiment_id,
        experimentItemId: q.item_id,
        name: q.name,
        source: q.source,
        from: q.from,
        to: q.to,
      },
      q.limit,
      q.cursor,
    );
    return c.json(page);
  });

  app.get('/:id', authenticate(deps, 'read'), async (c) => {
    const s = await deps.store.scores.get(c.var.key.project_id, c.req.param('id'));
    if (!s) throw notFound(`no score ${c.req.param('id')}`, 'score_not_found');
    return c.json(s);
  });

  app.delete('/:id', authenticate(deps, 'admin'), async (c) => {
    const ok = await deps.store.scores.delete(c.var.key.project_id, c.req.param('id'));
    if (!ok) throw notFound(`no score ${c.req.param('id')}`, 'score_not_found');
    return c.json({ id: c.req.param('id'), deleted: true });
  });
  return app;
}
