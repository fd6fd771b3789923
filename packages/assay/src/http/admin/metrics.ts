/**
 * /api/metrics: totals and bucketed series of model-call metrics over a time window, optionally
 * grouped by up to two dimensions and filtered by any of them. Parameters and definitions:
 * docs/metrics.md.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest } from '../../errors.js';
import {
  MAX_BUCKETS,
  MAX_GROUP_BY,
  METRIC_DIMENSIONS,
  QUERY_METRICS,
  bucketCount,
  defaultInterval,
  formatInterval,
  minimumInterval,
  parseInterval,
  type MetricDimension,
  type MetricFilters,
  type QueryMetric,
} from '../../metrics/params.js';
import { authenticate, type AuthVars } from '../auth.js';
import { validate } from '../body.js';
import type { AppDeps } from '../deps.js';
import { timeParam } from '../query.js';

const DAY = 86_400_000;

/** A comma-separated list of names from `allowed`, without repeats. */
function nameList<T extends string>(allowed: readonly T[], what: string, max?: number) {
  return z.string().transform((v, ctx) => {
    const names = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const unknown = names.filter((n) => !allowed.includes(n as T));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown ${what} ${unknown.map((u) => `"${u}"`).join(', ')}: use ${allowed.join(', ')}` });
      return z.NEVER;
    }
    const unique = [...new Set(names)] as T[];
    if (max !== undefined && unique.length > max) {
      ctx.addIssue({ code: 'custom', message: `at most ${max} ${what}s at once (got ${unique.length})` });
      return z.NEVER;
    }
    return unique;
  });
}

const interval = z.string().transform((v, ctx) => {
  const ms = parseInterval(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not an interval: use 30s, 1m, 5m, 1h, 1d, 1w or a number of milliseconds` });
    return z.NEVER;
  }
  return ms;
});

const filter = z.string().min(1, 'must not be empty').max(500);

const shape = {
  from: timeParam.optional(),
  to: timeParam.optional(),
  interval: interval.optional(),
  metrics: nameList(QUERY_METRICS, 'metric').optional(),
  group_by: nameList(METRIC_DIMENSIONS, 'dimension', MAX_GROUP_BY).optional(),
  model: filter.optional(),
  route: filter.optional(),
  key: filter.optional(),
  user: filter.optional(),
  tag: filter.optional(),
  prompt: filter.optional(),
  environment: filter.optional(),
  provider: filter.optional(),
  type: z.enum(['generation', 'embedding'], { message: 'type must be generation or embedding (metrics count model calls only)' }).optional(),
  status: z.enum(['ok', 'error'], { message: 'status must be ok or error' }).optional(),
};
const ALLOWED = Object.keys(shape).join(', ');

const metricsQuery = z.strictObject(shape, {
  error: (iss) =>
    iss.code === 'unrecognized_keys' ? `unknown parameter ${iss.keys.map((k) => `"${k}"`).join(', ')}: allowed are ${ALLOWED}` : undefined,
});

export function metricsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  app.use('*', authenticate(deps, 'read'));

  app.get('/', async (c) => {
    const q = validate(metricsQuery, c.req.query());
    const to = q.to ?? Date.now();
    const from = q.from ?? to - DAY;
    if (from < 0) throw badRequest('from must not be before 1970 (epoch milliseconds ≥ 0)', 'from');
    if (from >= to) throw badRequest(`from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`, 'from');
    const intervalMs = q.interval ?? defaultInterval(from, to);
    const buckets = bucketCount(from, to, intervalMs);
    if (buckets > MAX_BUCKETS) {
      throw badRequest(
        `interval ${formatInterval(intervalMs)} makes ${buckets} buckets between from and to; the maximum is ${MAX_BUCKETS}: use an interval of at least ${formatInterval(minimumInterval(from, to))} or a shorter window`,
        'interval',
        'too_many_buckets',
      );
    }
    const filters: MetricFilters = {};
    for (const d of METRIC_DIMENSIONS) if (q[d] !== undefined) filters[d] = q[d];
    const result = await deps.metrics.query(c.var.key.project_id, {
      from,
      to,
      intervalMs,
      metrics: q.metrics?.length ? (q.metrics as QueryMetric[]) : undefined,
      groupBy: (q.group_by ?? []) as MetricDimension[],
      filters,
    });
    return c.json(result);
  });
  return app;
}
