/** The Hono app: every HTTP surface, registered in one place, with one error renderer. */
import { Hono } from 'hono';
import { notFound } from '../errors.js';
import { alertsRoutes, channelsRoutes } from './admin/alerts.js';
import { budgetsRoutes } from './admin/budgets.js';
import { datasetsRoutes } from './admin/datasets.js';
import { experimentsRoutes } from './admin/experiments.js';
import { kbRoutes } from './admin/kb.js';
import { keysRoutes } from './admin/keys.js';
import { memoryRoutes } from './admin/memory.js';
import { metricsRoutes } from './admin/metrics.js';
import { pricesRoutes } from './admin/prices.js';
import { promptsRoutes } from './admin/prompts.js';
import { queuesRoutes } from './admin/queues.js';
import { exportsRoutes } from './admin/exports.js';
import { routesRoutes } from './admin/routes.js';
import { scoresRoutes } from './admin/scores.js';
import { langfuseScoreConfigsRoutes, scoreConfigsRoutes } from './admin/score-configs.js';
import { sessionRoutes } from './admin/session.js';
import { sessionsRoutes } from './admin/sessions.js';
import { deadLettersRoutes } from './admin/dead-letters.js';
import { toolsRoutes } from './admin/tools.js';
import { tracesRoutes } from './admin/traces.js';
import { publicRoute } from './auth.js';
import type { AppDeps } from './deps.js';
import { errorResponse, isModelApi } from './errors.js';
import { otlpRoutes } from './ingest/otlp.js';
import { feedbackRoutes } from './public/feedback.js';
import { langfuseRoutes } from './langfuse/index.js';
import { openaiRoutes } from './openai/index.js';
import { registerWeb } from './web.js';

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) =>
    errorResponse(
      c,
      notFound(
        isModelApi(c.req.path)
          ? `No such endpoint ${c.req.method} ${c.req.path}: the model API has /v1/chat/completions, /v1/embeddings and /v1/models`
          : `No such endpoint ${c.req.method} ${c.req.path}`,
        'unknown_endpoint',
      ),
    ),
  );

  app.get('/health', publicRoute(), (c) =>
    c.json({
      status: 'ok',
      version: deps.version,
      uptime_s: Math.round((Date.now() - deps.startedAt) / 1000),
      store: deps.store.dialect,
      traces: {
        queued: deps.recorder.pending,
        queued_bytes: deps.recorder.pendingBytes,
        written: deps.recorder.stats.written,
        failed_writes: deps.recorder.stats.failedWrites,
        ...deps.ingest.health(),
      },
    }),
  );

  // OTLP ingest first: the /v1 sub-app puts a 'model'-scope auth middleware on /v1/*.
  app.route('/', otlpRoutes(deps));
  app.route('/v1', openaiRoutes(deps));
  app.route('/api/keys', keysRoutes(deps));
  app.route('/api/traces', tracesRoutes(deps));
  app.route('/api/metrics', metricsRoutes(deps));
  app.route('/api/routes', routesRoutes(deps));
  app.route('/api/prices', pricesRoutes(deps));
  app.route('/api/scores', scoresRoutes(deps));
  app.route('/api/score-configs', scoreConfigsRoutes(deps));
  app.route('/api/public/score-configs', langfuseScoreConfigsRoutes(deps));
  app.route('/api/public/feedback', feedbackRoutes(deps));
  app.route('/api/kb', kbRoutes(deps));
  app.route('/api/datasets', datasetsRoutes(deps));
  app.route('/api/memory', memoryRoutes(deps));
  app.route('/api/tools', toolsRoutes(deps));
  app.route('/api/experiments', experimentsRoutes(deps));
  app.route('/api/queues', queuesRoutes(deps));
  app.route('/api/exports', exportsRoutes(deps));
  app.route('/api/budgets', budgetsRoutes(deps));
  app.route('/api/sessions', sessionsRoutes(deps));
  app.route('/api/trace-dead-letters', deadLettersRoutes(deps));
  app.route('/api/alerts', alertsRoutes(deps));
  app.route('/api/channels', channelsRoutes(deps));
  app.route('/api/prompts', promptsRoutes(deps));
  app.route('/api/public', langfuseRoutes(deps));
  app.route('/api/session', sessionRoutes(deps));
  registerWeb(app, deps);
  return app;
}
