/**
 * The `local` provider: GGUF models run in-process through node-llama-cpp (llama.cpp). Models load
 * lazily on first use and are shared; `local/default` works with no config at all (see config.ts
 * for how it resolves, download.ts for the first-use download).
 *
 * Each model has `parallel` generation slots (context sequences) and a FIFO queue of at most
 * `max_queue` waiting requests; beyond that a request gets 429 with a retry hint. `call.signal`
 * drops a waiting request or stops a running generation.
 */
import { AssayError, badRequest, notFound, UpstreamError } from '../../errors.js';
import type { Provider, ProviderCall, ProviderEnv, ProviderModule } from '../../gateway/spec.js';
import type {
  ChatCompletionChunk,
  ChatRequest,
  ChatResult,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from '../../gateway/types.js';
import { localConfigSchema, modelNames, resolveModel, type LocalProviderConfig } from './config.js';
import { embed } from './embed.js';
import { LocalModel, Runtime, type ChatResources } from './engine.js';
import { generate, prepare, type GenerationSink, type Prepared } from './generate.js';
import { Channel, QueueFullError, raceSignal, signalReason, type Permit, type PermitQueue } from './queue.js';
import { ChunkFactory, completionId, planChat, toCompletion } from './translate.js';

export { localConfigSchema, localModelSchema, type LocalModelConfig, type LocalProviderConfig } from './config.js';
export { DEFAULT_MODEL_URI, ENV_MODEL_PATH, ENV_MODEL_URI } from './download.js';
export { pullModel, type PullModelOptions } from './pull.js';

const QUEUE_RETRY_AFTER_MS = 1_000;

export class LocalProvider implements Provider {
  readonly type = 'local';
  readonly id: string;
  private readonly runtime: Runtime;
  private readonly handles = new Map<string, LocalModel>();
  /** Aborted by close(): stops every running generation. */
  private readonly closing = new AbortController();
  /** Generations in flight, awaited by close() before contexts are disposed. */
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly config: LocalProviderConfig,
    private readonly env: ProviderEnv,
  ) {
    this.id = config.id;
    this.runtime = new Runtime(env.log);
  }

  models(): string[] {
    return modelNames(this.config);
  }

  /** The shared handle for a model name (created on first use, without loading anything). */
  private handle(name: string): LocalModel {
    if (this.closing.signal.aborted) throw this.closedError(name);
    const resolved = resolveModel(this.config, name);
    if (!resolved) {
      throw notFound(`model "${this.id}/${name}" is not configured (local models: ${this.models().join(', ')})`, 'model_not_found', 'model');
    }
    let h = this.handles.get(resolved.key);
    if (!h) {
      h = new LocalModel(`${this.id}/${name}`, resolved, this.runtime, this.env);
      this.handles.set(resolved.key, h);
    }
    return h;
  }

  private closedError(name: string): UpstreamError {
    return new UpstreamError({ status: 503, failure: 'unavailable', target: `${this.id}/${name}`, code: 'shutting_down', message: `${this.id} is shutting down` });
  }

  /** A queue slot, or 429 when too many requests wait already. Decided synchronously. */
  private acquire(queue: PermitQueue, target: string, call: ProviderCall): Promise<Permit> {
    const t0 = performance.now();
    return queue.acquire(call.signal).then(
      (permit) => {
        call.span.meta({ local_queue_wait_ms: Math.round((performance.now() - t0) * 10) / 10 });
        return permit;
      },
      (err) => {
        if (err instanceof QueueFullError) {
          throw new UpstreamError({
            status: 429,
            type: 'rate_limit_error',
            code: 'local_queue_full',
            failure: 'http',
            target,
            retryAfterMs: QUEUE_RETRY_AFTER_MS,
            headers: { 'retry-after': String(Math.ceil(QUEUE_RETRY_AFTER_MS / 1000)) },
            message: `${target} is busy: ${err.waiting} requests are already waiting (max_queue ${queue.maxWaiting}); retry later`,
          });
        }
        throw err;
      },
    );
  }

  async chat(req: ChatRequest, call: ProviderCall): Promise<ChatResult> {
    const h = this.handle(req.model);
    if (h.settings.embedding) {
      throw badRequest(`${h.target} is an embedding model (embedding: true); use it with /v1/embeddings`, 'model', 'model_not_supported');
    }
    const plan = planChat(req);
    const permit = await this.acquire(h.chatQueue, h.target, call); // before any other await: FIFO and 429 are decided now
    let res: ChatResources;
    let prep: Prepared;
    try {
      res = await raceSignal(h.chat(), call.signal);
      prep = await prepare(h, res, plan);
    } catch (err) {
      permit.release();
      throw err;
    }
    call.span.meta({ local_prompt_tokens: prep.promptTokens, local_max_tokens: prep.maxTokens });

    // One controller per run: the caller's signal, the stream's return() and close() all stop it.
    const run = new AbortController();
    const stop = (reason: unknown) => {
      if (!run.signal.aborted) run.abort(reason);
    };
    const onCallAbort = () => stop(signalReason(call.signal));
    const onClose = () => stop(this.closedError(req.model));
    call.signal.addEventListener('abort', onCallAbort, { once: true });
    this.closing.signal.addEventListener('abort', onClose, { once: true });
    if (call.signal.aborted) onCallAbort();
    const cleanup = () => {
      call.signal.removeEventListener('abort', onCallAbort);
      this.closing.signal.removeEventListener('abort', onClose);
      permit.release();
    };

    const id = completionId();
    const created = Math.floor(Date.now() / 1000);
    const sequence = res.sequences[permit.slot];

    const track = <T>(p: Promise<T>): Promise<T> => {
      this.running.add(p);
      p.then(
        () => this.running.delete(p),
        () => this.running.delete(p),
      );
      return p;
    };

    if (!req.stream) {
      const sink: GenerationSink = { text() {}, toolStart() {}, toolArgs() {} };
      try {
        const outcome = await track(generate(sequence, prep, sink, run.signal));
        return { kind: 'response', response: toCompletion(id, created, req.model, outcome) };
      } catch (err) {
        throw this.generationError(err, h.target, false, run.signal);
      } finally {
        cleanup();
      }
    }

    const chunks = new ChunkFactory(id, created, req.model);
    const channel = new Channel<ChatCompletionChunk>(() => stop(new Error('stream closed by the consumer')));
    channel.push(chunks.role());
    let sent = false;
    const sink: GenerationSink = {
      text: (t) => {
        sent = true;
        channel.push(chunks.content(t));
      },
      toolStart: (i, tid, name) => {
        sent = true;
        channel.push(chunks.toolStart(i, tid, name));
      },
      toolArgs: (i, a) => {
        sent = true;
        channel.push(chunks.toolArgs(i, a));
      },
    };
    track(generate(sequence, prep, sink, run.signal))
      .then((outcome) => {
        channel.push(chunks.finish(outcome.finishReason));
        channel.push(chunks.usage(outcome.usage));
        channel.end();
      })
      .catch((err) => channel.fail(this.generationError(err, h.target, sent, run.signal)))
      .finally(cleanup);
    return { kind: 'stream', chunks: channel };
  }

  /** A stopped run fails with the reason it was stopped; anything else llama.cpp threw becomes an UpstreamError. */
  private generationError(err: unknown, target: string, afterFirstChunk: boolean, run: AbortSignal): Error {
    if (run.aborted) return signalReason(run);
    if (err instanceof AssayError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new UpstreamError({
      status: afterFirstChunk ? 502 : 500,
      failure: afterFirstChunk ? 'stream' : 'http',
      target,
      message: `${target} generation failed: ${message}`,
      cause: err,
    });
  }

  async embeddings(req: EmbeddingsRequest, call: ProviderCall): Promise<EmbeddingsResponse> {
    const h = this.handle(req.model);
    const permit = await this.acquire(h.embedQueue, h.target, call);
    try {
      const { ctx } = await raceSignal(h.embedding(), call.signal);
      return await embed(ctx, req, call.signal);
    } finally {
      permit.release();
    }
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort(new Error('closing'));
    const handles = [...this.handles.values()];
    this.handles.clear();
    // Let aborted generations unwind before their contexts go away.
    await Promise.allSettled([...this.running]);
    for (const h of handles) await h.dispose(this.closedError(h.target.slice(this.id.length + 1)));
    await this.runtime.dispose();
  }
}

export const localProvider: ProviderModule<typeof localConfigSchema> = {
  type: 'local',
  configSchema: localConfigSchema,
  create: (config, env) => new LocalProvider(config, env),
};
