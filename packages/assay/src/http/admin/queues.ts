/**
 * /api/queues: annotation queues (docs/annotation.md). Admin keys create and manage queues, add
 * items, adjudicate and promote; annotators — the keys in a queue's `annotators` list, or any key
 * with the read scope when the queue has none — read the queue, take the next item, annotate, and
 * see progress, agreement and disagreements. Everything submitted is attributed to the caller's key.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { unauthorized } from '../../errors.js';
import { hasScope } from '../../keys/service.js';
import { adjudicate, agreement, disagreements, promote } from '../../feedback/queues/analysis.js';
import { shownOrder } from '../../feedback/queues/answers.js';
import { viewOf, type AddItemsBody } from '../../feedback/queues/service.js';
import { queueInputSchema, type Annotator } from '../../feedback/queues/types.js';
import { authenticate, declareAccess, keyFromRequest, type AuthVars } from '../auth.js';
import { readJson, validate } from '../body.js';
import { catalogParams, pageOf } from '../query.js';
import type { AppDeps } from '../deps.js';
import type { ScoreMatch } from '../../store/scores.js';
import { judgeVsHuman } from '../../feedback/queues/judge.js';

const ids = z.array(z.string().min(1).max(200)).min(1).max(5_000);
const addItemsSchema = z.union([
  z.strictObject({ traces: ids }),
  z.strictObject({ observations: z.array(z.strictObject({ trace_id: z.string().min(1), id: z.string().min(1) })).min(1).max(5_000) }),
  z.strictObject({
    filter: z.strictObject({
      model: z.string().optional(), route: z.string().optional(), status: z.enum(['ok', 'error']).optional(),
      key: z.string().optional(), user: z.string().optional(), session: z.string().optional(), environment: z.string().optional(),
      release: z.string().optional(), name: z.string().optional(), tag: z.string().optional(), q: z.string().min(1).max(500).optional(),
      from: z.number().int().optional(), to: z.number().int().optional(), limit: z.number().int().min(1).max(5_000).default(100),
      /** Only traces with a score of this name in a range or of a value, e.g. {name: 'user-feedback', value: false}. */
      score: z.strictObject({
        name: z.string().min(1), min: z.number().optional(), max: z.number().optional(), value: z.union([z.number(), z.boolean(), z.string()]).optional(),
      }).optional(),
    }),
  }),
  z.strictObject({ experiment: z.strictObject({ id: z.string().min(1), variant: z.string().min(1).optional() }) }),
  z.strictObject({ pairs: z.strictObject({ experiment: z.string().min(1), a: z.string().min(1), b: z.string().min(1) }) }),
  z.strictObject({ compare: z.strictObject({ experiment: z.string().min(1), variants: z.array(z.string().min(1)).min(2).max(20) }) }),
], { message: 'send one of {traces: [...]}, {observations: [{trace_id, id}]}, {filter: {...}}, {experiment: {id, variant?}}, {pairs: {experiment, a, b}}, {compare: {experiment, variants}}' });

const annotateSchema = z.strictObject({ answers: z.record(z.string(), z.unknown(), { message: 'answers must be an object {questionId: value}' }) });
const adjudicateSchema = z.strictObject({ question: z.string().min(1), value: z.unknown(), note: z.string().max(10_000).nullable().optional() });
const promoteSchema = z.strictObject({ dataset: z.string().min(1).max(200), question: z.string().min(1).optional(), min_agreement: z.number().min(0).max(1).optional() });
const itemsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50), cursor: z.string().optional() });

/** Any valid key (which queues it may touch is the queue's business). */
function anyKey(deps: AppDeps): MiddlewareHandler<{ Variables: AuthVars }> {
  return declareAccess('any key', async (c, next) => {
    const key = await keyFromRequest(deps, c);
    if (!key) throw unauthorized('Missing or invalid API key: send "Authorization: Bearer <Assay key>"');
    c.set('key', key);
    await next();
  });
}

const who = (c: { var: AuthVars }): Annotator => ({
  id: c.var.key.id, name: c.var.key.name, projectId: c.var.key.project_id, admin: hasScope(c.var.key, 'admin'), read: hasScope(c.var.key, 'read'),
});

const cursorOf = (s: string | undefined) => {
  if (!s) return undefined;
  const [t, id] = Buffer.from(s, 'base64url').toString('utf8').split('\u0000');
  return { created_at: Number(t), id };
};

