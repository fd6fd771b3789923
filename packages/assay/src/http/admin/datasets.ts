/**
 * /api/datasets: datasets, their items and versions (docs/datasets.md). Reading needs the read
 * scope; every write the admin scope. Imports take JSONL or CSV as the body (application/x-ndjson,
 * text/csv) or as a multipart file; a failed write answers 400 with every row error listed in
 * `error.errors` (line, column, message) and writes nothing.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { AssayError, badRequest } from '../../errors.js';
import { MAX_PAGE, MAX_TRACES, RowErrorsError } from '../../datasets/service.js';
import { MAX_ROW_ERRORS, WRITE_MODES, type DataFormat, type WriteMode } from '../../datasets/types.js';
import { authenticate, type AuthVars } from '../auth.js';
import { parseJson, readBodyBytes, readJson, validate } from '../body.js';
import type { AppDeps } from '../deps.js';

const SMALL_BODY = 256 * 1024;

const modeSchema = z.enum(WRITE_MODES as [WriteMode, ...WriteMode[]], { message: 'mode must be append, upsert or replace' });
const formatSchema = z.enum(['jsonl', 'csv'], { message: 'format must be jsonl or csv' });
const versionSchema = z.coerce.number({ message: 'version must be a number' }).int('version must be a whole number').min(0);

const createSchema = z.strictObject({
  name: z.string({ message: 'name is required: letters, digits, "_", ".", "-" or "/"' }),
  description: z.string().max(2000).nullable().optional(),
  metadata: z.record(z.string(), z.unknown(), { message: 'metadata must be a JSON object' }).nullable().optional(),
});

const listSchema = z.strictObject({
  limit: z.coerce.number({ message: 'limit must be a number' }).int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});

const itemsQuery = z.strictObject({
  version: versionSchema.optional(),
  limit: z.coerce.number({ message: 'limit must be a number' }).int().min(1).max(MAX_PAGE).default(100),
  cursor: z.string().optional(),
});

const batchSchema = z.strictObject({
  items: z.array(z.unknown(), { message: 'items must be an array of items' }).min(1, 'send at least one item'),
  mode: modeSchema.optional(),
});

const patchSchema = z
  .strictObject({
    input: z.unknown().optional(),
    messages: z.unknown().optional(),
    vars: z.unknown().optional(),
    expected: z.unknown().optional(),
    assert: z.unknown().optional(),
    metadata: z.unknown().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change: give input (or messages / vars), expected, assert or metadata' });

const importQuery = z.strictObject({ mode: modeSchema.optional(), format: formatSchema.optional() });
const exportQuery = z.strictObject({ format: formatSchema.default('jsonl'), version: versionSchema.optional() });

const fromTracesSchema = z.strictObject({
  trace_ids: z.array(z.string().min(1).max(200), { message: 'trace_ids must be an array of trace ids' }).min(1, 'give at least one trace id').max(MAX_TRACES),
  expected_from: z.enum(['output', 'none'], { message: 'expected_from must be "output" (the trace output becomes expected) or "none"' }).optional(),
});

const JSONL_TYPES = new Set(['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/json-lines', 'application/ndjson']);

function formatFromName(name: string): DataFormat | undefined {
  const ext = name.toLowerCase().split('.').pop();
  return ext === 'csv' ? 'csv' : ext === 'jsonl' || ext === 'ndjson' || ext === 'json' ? 'jsonl' : undefined;
}

/** The import file and its format, from a raw body or a multipart upload. */
async function readImport(c: Context, deps: AppDeps, format: DataFormat | undefined): Promise<{ text: string; format: DataFormat }> {
  const contentType = c.req.header('content-type') ?? '';
  const mime = contentType.split(';')[0].trim().toLowerCase();
  const body = await readBodyBytes(c, deps.config.limits.max_body_bytes);
  if (mime === 'multipart/form-data') {
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
    } catch (err) {
      throw badRequest(`The multipart body could not be parsed (${(err as Error).message}): send the file as one "file" part (curl -F file=@items.csv)`, null, 'invalid_multipart');
    }
    const files = form.getAll('file');
    const file = files[0];
    if (files.length !== 1 || typeof file === 'string') throw badRequest('send exactly one "file" part holding the file (curl -F file=@items.jsonl)', 'file');
    for (const name of form.keys()) if (name !== 'file') throw badRequest(`unknown form field "${name}": send one "file" part; mode and format go in the query string`, name);
    const f = format ?? formatFromName(file.name) ?? fromMime(file.type);
    if (!f) throw badRequest(`cannot tell the format of ${file.name || 'the file'}: name it .jsonl or .csv, or add ?format=jsonl|csv`, 'format');
    return { text: await file.text(), format: f };
  }
  const f = format ?? fromMime(mime);
  if (!f) {
    throw new AssayError({
      status: 415,
      code: 'unsupported_media_type',
      message: `Content-Type ${mime || '(none)'} is not an import format: send application/x-ndjson (JSON Lines), text/csv, or a multipart "file" upload; or say ?format=jsonl|csv`,
    });
  }
  return { text: body.toString('utf8'), format: f };
}

