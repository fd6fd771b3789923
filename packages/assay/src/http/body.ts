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

export function parseJson(text: string): unknown {
  if (text.trim() === '') throw badRequest('The request body is empty: send a JSON object (Content-Type: application/json).');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`, null, 'invalid_json');
  }
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
