/**
 * /api/kb: knowledge bases over HTTP. Reading and searching need the read scope; creating,
 * ingesting and deleting the admin scope. Documents arrive as JSON (text or base64 content) or as
 * multipart/form-data file uploads. Every shape and field is documented in docs/knowledge.md.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { AssayError, badRequest } from '../../errors.js';
import { MAX_DOCUMENTS_PER_REQUEST, type IngestDocument } from '../../knowledge/ingest.js';
import { MAX_K } from '../../knowledge/index/index.js';
import { SUPPORTED_FORMATS, type DocumentFormat } from '../../knowledge/parse/index.js';
import { MAX_PAGE } from '../../knowledge/service.js';
import { documentJson, hitJson, ingestResultJson, kbJson } from '../../knowledge/wire.js';
import { authenticate, type AuthVars } from '../auth.js';
import { parseJson, readBodyBytes, readJson, validate } from '../body.js';
import { catalogParams, pageOf } from '../query.js';
import type { AppDeps } from '../deps.js';
import { clientSignal } from '../openai/context.js';

const SMALL_BODY = 256 * 1024;
const formatSchema = z.enum(SUPPORTED_FORMATS as [DocumentFormat, ...DocumentFormat[]], {
  message: `format must be one of ${SUPPORTED_FORMATS.join(', ')}`,
});
const metadataSchema = z.record(z.string(), z.unknown(), { message: 'metadata must be a JSON object' });

const createSchema = z.strictObject({
  name: z.string({ message: 'name is required: 1–64 letters, digits, "_", "." or "-"' }),
  embedding_model: z.string().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const documentSchema = z
  .strictObject({
    id: z.string().min(1).max(512).optional(),
    source: z.string({ message: 'source is required: a path or URL naming the document (its extension picks the format)' }).min(1).max(2048),
    content: z.string().optional(),
    content_base64: z.string().optional(),
    content_type: z.string().max(200).optional(),
    format: formatSchema.optional(),
    metadata: metadataSchema.optional(),
  })
  .superRefine((d, ctx) => {
    if ((d.content === undefined) === (d.content_base64 === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of content (text) or content_base64 (bytes, e.g. a PDF)', path: ['content'] });
    } else if (d.content_base64 !== undefined && !BASE64.test(d.content_base64.replace(/\s+/g, ''))) {
      ctx.addIssue({ code: 'custom', message: 'content_base64 is not valid base64', path: ['content_base64'] });
    }
  });
const ingestSchema = z.strictObject({
  documents: z.array(documentSchema, { message: 'documents must be an array' }).min(1, 'send at least one document').max(MAX_DOCUMENTS_PER_REQUEST),
});

const searchSchema = z.strictObject({
  query: z.string({ message: 'query is required: the text to search for' }),
  k: z.number().int().min(1).max(MAX_K).optional(),
  filter: z.record(z.string(), z.unknown(), { message: 'filter must be an object of metadata key → value or list of values' }).optional(),
  arms: z.enum(['hybrid', 'vector', 'text'], { message: 'arms must be "hybrid", "vector" or "text"' }).optional(),
});

const pageSchema = z.strictObject({
  limit: z.coerce.number({ message: 'limit must be a number' }).int().min(1).max(MAX_PAGE).default(100),
  cursor: z.string().optional(),
});

/** Largest document upload request: one document at the limit, base64-encoded, plus room for JSON. */
export function uploadLimit(maxDocumentBytes: number): number {
  return Math.ceil((maxDocumentBytes * 4) / 3) + 1024 * 1024;
}

function uploadTooLarge(limit: number, maxDocumentBytes: number): AssayError {
  return new AssayError({
    status: 413,
    code: 'request_too_large',
    message:
      `The upload is larger than the ${limit}-byte limit per request (from knowledge.max_document_bytes = ${maxDocumentBytes} in the config, ` +
      'plus room for base64 and JSON): send fewer documents per request, or smaller ones',
  });
}

/** The documents of an ingest request, from JSON or multipart/form-data. */
async function readDocuments(c: Context, deps: AppDeps): Promise<IngestDocument[]> {
  const max = deps.config.knowledge.max_document_bytes;
  const limit = uploadLimit(max);
  const contentType = c.req.header('content-type') ?? '';
  const mime = contentType.split(';')[0].trim().toLowerCase();
  if (mime !== 'multipart/form-data' && mime !== 'application/json' && mime !== '') {
    throw new AssayError({
      status: 415,
      code: 'unsupported_media_type',
      message: `Content-Type ${mime} is not accepted here: send application/json ({"documents": [...]}) or multipart/form-data (fields "file", repeated, and optionally "metadata")`,
    });
  }
  const body = await readBodyBytes(c, limit, () => uploadTooLarge(limit, max));
  if (mime === 'multipart/form-data') return readMultipart(body, contentType);
  const input = validate(ingestSchema, parseJson(body.toString('utf8')));
  return input.documents.map((d) => ({
    id: d.id,
    source: d.source,
    content: d.content ?? Buffer.from(d.content_base64 as string, 'base64'),
    contentType: d.content_type,
    format: d.format,
    metadata: d.metadata,
  }));
}

