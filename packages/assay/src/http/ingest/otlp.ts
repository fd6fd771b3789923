/**
 * OTLP/HTTP trace ingest: `POST /v1/traces` and `POST /api/public/otel/v1/traces` (the path Langfuse
 * clients use). Protobuf or JSON, optionally gzip/deflate; the body is capped after decompression.
 * The reply uses the request's encoding: an ExportTraceServiceResponse (with partialSuccess when
 * some spans were rejected), or a google.rpc.Status on errors. Spans are acknowledged only after
 * they are written; a resent batch writes nothing twice (idempotent on trace and span id).
 */
import { checkStoredScore } from '../../feedback/scores/service.js';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Hono, type Context } from 'hono';
import { AssayError, toAssayError } from '../../errors.js';
import { authenticate, type AuthVars } from '../auth.js';
import { parseJson, readBodyBytes } from '../body.js';
import type { AppDeps } from '../deps.js';
import { decodeJsonValue, decodeProtobuf } from '../../tracing/otlp/decode.js';
import { mapSpans } from '../../tracing/otlp/map.js';
import { foreignObservations, foreignScores, rowKey } from '../../tracing/ownership.js';
import { RpcCode, encodeResponse, encodeStatus } from '../../tracing/otlp/proto.js';

type Format = 'protobuf' | 'json';
const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf']);
const RETRY_AFTER_S = 5;

export const OTLP_TRACE_PATHS = ['/v1/traces', '/api/public/otel/v1/traces'] as const;

export function otlpRoutes(deps: AppDeps): Hono<{ Variables: AuthVars }> {
  const app = new Hono<{ Variables: AuthVars }>();
  app.onError((err, c) => statusReply(c, err));
  for (const path of OTLP_TRACE_PATHS) app.post(path, authenticate(deps, 'ingest'), (c) => exportTraces(c, deps));
  return app;
}

async function exportTraces(c: Context<{ Variables: AuthVars }>, deps: AppDeps): Promise<Response> {
  const format = requestFormat(c);
  if (!format) {
    throw new AssayError({
      status: 415,
      code: 'unsupported_media_type',
      message: `Content-Type "${c.req.header('content-type') ?? ''}" is not supported: send OTLP as application/x-protobuf or application/json`,
    });
  }
  const limit = deps.config.ingest.max_body_bytes;
  const body = await readBody(c, limit);
  const decoded = format === 'protobuf' ? decodeProtobuf(body) : decodeJsonValue(parseJson(body.toString('utf8')));
  const mapped = mapSpans(decoded.spans, c.var.key);
  // A span or evaluation naming a row the key may not change (the gateway's, another key's) is rejected alone.
  const writer = { projectId: c.var.key.project_id, keyId: c.var.key.id, admin: c.var.key.scopes.includes('admin') };
  const foreign = await foreignObservations((p, refs) => deps.store.observations.writers(p, refs), writer, mapped.observations);
  const refused = [...foreign.values()];
  const observations = mapped.observations.filter((o) => !foreign.has(rowKey(o)));
  const foreignEvals = await foreignScores(deps.store.scores, writer, mapped.scores);
  // Evaluation events with a score config are checked against it; one that does not fit is left
  // out and named in the partial-success message (its span is still stored).
  const scores: typeof mapped.scores = [];
  const badScores: string[] = [];
  for (const s of mapped.scores) {
    const why = foreignEvals.get(s.id);
    if (why) {
      badScores.push(`evaluation "${s.name}": ${why}`);
      continue;
    }
    try {
      scores.push(await checkStoredScore(deps.scoreConfigs, s));
    } catch (err) {
      if ((err as { status?: number }).status !== 400) throw err;
      badScores.push(`evaluation "${s.name}" on span ${s.observation_id ?? s.trace_id}: ${(err as Error).message}`);
    }
  }
  // A row the store refuses even alone is set aside as a dead letter and reported as rejected.
  let aside: string[] = [];
  try {
    aside = (await deps.ingest.observations(observations, 'ignore', 'otlp')).map((r) => `span ${r.id}: ${r.reason} (kept as a trace dead letter)`);
    for (const r of await deps.ingest.scoreBatch(scores, 'otlp')) badScores.push(`evaluation ${r.id}: ${r.reason} (kept as a trace dead letter)`);
  } catch (err) {
    throw new AssayError({
      status: 503,
      type: 'unavailable_error',
      code: 'store_unavailable',
      message: `The spans could not be stored (${(err as Error).message}); nothing was acknowledged, retry later`,
      headers: { 'retry-after': String(RETRY_AFTER_S) },
      cause: err,
    });
  }
  const rejected = decoded.rejected + refused.length + aside.length;
  const reasons = [...decoded.reasons, ...refused.slice(0, 5), ...aside.slice(0, 5)];
  const spanPart = rejected > 0
    ? `${rejected} span(s) rejected, ${observations.length - aside.length} accepted: ${reasons.join('; ')}${rejected > reasons.length ? '; …' : ''}`
    : '';
  const scorePart = badScores.length ? `${badScores.length} evaluation result(s) not stored: ${badScores.slice(0, 5).join('; ')}${badScores.length > 5 ? '; …' : ''}` : '';
  const partial =
    rejected > 0 || badScores.length
      ? { rejectedSpans: rejected, errorMessage: [spanPart, scorePart].filter(Boolean).join('; ') }
      : undefined;
  if (format === 'protobuf') return protobufReply(encodeResponse(partial), 200);
  // OTLP/JSON writes int64 as a decimal string.
  const json = partial ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } } : {};
  return new Response(JSON.stringify(json), { status: 200, headers: { 'content-type': 'application/json' } });
}

