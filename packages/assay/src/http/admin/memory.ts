/**
 * /api/memory: long-term memory per end user (docs/memory.md). User ids travel URL-encoded in the
 * path, their namespace (the key id or memory_namespace whose calls stored them) as `?namespace=`. Reading and searching need the read scope; storing, re-embedding and deleting the admin
 * scope. With no `memory:` section in the config every route answers 404 saying how to turn it on.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AssayError, notFound } from '../../errors.js';
import type { Memory, MemoryService, MemoryUser, RecallHit } from '../../memory/index.js';
import { LEGACY_NAMESPACE, MAX_K, MAX_TEXT_CHARS, ownerId, splitOwner } from '../../memory/index.js';
import { describeOwner, NAMESPACE_HELP, NAMESPACE_PATTERN } from '../../memory/owner.js';
import { authenticate, type AuthVars } from '../auth.js';
import { readJson, validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { pageParams } from '../query.js';

const LIMIT = 64 * 1024;

const rememberSchema = z.strictObject({
  text: z.string({ message: 'text is required: the fact to remember' }).max(MAX_TEXT_CHARS * 2),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const searchSchema = z.strictObject({
  query: z.string({ message: 'query is required: what to recall memories about' }).max(MAX_TEXT_CHARS * 2),
  k: z.number().int().min(1).max(MAX_K).optional(),
});

/**
 * `?namespace=`: whose users (a key id or a policy's memory_namespace); empty: the legacy namespace
 * (memories stored before namespaces). Absent: the legacy namespace for one user's routes, every
 * namespace for the list of users.
 */
const namespaceSchema = z.union([z.literal(LEGACY_NAMESPACE), z.string().regex(NAMESPACE_PATTERN, { message: NAMESPACE_HELP })]);
const pageQuery = z.strictObject({ ...pageParams, namespace: namespaceSchema.optional() });

const notConfigured = () =>
  new AssayError({
    status: 404,
    code: 'memory_not_configured',
    message: 'Long-term memory is off: add a `memory:` section with `embedding_model` (e.g. memory: {embedding_model: openai/text-embedding-3-small}) to the config and restart (docs/memory.md)',
  });

const ownerJson = (owner: string) => {
  const { namespace, user } = splitOwner(owner);
  return { user_id: user, namespace };
};

const memoryJson = (m: Memory) => ({
  id: m.id, ...ownerJson(m.userId), text: m.text, source: m.source, metadata: m.metadata, trace_id: m.traceId,
  model: m.model, dims: m.dims, created_at: m.createdAt, updated_at: m.updatedAt,
});

const userJson = (u: MemoryUser) => ({ ...ownerJson(u.userId), count: u.count, model: u.model, dims: u.dims, updated_at: u.updatedAt });

const hitJson = (h: RecallHit) => ({
  id: h.id, text: h.text, score: h.score, created_at: h.createdAt,
  vector_rank: h.vectorRank ?? null, similarity: h.similarity ?? null, text_rank: h.textRank ?? null,
});

export function memoryRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const read = authenticate(deps, 'read');
  const admin = authenticate(deps, 'admin');
  const memory = (): MemoryService => {
    if (!deps.memory) throw notConfigured();
    return deps.memory;
  };
  /** The owner the path names: `:user` within `?namespace=` (memory/owner.ts). */
  const user = (c: Context) => ownerId(c.req.query('namespace') ?? LEGACY_NAMESPACE, c.req.param('user') ?? '');

  app.get('/', read, async (c) => {
    const q = validate(pageQuery, c.req.query());
    const page = await memory().users({ limit: q.limit, cursor: q.cursor, namespace: q.namespace });
    return c.json({ data: page.data.map(userJson), next_cursor: page.next_cursor });
  });

  app.get('/:user', read, async (c) => {
    const q = validate(pageQuery, c.req.query());
    const page = await memory().list(user(c), { limit: q.limit, cursor: q.cursor });
    return c.json({ data: page.data.map(memoryJson), next_cursor: page.next_cursor });
  });

  app.post('/:user', admin, async (c) => {
    const m = memory();
    const body = await readJson(c, rememberSchema, LIMIT);
    const r = await m.remember(user(c), body.text, { source: 'api', metadata: body.metadata });
    const stored = await m.get(user(c), r.id);
    return c.json({ ...(stored ? memoryJson(stored) : { id: r.id }), created: r.created }, r.created ? 201 : 200);
  });

  app.post('/:user/search', read, async (c) => {
    const m = memory();
    const body = await readJson(c, searchSchema, LIMIT);
    const hits = await m.recall(user(c), body.query, { k: body.k });
    return c.json({ data: hits.map(hitJson) });
  });

  app.post('/:user/reembed', admin, async (c) => {
    const m = memory();
    return c.json(await m.reembed(user(c), { signal: c.req.raw.signal }));
  });

  app.get('/:user/:id', read, async (c) => {
    const found = await memory().get(user(c), c.req.param('id'));
    if (!found) throw notFound(`${describeOwner(user(c))} has no memory ${c.req.param('id')}`, 'memory_not_found');
    return c.json(memoryJson(found));
  });

  app.delete('/:user/:id', admin, async (c) => {
    if (!(await memory().delete(user(c), c.req.param('id')))) {
      throw notFound(`${describeOwner(user(c))} has no memory ${c.req.param('id')}`, 'memory_not_found');
    }
    return c.json({ id: c.req.param('id'), deleted: true });
  });

  app.delete('/:user', admin, async (c) => c.json({ ...ownerJson(user(c)), deleted: await memory().wipe(user(c)) }));
  return app;
}
