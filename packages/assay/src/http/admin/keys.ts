/** /api/keys: create (the key is in the answer once), list, change a key's models or policy, revoke. Admin scope. */
import { Hono } from 'hono';
import { z } from 'zod';
import { keyPolicySchema } from '../../keys/policy.js';
import { publicKey } from '../../keys/service.js';
import { authenticate, type AuthVars } from '../auth.js';
import { readJson, validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { catalogParams, pageOf } from '../query.js';

const createKeySchema = z.strictObject({
  name: z.string({ message: 'name is required: a label that says who uses the key' }).min(1).max(200),
  scopes: z.array(z.string()).optional(),
  models: z.array(z.string().min(1)).nullable().optional(),
  /** The key's own policy: tools it may add, a bound end user, rate limits (docs/security.md). */
  policy: keyPolicySchema.nullable().optional(),
});

const updateKeySchema = z.strictObject({
  name: createKeySchema.shape.name.optional(),
  models: createKeySchema.shape.models,
  policy: createKeySchema.shape.policy,
});

export function keysRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  app.use('*', authenticate(deps, 'admin'));

  app.post('/', async (c) => {
    const input = await readJson(c, createKeySchema, 64 * 1024);
    const { key, record } = await deps.keys.create(input);
    return c.json({ ...publicKey(record), key }, 201);
  });

  app.get('/', async (c) => {
    const includeRevoked = c.req.query('include_revoked') === 'true';
    const q = validate(z.object(catalogParams), c.req.query());
    return c.json(pageOf((await deps.keys.list(includeRevoked)).map(publicKey), q, (k) => k.id));
  });

  app.patch('/:id', async (c) => {
    const input = await readJson(c, updateKeySchema, 64 * 1024);
    return c.json(publicKey(await deps.keys.update(c.req.param('id'), input)));
  });

  app.delete('/:id', async (c) => {
    await deps.keys.revoke(c.req.param('id'));
    return c.json({ id: c.req.param('id'), revoked: true });
  });
  return app;
}