async function readMultipart(body: Buffer, contentType: string): Promise<IngestDocument[]> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch (err) {
    throw badRequest(
      `The multipart body could not be parsed (${(err as Error).message}): send one "file" part per file (curl -F file=@guide.md) and optionally a "metadata" JSON field`,
      null,
      'invalid_multipart',
    );
  }
  let metadata: Record<string, unknown> | undefined;
  let format: DocumentFormat | undefined;
  const files: File[] = [];
  for (const [name, value] of form.entries()) {
    if (name === 'file') {
      if (typeof value === 'string') throw badRequest('the "file" field must be a file upload (curl -F file=@path), not a text value', 'file');
      if (!value.name) throw badRequest('every "file" part needs a filename: it becomes the document source and picks the format', 'file');
      files.push(value);
    } else if (name === 'metadata') {
      if (typeof value !== 'string') throw badRequest('the "metadata" field must be a JSON object as text, not a file', 'metadata');
      metadata = validate(z.object({ metadata: metadataSchema }), { metadata: parseMetadata(value) }).metadata;
    } else if (name === 'format') {
      format = validate(z.object({ format: formatSchema }), { format: value }).format;
    } else {
      throw badRequest(`unknown form field "${name}": the fields are "file" (repeated), "metadata" (JSON object for every file) and "format"`, name);
    }
  }
  if (files.length === 0) throw badRequest('no files in the upload: add one "file" part per file (curl -F file=@guide.md)', 'file');
  if (files.length > MAX_DOCUMENTS_PER_REQUEST) {
    throw badRequest(`${files.length} files in one request; at most ${MAX_DOCUMENTS_PER_REQUEST}: upload them in batches`, 'file');
  }
  return Promise.all(
    files.map(async (f) => ({ source: f.name, content: Buffer.from(await f.arrayBuffer()), contentType: f.type || undefined, format, metadata })),
  );
}

function parseMetadata(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the "metadata" field is not valid JSON: ${(err as Error).message}`, 'metadata', 'invalid_json');
  }
}

export function kbRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  const kb = deps.knowledge;

  app.post('/', authenticate(deps, 'admin'), async (c) => {
    const input = await readJson(c, createSchema, SMALL_BODY);
    const created = await kb.create(input, { signal: clientSignal(c) });
    return c.json(kbJson(created, { documents: 0, chunks: 0 }), 201);
  });

  app.get('/', authenticate(deps, 'read'), async (c) => {
    const q = validate(z.strictObject(catalogParams), c.req.query());
    const page = pageOf(await kb.list(), q, (b) => b.id);
    return c.json({ ...page, data: await Promise.all(page.data.map(async (b) => kbJson(b, await kb.stats(b.id)))) });
  });

  app.get('/:kb', authenticate(deps, 'read'), async (c) => {
    const base = await kb.get(c.req.param('kb'));
    return c.json(kbJson(base, await kb.stats(base.id)));
  });

  app.delete('/:kb', authenticate(deps, 'admin'), async (c) => {
    const base = await kb.delete(c.req.param('kb'));
    return c.json({ id: base.id, name: base.name, deleted: true });
  });

  app.post('/:kb/documents', authenticate(deps, 'admin'), async (c) => {
    const base = await kb.get(c.req.param('kb')); // 404 before reading a large upload
    const docs = await readDocuments(c, deps);
    const report = await kb.ingest(base.id, docs, { signal: clientSignal(c) });
    return c.json(
      { kb: base.name, summary: report.summary, documents: report.documents.map(ingestResultJson) },
      report.summary.failed > 0 ? 207 : 200,
    );
  });

  app.get('/:kb/documents', authenticate(deps, 'read'), async (c) => {
    const q = validate(pageSchema, c.req.query());
    const page = await kb.listDocuments(c.req.param('kb'), { limit: q.limit, cursor: q.cursor });
    return c.json({ data: page.data.map(documentJson), next_cursor: page.nextCursor });
  });

  // {.+}: an id with "/" may come URL-encoded (%2F, as documented) or as is.
  app.get('/:kb/documents/:doc{.+}', authenticate(deps, 'read'), async (c) => {
    return c.json(documentJson(await kb.getDocument(c.req.param('kb'), c.req.param('doc'))));
  });

  app.delete('/:kb/documents/:doc{.+}', authenticate(deps, 'admin'), async (c) => {
    const id = c.req.param('doc');
    await kb.deleteDocument(c.req.param('kb'), id);
    return c.json({ id, deleted: true });
  });

  app.post('/:kb/search', authenticate(deps, 'read'), async (c) => {
    const input = await readJson(c, searchSchema, SMALL_BODY);
    const res = await kb.search(c.req.param('kb'), input as Parameters<typeof kb.search>[1], { signal: clientSignal(c) });
    return c.json({ kb: res.kb.name, query: res.query, arms: res.arms, hits: res.hits.map(hitJson) });
  });

  return app;
}
