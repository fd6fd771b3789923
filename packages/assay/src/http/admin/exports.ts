/**
 * /api/exports (admin): training-data exports from an annotation queue (docs/exports.md, "API and
 * CLI"). `POST /api/exports` reads the queue's labels into records (feedback/exports/from-queue.ts),
 * writes them in one format (`exportRows`) and answers with the stats, the rejected and skipped
 * records and the three JSONL files; `?download=train|test|provenance` answers with that file alone.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest } from '../../errors.js';
import { exportFiles, exportRows } from '../../feedback/exports/export.js';
import { recordsForFormat, recordsFromQueue } from '../../feedback/exports/from-queue.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../feedback/exports/types.js';
import { createRedactor, customRedactRules, type Redactor } from '../../tracing/redact.js';
import type { AssayConfig } from '../../config/schema.js';
import { authenticate, type AuthVars } from '../auth.js';
import { readJson } from '../body.js';
import type { AppDeps } from '../deps.js';

const time = z.union([z.number().finite(), z.string().min(1)]).transform((v, ctx) => {
  const t = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(t)) {
    ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO date' });
    return z.NEVER;
  }
  return t;
});

const exportSchema = z.strictObject({
  queue: z.string().min(1),
  format: z.string().min(1),
  style: z.enum(['conversational', 'standard']).optional(),
  question: z.string().min(1).optional(),
  min_agreement: z.number().min(0).max(1).optional(),
  min_margin: z.number().finite().optional(),
  min_gap: z.number().min(0).optional(),
  test_fraction: z.number().min(0).max(1).optional(),
  seed: z.string().max(200).optional(),
  dedupe: z.boolean().optional(),
  redact: z.boolean().optional(),
  since: time.optional(),
  until: time.optional(),
});
export type ExportBody = z.input<typeof exportSchema>;

const DOWNLOADS = ['train', 'test', 'provenance'] as const;

/** The export scrub: every built-in detector plus the configured custom rules. */
export function exportRedactor(config: AssayConfig): Redactor | null {
  return createRedactor(
    ['emails', 'phones', 'cards', 'api_keys'],
    customRedactRules(config.governance.redact.custom),
  );
}

export function exportsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const admin = authenticate(deps, 'admin');
  let redactor: Redactor | null | undefined;

  app.post('/', admin, async (c) => {
    const download = c.req.query('download');
    if (download !== undefined && !(DOWNLOADS as readonly string[]).includes(download)) {
      throw badRequest(`download must be one of ${DOWNLOADS.join(', ')}, got "${download}"`, 'download');
    }
    const body = await readJson(c, exportSchema, 64 * 1024);
    if (!(EXPORT_FORMATS as readonly string[]).includes(body.format)) {
      throw badRequest(`unknown export format "${body.format}": one of ${EXPORT_FORMATS.join(', ')}`, 'format', 'invalid_export');
    }
    const format = body.format as ExportFormat;
    if (body.style === 'standard' && format.startsWith('openai-')) throw badRequest(`${format} has no standard (text) style: leave style out`, 'style', 'invalid_export');
    const records = await recordsFromQueue(deps.queues, body.queue, format, {
      question: body.question, since: body.since, until: body.until, minGap: body.min_gap,
      projectId: c.var.key.project_id, getTrace: (id, project) => deps.store.observations.getTrace(id, project),
    });
    if (body.redact && redactor === undefined) redactor = exportRedactor(deps.config);
    const result = exportRows(format, recordsForFormat(format, records), {
      style: body.style, testFraction: body.test_fraction, seed: body.seed, dedupe: body.dedupe,
      redact: body.redact ? redactor : null, minAgreement: body.min_agreement, minMargin: body.min_margin,
    });
    const files = exportFiles(result);
    if (download) {
      const name = `${records.queue.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.${format}.${download}.jsonl`;
      return c.body(files[download as (typeof DOWNLOADS)[number]], 200, {
        'content-type': 'application/x-ndjson; charset=utf-8',
        'content-disposition': `attachment; filename="${name}"`,
      });
    }
    return c.json({
      queue: records.queue.id,
      format,
      questions: records.questions.map((q) => q.id),
      stats: result.stats,
      rejected: result.rejected,
      skipped: [...records.skipped, ...result.skipped],
      files,
    });
  });
  return app;
}
