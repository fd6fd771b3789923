/**
 * A fake OpenAI-compatible embeddings upstream whose vectors carry meaning: each text becomes a
 * bag of its words (lower-cased, a plural "s" dropped, stop words ignored) hashed into `dims`
 * dimensions, so texts sharing words are near in cosine distance and a query finds the chunk that
 * holds its words. Behaviours by model name:
 *   fail-<status> → that HTTP status with an OpenAI error body
 *   grow          → 16 dimensions on the first call, 32 after (a model "changed" under its id)
 *   picky         → 400 when any input contains "FORBIDDEN" (a text the model refuses)
 *   anything else → 64 dimensions
 * Every call is recorded (model and inputs), so tests can count what was embedded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenLocal } from './local-server.js';

export interface EmbeddingCall {
  model: string;
  inputs: string[];
}

export interface FakeEmbeddings {
  /** Base URL for a provider of type openai (ends in /v1). */
  url: string;
  calls: EmbeddingCall[];
  /** Texts embedded so far (all calls). */
  texts(): string[];
  reset(): void;
  close(): Promise<void>;
}

const STOP = new Set(['a', 'an', 'the', 'is', 'are', 'of', 'to', 'in', 'and', 'or', 'it', 'on', 'for', 'with', 'how', 'what', 'do', 'i', 'by', 'be', 'can', 'from', 'at', 'this']);

function hash(word: string): number {
  let h = 2166136261;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The bag-of-words vector of a text (never all zeros). */
export function embedText(text: string, dims = 64): number[] {
  const v = new Array<number>(dims).fill(0);
  const words = (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).map((w) => (w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w)).filter((w) => !STOP.has(w));
  for (const w of words) v[hash(w) % dims] += 1;
  v[dims - 1] += 0.01;
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / norm);
}

export async function startFakeEmbeddings(): Promise<FakeEmbeddings> {
  const calls: EmbeddingCall[] = [];
  let growCalls = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { model?: string; input?: unknown };
    const json = (status: number, obj: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const error = (status: number, message: string) => json(status, { error: { message, type: 'invalid_request_error', param: null, code: null } });
    if (req.url !== '/v1/embeddings') return error(404, `unknown path ${req.url}`);
    const model = String(body.model ?? '');
    const inputs = (Array.isArray(body.input) ? body.input : [body.input]).map(String);
    calls.push({ model, inputs });
    const m = /^fail-(\d{3})$/.exec(model);
    if (m) return error(Number(m[1]), `the embedding upstream says ${m[1]}`);
    if (model === 'picky' && inputs.some((t) => t.includes('FORBIDDEN'))) return error(400, 'this input is not allowed');
    const dims = model === 'grow' ? (growCalls++ === 0 ? 16 : 32) : 64;
    json(200, {
      object: 'list',
      model,
      data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: embedText(t, dims) })),
      usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
    });
  };
  const local = await listenLocal(handle);
  return {
    url: `${local.origin}/v1`,
    calls,
    texts: () => calls.flatMap((c) => c.inputs),
    reset: () => {
      calls.length = 0;
    },
    close: local.close,
  };
}
