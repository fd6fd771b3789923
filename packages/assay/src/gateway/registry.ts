/**
 * The models a client can name: routes from the config, and "<provider id>/<model>" for any
 * configured provider. Resolving a name gives the plan the router executes.
 */
import { notFound } from '../errors.js';
import type { RouteConfig, RouterDefaults } from '../config/schema.js';
import type { Provider } from './spec.js';

export interface Target {
  /** "<provider id>/<model>" */
  ref: string;
  provider: Provider;
  /** The provider-local model name. */
  model: string;
  /** This target's attempt timeout (the target's own, else the route's, else the router default). */
  timeoutMs: number;
}

export interface RoutePlan {
  route: string | null;
  /** In the order to try: the weighted pick first, then the fallbacks. */
  targets: Target[];
  retries: number;
}

export interface ModelEntry {
  id: string;
  kind: 'route' | 'model';
  owned_by: string;
  description?: string;
}

/** Why `local/…` is unknown when no local provider was created (server.ts createProviders). */
const LOCAL_OFF =
  'The local provider is off: it is on when the config names a local/… model (a route target or fallback, a knowledge, memory or verify model), ' +
  'lists a provider with type: local, or ASSAY_LOCAL_MODEL (a GGUF path) or ASSAY_LOCAL_MODEL_URI is set (docs/configuration.md, "type: local").';

export class ModelRegistry {
  private readonly routes = new Map<string, RouteConfig>();

  constructor(
    readonly providers: ReadonlyMap<string, Provider>,
    routes: readonly RouteConfig[],
    readonly defaults: RouterDefaults,
  ) {
    for (const r of routes) this.routes.set(r.name, r);
  }

  route(name: string): RouteConfig | undefined {
    return this.routes.get(name);
  }

  routeNames(): string[] {
    return [...this.routes.keys()];
  }

  target(ref: string, timeoutMs: number = this.defaults.timeout_ms): Target | null {
    const i = ref.indexOf('/');
    if (i <= 0 || i === ref.length - 1) return null;
    const provider = this.providers.get(ref.slice(0, i));
    return provider ? { ref, provider, model: ref.slice(i + 1), timeoutMs } : null;
  }

  /**
   * The plan for a model name. `coolingDown` tells which targets to avoid for the weighted pick
   * (when every target is cooling down, the pick is made among all of them).
   */
  resolve(model: string, coolingDown: (ref: string) => boolean = () => false, random: () => number = Math.random): RoutePlan {
    const route = this.routes.get(model);
    if (route) {
      const healthy = route.targets.filter((t) => !coolingDown(t.model));
      const pool = healthy.length ? healthy : route.targets;
      const picked = weightedPick(pool, random);
      const order = [picked, ...route.fallbacks.filter((f) => f.model !== picked.model)];
      const routeTimeout = route.timeout_ms ?? this.defaults.timeout_ms;
      return {
        route: route.name,
        targets: order.map((t) => this.target(t.model, t.timeout_ms ?? routeTimeout)!),
        retries: route.retries ?? this.defaults.retries,
      };
    }
    const target = this.target(model);
    if (target) return { route: null, targets: [target], retries: this.defaults.retries };
    const routes = this.routeNames();
    throw notFound(
      `The model "${model}" does not exist: name a route (${routes.length ? routes.join(', ') : 'none configured'}) ` +
        `or "<provider id>/<model>" with a configured provider (${[...this.providers.keys()].join(', ')}).` +
        (model.startsWith('local/') && !this.providers.has('local') ? ` ${LOCAL_OFF}` : ''),
      'model_not_found',
      'model',
    );
  }

  list(): ModelEntry[] {
    const out: ModelEntry[] = [];
    for (const r of this.routes.values()) out.push({ id: r.name, kind: 'route', owned_by: 'assay', description: r.description });
    for (const p of this.providers.values()) {
      for (const m of p.models()) out.push({ id: `${p.id}/${m}`, kind: 'model', owned_by: p.id });
    }
    return out;
  }
}

export function weightedPick<T extends { weight: number }>(items: readonly T[], random: () => number): T {
  const total = items.reduce((s, t) => s + t.weight, 0);
  let r = random() * total;
  for (const t of items) {
    r -= t.weight;
    if (r < 0) return t;
  }
  return items[items.length - 1];
}
