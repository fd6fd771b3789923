/**
 * The limits layer of the model pipeline, the first after authentication: a call takes a request,
 * its estimated tokens (about 4 characters per prompt token, plus max_tokens) and a lease on a call
 * in flight from its key's limits; the real tokens replace the estimate when the call ends, and the
 * lease ends with it (a stream's when it is finished, failed or cancelled by the client).
 */
import type { CallContext, ChatHandler, EmbeddingsHandler, Layer } from '../gateway/spec.js';
import type { ChatCompletionChunk, ChatRequest, EmbeddingsRequest } from '../gateway/types.js';
import type { Admission, Limiter } from './limiter.js';

const CHARS_PER_TOKEN = 4;

export function chatTokenEstimate(req: ChatRequest): number {
  const prompt = JSON.stringify(req.messages ?? []).length + (req.tools ? JSON.stringify(req.tools).length : 0);
  const completion = Number(req.max_completion_tokens ?? req.max_tokens ?? 0);
  return Math.ceil(prompt / CHARS_PER_TOKEN) + (Number.isFinite(completion) ? completion : 0);
}

export function embeddingsTokenEstimate(req: EmbeddingsRequest): number {
  const inputs = Array.isArray(req.input) ? req.input : [req.input];
  let tokens = 0;
  for (const x of inputs) tokens += typeof x === 'string' ? Math.ceil(x.length / CHARS_PER_TOKEN) : Array.isArray(x) ? x.length : 1;
  return tokens;
}

/** Headers of each admitted call, for surfaces whose result has no headers of its own (embeddings). */
const admitted = new WeakMap<CallContext, Record<string, string>>();

/** The x-ratelimit-* headers of an admitted call ({} when its key has no limits). */
export function limitHeaders(ctx: CallContext): Record<string, string> {
  return admitted.get(ctx) ?? {};
}

async function admit(limiter: Limiter, ctx: CallContext, estimate: () => number): Promise<Admission | null> {
  if (!ctx.key) return null; // Assay's own calls (no ctx.key) are not limited
  const adm = await limiter.admit(ctx.key, estimate);
  admitted.set(ctx, adm.headers);
  return adm;
}

export function limitsLayer(limiter: Limiter): Layer {
  return (next: ChatHandler): ChatHandler =>
    async (req, ctx) => {
      const adm = await admit(limiter, ctx, () => chatTokenEstimate(req));
      if (!adm) return next(req, ctx);
      let result;
      try {
        result = await next(req, ctx);
      } catch (err) {
        adm.finish(null);
        throw err;
      }
      const headers = { ...adm.headers, ...result.headers };
      if (result.kind === 'response') {
        adm.finish(result.response.usage?.total_tokens ?? null);
        return { ...result, headers };
      }
      return { ...result, chunks: tracked(result.chunks, adm), headers };
    };
}

export function limitsEmbeddings(limiter: Limiter, next: EmbeddingsHandler): EmbeddingsHandler {
  return async (req, ctx) => {
    const adm = await admit(limiter, ctx, () => embeddingsTokenEstimate(req));
    if (!adm) return next(req, ctx);
    try {
      const res = await next(req, ctx);
      adm.finish(res.usage?.total_tokens ?? null);
      return res;
    } catch (err) {
      adm.finish(null);
      throw err;
    }
  };
}

/** The chunks, passed through; the admission finishes when they end, fail or are given up (return). */
function tracked(chunks: AsyncIterable<ChatCompletionChunk>, adm: Admission): AsyncIterable<ChatCompletionChunk> {
  return {
    [Symbol.asyncIterator]() {
      const it = chunks[Symbol.asyncIterator]();
      let total: number | null = null;
      return {
        async next() {
          try {
            const r = await it.next();
            if (r.done) adm.finish(total);
            else if (typeof r.value.usage?.total_tokens === 'number') total = r.value.usage.total_tokens;
            return r;
          } catch (err) {
            adm.finish(total);
            throw err;
          }
        },
        async return(value?: unknown) {
          adm.finish(total);
          return (await it.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}
