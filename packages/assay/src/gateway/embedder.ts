/**
 * Embeddings for Assay's own use (knowledge-base ingest and queries, memory): a function from
 * texts to vectors that goes through the gateway's embeddings pipeline (router, budgets, any
 * provider or route, a local GGUF model), so every call is traced as an `embedding` observation
 * and priced like an app's call.
 */
import { AssayError } from '../errors.js';
import { newTraceId } from '../tracing/ids.js';
import { emptyObservation, Span, type ObservationSink } from '../tracing/span.js';
import type { CallContext, EmbeddingsHandler } from './spec.js';

/** Texts in, one vector per text out (same order). */
export type Embedder = (texts: string[], opts?: EmbedCallOptions) => Promise<Float32Array[]>;

export interface EmbedCallOptions {
  /** Parent the embedding observation under this span (e.g. a retrieve tool step); else a new trace. */
  parent?: Span;
  signal?: AbortSignal;
  /** Observation name; default `embeddings`. */
  name?: string;
  userId?: string | null;
}

export interface EmbedderDeps {
  embeddings: EmbeddingsHandler;
  sink: ObservationSink;
}

/** Decodes one embedding (float array or base64 float32) into a Float32Array. */
export function toFloat32(e: number[] | string): Float32Array {
  if (typeof e !== 'string') return Float32Array.from(e);
  const b = Buffer.from(e, 'base64');
  const out = new Float32Array(b.byteLength >>> 2);
  new Uint8Array(out.buffer).set(b.subarray(0, out.byteLength));
  return out;
}

/** An embedder for `model` ("<provider>/<model>" or a route name). */
export function createEmbedder(deps: EmbedderDeps, model: string): Embedder {
  return async (texts, opts = {}) => {
    if (texts.length === 0) return [];
    const span = opts.parent
      ? opts.parent.child('embedding', opts.name ?? 'embeddings', { model, user_id: opts.userId ?? null })
      : new Span(deps.sink, emptyObservation({ trace_id: newTraceId(), type: 'embedding', name: opts.name ?? 'embeddings', model, user_id: opts.userId ?? null }));
    span.set({ input: { texts: texts.length, chars: texts.reduce((n, t) => n + t.length, 0) } });
    const ctx: CallContext = {
      traceId: span.traceId,
      signal: opts.signal ?? new AbortController().signal,
      keyId: span.observation.key_id,
      userId: opts.userId ?? null,
      sessionId: null,
      tags: [],
      metadata: {},
      span,
    };
    try {
      const res = await deps.embeddings({ model, input: texts }, ctx);
      const data = [...(res.data ?? [])].sort((a, b) => a.index - b.index);
      if (data.length !== texts.length) {
        throw new AssayError({ status: 502, type: 'upstream_error', code: 'bad_embeddings', message: `embedding model ${model} returned ${data.length} vectors for ${texts.length} inputs` });
      }
      const vectors = data.map((d) => toFloat32(d.embedding));
      span.end({
        status_code: 200,
        input_tokens: res.usage?.prompt_tokens ?? null,
        total_tokens: res.usage?.total_tokens ?? null,
        output: { vectors: vectors.length, dimensions: vectors[0]?.length ?? null },
      });
      return vectors;
    } catch (err) {
      const e = err as { message?: string; status?: number };
      span.fail({ message: e.message ?? String(err), status: e.status });
      span.end();
      throw err;
    }
  };
}
