/** Reading and validating JSON request bodies with errors that say exactly what to fix. */
import type { Context } from 'hono';
import type { z } from 'zod';
import type { IncomingMessage } from 'node:http';
import { AssayError, badRequest, clientClosed } from '../errors.js';
import { formatPath } from '../config/load.js';

export function tooLarge(limit: number): AssayError {
  return new AssayError({
    status: 413,
    code: 'request_too_large',
    message: `The request body is larger than the ${limit}-byte limit (limits.max_body_bytes in the config).`,
  });
}

/** The raw body text, at most `limit` bytes (413 beyond), read once. */
export async function readBodyText(c: Context, limit: number): Promise<string> {
  return (await readBodyBytes(c, limit)).toString('utf8');
}

/** The raw body bytes, at most `limit` (beyond it, `tooLargeError` — by default the model API's 413). */
export async function readBodyBytes(c: Context, limit: number, tooLargeError: () => AssayError = () => tooLarge(limit)): Promise<Buffer> {
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw tooLargeError();
  // On Node, read the socket directly: no web-stream conversion on the hot path.
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && !incoming.readableDidRead) return readIncoming(incoming, limit, tooLargeError);
  const body = c.req.raw.body;
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLargeError();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function readIncoming(incoming: IncomingMessage, limit: number, tooLargeError: () => AssayError): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        incoming.resume(); // drain the rest so the connection stays usable (and the 413 is delivered)
        reject(tooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(clientClosed(`the request body could not be read: ${err.message}`));
    };
    const onAborted = () => onError(new Error('the client closed the connection'));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('aborted', onAborted);
  });
}

/**
 * How deep a request's JSON may nest. Deeper values would overflow the stack of whatever walks them
 * next (validation, JSON.stringify to a provider, trace writing), so they are refused at the edge.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * A request body parsed as JSON: nested at most `maxDepth` levels (400 beyond, naming where), with
 * every string and key well-formed (a lone surrogate, as clients produce when they cut an emoji in
 * half, becomes U+FFFD). `maxDepth: null` leaves the depth to the caller (e.g. per batch event).
 */
export function parseJson(text: string, opts: { maxDepth?: number | null } = {}): unknown {
  if (text.trim() === '') throw badRequest('The request body is empty: send a JSON object (Content-Type: application/json).');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`, null, 'invalid_json');
  }
  const maxDepth = opts.maxDepth === undefined ? MAX_JSON_DEPTH : opts.maxDepth;
  return maxDepth === null ? value : checkJson(value, maxDepth);
}

const wellFormed = (s: string): string => (s.isWellFormed() ? s : s.toWellFormed());

/**
 * `value` checked in place: nested at most `maxDepth` levels (else a 400 naming the path), lone
 * surrogates in strings and keys replaced. The walk never goes deeper than `maxDepth`.
 */
export function checkJson<T>(value: T, maxDepth = MAX_JSON_DEPTH): T {
  return walk(value, maxDepth, maxDepth, []) as T;
}

function walk(value: unknown, left: number, max: number, path: (string | number)[]): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (typeof value !== 'object' || value === null) return value;
  if (left <= 0) {
    const where = formatPath(path);
    throw badRequest(`The JSON is nested deeper than ${max} levels (at ${where}): send flatter data`, path.length ? where : null, 'json_too_deep');
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const checked = walk(value[i], left - 1, max, path);
      path.pop();
      if (checked !== value[i]) value[i] = checked;
    }
    return value;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    path.push(key);
    const checked = walk(obj[key], left - 1, max, path);
    path.pop();
    const k = wellFormed(key);
    if (k !== key) delete obj[key];
    // defineProperty, not assignment: a "__proto__" key from JSON.parse is an own property, not the prototype.
    if (k !== key || checked !== obj[key]) Object.defineProperty(obj, k, { value: checked, writable: true, enumerable: true, configurable: true });
  }
  return value;
}

/** Validate with zod; the first problems become one 400 naming the field paths. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 5);
  const first = issues[0];
  const message = issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
  throw badRequest(`Invalid request: ${message}`, first ? formatPath(first.path) : null, 'invalid_request');
}

export async function readJson<S extends z.ZodType>(c: Context, schema: S, limit: number): Promise<z.infer<S>> {
  return validate(schema, parseJson(await readBodyText(c, limit)));
}