export function queuesRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const admin = authenticate(deps, 'admin');
  const svc = deps.queues;

  app.post('/', admin, async (c) => {
    const input = await readJson(c, queueInputSchema, 1024 * 1024);
    return c.json(await svc.create(c.var.key.project_id, input, c.var.key.id), 201);
  });
  app.get('/', anyKey(deps), async (c) => {
    const q = validate(z.strictObject(catalogParams), c.req.query());
    return c.json(pageOf(await svc.list(who(c)), q, (queue) => queue.id));
  });
  app.get('/:id', anyKey(deps), async (c) => c.json(await svc.forAnnotator(c.req.param('id'), who(c))));
  app.put('/:id', admin, async (c) => {
    const input = await readJson(c, queueInputSchema, 1024 * 1024);
    return c.json(await svc.update(c.var.key.project_id, c.req.param('id'), input));
  });
  app.delete('/:id', admin, async (c) => {
    await svc.delete(c.var.key.project_id, c.req.param('id'));
    return c.json({ id: c.req.param('id'), deleted: true });
  });

  app.post('/:id/items', admin, async (c) => {
    const body = await readJson(c, addItemsSchema, 4 * 1024 * 1024);
    const b = body as Record<string, unknown>;
    let input = body as AddItemsBody;
    if ('filter' in b) {
      const f = (body as { filter: Record<string, unknown> & { limit: number } }).filter;
      input = {
        filter: {
          model: f.model as string | undefined, route: f.route as string | undefined, status: f.status as 'ok' | 'error' | undefined,
          keyId: f.key as string | undefined, userId: f.user as string | undefined, sessionId: f.session as string | undefined,
          environment: f.environment as string | undefined, release: f.release as string | undefined, name: f.name as string | undefined,
          tag: f.tag as string | undefined, text: f.q as string | undefined, from: f.from as number | undefined, to: f.to as number | undefined, limit: f.limit,
          score: f.score as ScoreMatch | undefined,
        },
      };
    }
    return c.json(await svc.addItems(c.var.key.project_id, c.req.param('id'), input), 201);
  });
  app.get('/:id/items', admin, async (c) => {
    const q = await svc.get(c.var.key.project_id, c.req.param('id'));
    const p = validate(itemsQuery, c.req.query());
    const rows = await svc.items(q, p.limit + 1, cursorOf(p.cursor));
    const data = rows.slice(0, p.limit);
    const last = data[data.length - 1];
    return c.json({ data, next_cursor: rows.length > p.limit && last ? Buffer.from(`${last.created_at}\u0000${last.id}`).toString('base64url') : null });
  });
  app.get('/:id/items/:item', admin, async (c) => {
    const q = await svc.get(c.var.key.project_id, c.req.param('id'));
    const item = await svc.item(q, c.req.param('item'));
    const annotations = await svc.repo.annotations(q.id, item.id);
    const adjudications = (await svc.repo.adjudications(q.id)).filter((a) => a.item_id === item.id);
    return c.json({ ...item, annotations, adjudications });
  });

  app.get('/:id/next', anyKey(deps), async (c) => {
    const q = await svc.forAnnotator(c.req.param('id'), who(c));
    // ?skip=id1,id2: items passed over in this sitting (at most 500)
    const skip = new Set((c.req.query('skip') ?? '').split(',').map((s) => s.trim()).filter(Boolean).slice(0, 500));
    const next = await svc.next(q, who(c), skip);
    return c.json({ queue: q.id, questions: q.questions, ...next });
  });
  app.post('/:id/items/:item/annotations', anyKey(deps), async (c) => {
    const q = await svc.forAnnotator(c.req.param('id'), who(c));
    const body = await readJson(c, annotateSchema, 1024 * 1024);
    return c.json(await svc.annotate(q, c.req.param('item'), who(c), body.answers), 201);
  });
  app.get('/:id/items/:item/view', anyKey(deps), async (c) => {
    const q = await svc.forAnnotator(c.req.param('id'), who(c));
    const item = await svc.item(q, c.req.param('item'));
    return c.json(viewOf(item, item.kind === 'multi' ? shownOrder(item.id, who(c).id, item.content.outputs.length) : null));
  });
  app.get('/:id/progress', anyKey(deps), async (c) => {
    const q = await svc.forAnnotator(c.req.param('id'), who(c));
    return c.json(await svc.progress(q));
  });
  app.get('/:id/agreement', anyKey(deps), async (c) => {
    const q = await svc.forAnnotator(c.req.param('id'), who(c));
    return c.json(await agreement(svc, q, c.req.query('question') || undefined));
  });
  app.get('/:id/judge', anyKey(deps), async (c) => {
    const q = await svc.forAnnotator(c.req.param('id'), who(c));
    const query = validate(z.strictObject({ question: z.string({ message: 'question is required: the queue question holding the human labels' }).min(1), score: z.string({ message: 'score is required: the name of the judge scores on the items\' traces' }).min(1) }), c.req.query());
    return c.json(await judgeVsHuman(svc, deps.store.scores, q, query.question, query.score));
  });
  app.get('/:id/disagreements', anyKey(deps), async (c) => {
    const q = await svc.forAnnotator(c.req.param('id'), who(c));
    return c.json({ data: await disagreements(svc, q, c.req.query('question') || undefined, c.req.query('all') === 'true') });
  });
  app.post('/:id/items/:item/adjudicate', admin, async (c) => {
    const q = await svc.get(c.var.key.project_id, c.req.param('id'));
    const item = await svc.item(q, c.req.param('item'));
    const body = await readJson(c, adjudicateSchema, 1024 * 1024);
    return c.json(await adjudicate(svc, q, item, body, c.var.key.id), 201);
  });
  app.post('/:id/promote', admin, async (c) => {
    const q = await svc.get(c.var.key.project_id, c.req.param('id'));
    const body = await readJson(c, promoteSchema, 64 * 1024);
    const writeItems = async (projectId: string, dataset: string, values: unknown[], author: string) => {
      try {
        await deps.datasets.get(projectId, dataset);
      } catch {
        await deps.datasets.create(projectId, { name: dataset, description: `promoted from annotation queue ${q.name}` });
      }
      return deps.datasets.writeItems(projectId, dataset, values, { mode: 'upsert', author });
    };
    return c.json(await promote(svc, { writeItems }, q, body, c.var.key.id), 201);
  });
  return app;
}
