/** /api/routes: configured routes and models with each target's health (errors, cooldown). */
import { Hono } from 'hono';
import { authenticate, type AuthVars } from '../auth.js';
import type { AppDeps } from '../deps.js';

export function routesRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  app.use('*', authenticate(deps, 'read'));
  app.get('/', (c) => {
    const breaker = deps.router.breaker;
    const routes = deps.registry.routeNames().map((name) => {
      const r = deps.registry.route(name)!;
      return {
        name,
        description: r.description ?? null,
        retries: r.retries ?? deps.config.router.retries,
        timeout_ms: r.timeout_ms ?? deps.config.router.timeout_ms,
        targets: r.targets.map((t) => ({ model: t.model, weight: t.weight, timeout_ms: t.timeout_ms ?? null, health: breaker.health(t.model) })),
        fallbacks: r.fallbacks.map((f) => ({ model: f.model, timeout_ms: f.timeout_ms ?? null, health: breaker.health(f.model) })),
      };
    });
    const providers = [...deps.registry.providers.values()].map((p) => ({ id: p.id, type: p.type, models: p.models() }));
    return c.json({ data: routes, providers, targets: breaker.all() });
  });
  return app;
}