function requestFormat(c: Context): Format | null {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (PROTOBUF_TYPES.has(type)) return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);

/**
 * The body as bytes, decompressed. Both the received bytes and the decompressed bytes are capped at
 * `limit` (413 beyond); zlib stops as soon as its output passes the cap, so a small "gzip bomb"
 * never expands in memory.
 */
async function readBody(c: Context, limit: number): Promise<Buffer> {
  const encoding = (c.req.header('content-encoding') ?? '').trim().toLowerCase();
  if (!['', 'identity', 'gzip', 'x-gzip', 'deflate'].includes(encoding)) {
    throw new AssayError({
      status: 415,
      code: 'unsupported_content_encoding',
      message: `Content-Encoding "${encoding}" is not supported: send the body uncompressed, gzip or deflate`,
    });
  }
  const raw = await readBodyBytes(c, limit, () => ingestTooLarge(limit));
  if (encoding === '' || encoding === 'identity') return raw;
  const opts = { maxOutputLength: limit };
  try {
    if (encoding === 'deflate') {
      try {
        return await inflate(raw, opts);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'Z_DATA_ERROR') throw err;
        return await inflateRaw(raw, opts); // some senders use raw deflate without the zlib header
      }
    }
    return await gunzip(raw, opts);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw decompressedTooLarge(limit);
    throw new AssayError({
      status: 400,
      code: 'invalid_encoding',
      message: `The body is not valid ${encoding} data (${e.message}); send it compressed as Content-Encoding says, or drop the header`,
    });
  }
}

function decompressedTooLarge(limit: number): AssayError {
  return new AssayError({
    status: 413,
    code: 'request_too_large',
    message: `The decompressed request body is larger than the ${limit}-byte limit (ingest.max_body_bytes in the config); send smaller batches`,
  });
}

function ingestTooLarge(limit: number): AssayError {
  return new AssayError({ status: 413, code: 'request_too_large', message: `The request body is larger than the ${limit}-byte limit (ingest.max_body_bytes in the config); send smaller batches` });
}

const RPC_CODES: Record<number, number> = {
  400: RpcCode.INVALID_ARGUMENT,
  401: RpcCode.UNAUTHENTICATED,
  403: RpcCode.PERMISSION_DENIED,
  404: RpcCode.NOT_FOUND,
  413: RpcCode.RESOURCE_EXHAUSTED,
  415: RpcCode.INVALID_ARGUMENT,
  429: RpcCode.RESOURCE_EXHAUSTED,
  503: RpcCode.UNAVAILABLE,
};

/** An error as google.rpc.Status, protobuf-encoded for protobuf requests, else JSON. */
function statusReply(c: Context, err: unknown): Response {
  const e = toAssayError(err);
  if (e.status >= 500) console.error(`[assay] ${c.req.method} ${c.req.path}:`, (e.cause as Error)?.stack ?? e.stack);
  const code = RPC_CODES[e.status] ?? (e.status >= 500 ? RpcCode.INTERNAL : RpcCode.INVALID_ARGUMENT);
  const headers: Record<string, string> = { ...e.headers };
  if (requestFormat(c) === 'protobuf') return protobufReply(encodeStatus(code, e.message), e.status, headers);
  return new Response(JSON.stringify({ code, message: e.message }), { status: e.status, headers: { 'content-type': 'application/json', ...headers } });
}

function protobufReply(bytes: Uint8Array, status: number, headers: Record<string, string> = {}): Response {
  return new Response(bytes, { status, headers: { 'content-type': 'application/x-protobuf', ...headers } });
}