function fromMime(mime: string): DataFormat | undefined {
  const m = mime.split(';')[0].trim().toLowerCase();
  return JSONL_TYPES.has(m) ? 'jsonl' : m === 'text/csv' ? 'csv' : undefined;
}

/** A row-errors 400 with the list as `error.errors`. */
function rowErrors(c: Context, err: unknown): Response {
  if (!(err instanceof RowErrorsError)) throw err;
  return c.json({ error: { message: err.message, code: err.code, errors: err.errors.slice(0, MAX_ROW_ERRORS) } }, 400, { 'x-should-retry': 'false' });
}

export function datasetsRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const ds = deps.datasets;
  const project = (c: Context<{ Variables: AuthVars }>) => c.var.key.project_id;
  const author = (c: Context<{ Variables: AuthVars }>) => c.var.key.id;

  app.post('/', authenticate(deps, 'admin'), async (c) => {
    const input = await readJson(c, createSchema, SMALL_BODY);
    return c.json(await ds.create(project(c), input), 201);
  });

  app.get('/', authenticate(deps, 'read'), async (c) => {
    const q = validate(listSchema, c.req.query());
    return c.json(await ds.list(project(c), q));
  });

  app.get('/:name', authenticate(deps, 'read'), async (c) => c.json(await ds.get(project(c), c.req.param('name'))));

  app.delete('/:name', authenticate(deps, 'admin'), async (c) => {
    const d = await ds.delete(project(c), c.req.param('name'));
    return c.json({ id: d.id, name: d.name, deleted: true });
  });

  app.get('/:name/versions', authenticate(deps, 'read'), async (c) => {
    const { dataset, data } = await ds.versions(project(c), c.req.param('name'));
    return c.json({ dataset: dataset.name, version: dataset.version, data });
  });

  app.get('/:name/items', authenticate(deps, 'read'), async (c) => {
    const q = validate(itemsQuery, c.req.query());
    const page = await ds.items(project(c), c.req.param('name'), q);
    return c.json({ dataset: page.dataset.name, version: page.version, data: page.data, next_cursor: page.next_cursor });
  });

  app.post('/:name/items', authenticate(deps, 'admin'), async (c) => {
    await ds.get(project(c), c.req.param('name')); // 404 before reading the body
    const body = await readJson(c, batchSchema, deps.config.limits.max_body_bytes);
    try {
      return c.json(await ds.writeItems(project(c), c.req.param('name'), body.items, { mode: body.mode, author: author(c) }));
    } catch (err) {
      return rowErrors(c, err);
    }
  });

  app.post('/:name/items/from-traces', authenticate(deps, 'admin'), async (c) => {
    const body = await readJson(c, fromTracesSchema, SMALL_BODY);
    try {
      return c.json(await ds.fromTraces(project(c), c.req.param('name'), body.trace_ids, { expectedFrom: body.expected_from, author: author(c) }));
    } catch (err) {
      return rowErrors(c, err);
    }
  });

  // {.+}: an item id with "/" may come URL-encoded (%2F) or as is.
  app.get('/:name/items/:id{.+}', authenticate(deps, 'read'), async (c) => {
    const q = validate(z.strictObject({ version: versionSchema.optional() }), c.req.query());
    return c.json(await ds.item(project(c), c.req.param('name'), c.req.param('id'), q.version));
  });

  app.patch('/:name/items/:id{.+}', authenticate(deps, 'admin'), async (c) => {
    const patch = validate(patchSchema, parseJson((await readBodyBytes(c, deps.config.limits.max_body_bytes)).toString('utf8')));
    try {
      return c.json(await ds.updateItem(project(c), c.req.param('name'), c.req.param('id'), patch, author(c)));
    } catch (err) {
      return rowErrors(c, err);
    }
  });

  app.delete('/:name/items/:id{.+}', authenticate(deps, 'admin'), async (c) => {
    const r = await ds.deleteItem(project(c), c.req.param('name'), c.req.param('id'), author(c));
    return c.json({ id: c.req.param('id'), deleted: true, version: r.version });
  });

  app.post('/:name/import', authenticate(deps, 'admin'), async (c) => {
    const q = validate(importQuery, c.req.query());
    await ds.get(project(c), c.req.param('name')); // 404 before reading a large upload
    const { text, format } = await readImport(c, deps, q.format);
    try {
      return c.json(await ds.import(project(c), c.req.param('name'), text, format, { mode: q.mode, author: author(c) }));
    } catch (err) {
      return rowErrors(c, err);
    }
  });

  app.get('/:name/export', authenticate(deps, 'read'), async (c) => {
    const q = validate(exportQuery, c.req.query());
    const r = await ds.export(project(c), c.req.param('name'), q.format, q.version);
    const file = `${r.dataset.name.replace(/[^A-Za-z0-9_.-]/g, '_')}-v${r.version}.${r.format}`;
    return c.body(r.body, 200, {
      'content-type': r.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="${file}"`,
      'x-assay-dataset-version': String(r.version),
    });
  });
  return app;
}
