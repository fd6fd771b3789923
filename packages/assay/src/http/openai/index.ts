/** The OpenAI-compatible model API under /v1. */
import { Hono } from 'hono';
import { modelAllowed } from '../../gateway/allow.js';
import type { AppDeps } from '../deps.js';
import { authenticate, type AuthVars } from '../auth.js';
import { chatCompletions } from './chat.js';
import { embeddings } from './embeddings.js';

export function openaiRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  app.use('*', authenticate(deps, 'model'));

  app.post('/chat/completions', (c) => chatCompletions(c, deps, c.var.key));
  app.post('/embeddings', (c) => embeddings(c, deps, c.var.key));

  app.get('/models', (c) => {
    const created = Math.floor(deps.startedAt / 1000);
    const data = deps.registry
      .list()
      .filter((m) => modelAllowed(c.var.key.models, m.id))
      .map((m) => ({ id: m.id, object: 'model' as const, created, owned_by: m.owned_by }));
    return c.json({ object: 'list', data });
  });

  app.get('/models/:id{.+}', (c) => {
    const id = c.req.param('id');
    const m = deps.registry.list().find((x) => x.id === id);
    if (!m || !modelAllowed(c.var.key.models, id)) {
      return c.json({ error: { message: `The model "${id}" does not exist or this key may not use it`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }, 404);
    }
    return c.json({ id: m.id, object: 'model', created: Math.floor(deps.startedAt / 1000), owned_by: m.owned_by });
  });
  return app;
}
