/**
 * The Langfuse-compatible public API, mounted at /api/public: batch ingestion, the project lookup
 * SDKs use as an auth check, and health. Keys: HTTP Basic `<Assay key id>:<Assay key>` (how Langfuse
 * SDKs send their public and secret key) or Bearer, with the ingest scope.
 *
 * Routes are registered one by one (no `*` middleware) so /api/public/otel/… (OTLP) and unknown
 * /api/public paths are not caught here.
 */
import { checkStoredScore } from '../../feedback/scores/service.js';
import { Hono } from 'hono';
import { AssayError, badRequest } from '../../errors.js';
import { LangfuseIngestor } from '../../tracing/langfuse/batch.js';
import { foreignScores } from '../../tracing/ownership.js';
import { authenticate, publicRoute, type AuthVars } from '../auth.js';
import { checkJson, MAX_JSON_DEPTH, parseJson, readBodyText } from '../body.js';
import type { AppDeps } from '../deps.js';
import { langfusePromptRoutes } from './prompts.js';

/** Langfuse caps ingestion requests at 3.5 MB; SDKs send at most 2.5 MB per batch. */
export const LANGFUSE_MAX_BODY_BYTES = 3_500_000;

export function langfuseRoutes(deps: AppDeps, opts: { recentIds?: number } = {}): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const ingestor = new LangfuseIngestor(deps.ingest, {
    recentIds: opts.recentIds,
    checkScore: (s) => checkStoredScore(deps.scoreConfigs, s),
    foreignScores: (caller, scores) => foreignScores(deps.store.scores, caller, scores),
  });
  const auth = authenticate(deps, 'ingest');

  app.get('/health', publicRoute(), (c) => c.json({ status: 'OK', version: deps.version }));

  app.get('/projects', auth, (c) => {
    const project = c.var.key.project_id;
    return c.json({ data: [{ id: project, name: project, metadata: {} }] });
  });

  app.post('/ingestion', auth, async (c) => {
    let text: string;
    try {
      text = await readBodyText(c, LANGFUSE_MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof AssayError && err.status === 413) {
        throw new AssayError({
          status: 413,
          code: 'request_too_large',
          message: `The ingestion batch is larger than ${LANGFUSE_MAX_BODY_BYTES} bytes (3.5 MB): send fewer events per request (Langfuse SDKs split batches at 2.5 MB).`,
        });
      }
      throw err;
    }
    const body = parseJson(text, { maxDepth: null }); // checked per event: one too-deep event does not fail the batch
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { batch?: unknown }).batch)) {
      throw badRequest('The body must be {"batch": [{"id", "type", "timestamp", "body"}, …]}: "batch" is missing or not an array.', 'batch', 'invalid_request');
    }
    const { events, tooDeep } = checkEvents((body as { batch: unknown[] }).batch);
    const result = await ingestor.process(events, { projectId: c.var.key.project_id, keyId: c.var.key.id, admin: c.var.key.scopes.includes('admin') });
    result.errors.push(...tooDeep);
    return c.json(result, 207);
  });

  // Prompt management (prompts.ts): getPrompt / createPrompt / updatePrompt of the Langfuse SDKs.
  app.route('/v2/prompts', langfusePromptRoutes(deps));

  return app;
}

/** The batch's events with strings made well-formed, and a 400 outcome for each nested too deep. */
function checkEvents(batch: unknown[]): { events: unknown[]; tooDeep: { id: string; status: number; message: string }[] } {
  const events: unknown[] = [];
  const tooDeep: { id: string; status: number; message: string }[] = [];
  for (const e of batch) {
    try {
      events.push(checkJson(e, MAX_JSON_DEPTH - 2));
    } catch (err) {
      if (!(err instanceof AssayError)) throw err;
      const id = (e as { id?: unknown } | null)?.id;
      tooDeep.push({ id: typeof id === 'string' ? id : '', status: 400, message: err.message });
    }
  }
  return { events, tooDeep };
}
