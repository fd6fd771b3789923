/**
 * Loading and sharing llama.cpp resources: one Llama runtime per GPU mode, and per model one
 * lazily loaded LlamaModel, one chat context (with `parallel` sequences behind a FIFO permit
 * queue) and one embedding context. Concurrent first calls await the same load; a failed load is
 * remembered for a few seconds so a burst of requests gets one answer instead of a download each.
 */
import {
  GeneralChatWrapper,
  getLlama,
  LlamaLogLevel,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaModel,
} from 'node-llama-cpp';
import { UpstreamError } from '../../errors.js';
import type { ProviderEnv } from '../../gateway/spec.js';
import type { ResolvedModel } from './config.js';
import { checkPath, fetchModel } from './download.js';
import { PermitQueue } from './queue.js';

const FAILURE_TTL_MS = 5_000;

/** A shared promise, forgotten FAILURE_TTL_MS after it rejects so a later call tries again. */
class Lazy<T> {
  private p: Promise<T> | null = null;

  get(factory: () => Promise<T>): Promise<T> {
    if (this.p) return this.p;
    const p = factory();
    this.p = p;
    p.catch(() => {
      setTimeout(() => {
        if (this.p === p) this.p = null;
      }, FAILURE_TTL_MS).unref();
    });
    return p;
  }

  /** The value if loaded, without starting a load. */
  async settled(): Promise<T | null> {
    if (!this.p) return null;
    try {
      return await this.p;
    } catch {
      return null;
    }
  }
}

/** The llama.cpp runtimes, created on first use: one CPU-only, one with GPU auto-detection. */
export class Runtime {
  private readonly llamas = new Map<'cpu' | 'auto', Lazy<Llama>>();

  constructor(private readonly log: (msg: string) => void) {}

  llama(gpu: 'auto' | false): Promise<Llama> {
    const key = gpu === false ? 'cpu' : 'auto';
    let lazy = this.llamas.get(key);
    if (!lazy) this.llamas.set(key, (lazy = new Lazy()));
    return lazy.get(() =>
      getLlama({
        gpu: gpu === false ? false : 'auto',
        build: 'never',
        progressLogs: false,
        logLevel: LlamaLogLevel.warn,
        logger: (level, message) => {
          const m = message.trim();
          if (m) this.log(`local: llama.cpp ${level}: ${m}`);
        },
      }),
    );
  }

  async dispose(): Promise<void> {
    for (const lazy of this.llamas.values()) {
      const llama = await lazy.settled();
      await llama?.dispose().catch(() => undefined);
    }
    this.llamas.clear();
  }
}

export interface ChatResources {
  model: LlamaModel;
  llama: Llama;
  context: LlamaContext;
  /** One per queue slot. */
  sequences: LlamaContextSequence[];
  chatWrapper: ChatWrapper;
  /** Tokens each sequence can hold (prompt + completion). */
  contextSize: number;
}

export class LocalModel {
  /** Chat requests: `parallel` at once, `max_queue` waiting. */
  readonly chatQueue: PermitQueue;
  /** Embedding requests: one at a time, `max_queue` waiting. */
  readonly embedQueue: PermitQueue;
  private readonly model = new Lazy<{ model: LlamaModel; llama: Llama; path: string }>();
  private readonly chatRes = new Lazy<ChatResources>();
  private readonly embedCtx = new Lazy<LlamaEmbeddingContext>();
  private readonly grammars = new Map<string, Promise<unknown>>();

  constructor(
    /** "<provider id>/<model name>", for messages. */
    readonly target: string,
    readonly resolved: ResolvedModel,
    private readonly runtime: Runtime,
    private readonly env: ProviderEnv,
  ) {
    this.chatQueue = new PermitQueue(resolved.settings.parallel, resolved.settings.max_queue);
    this.embedQueue = new PermitQueue(1, resolved.settings.max_queue);
  }

  get settings() {
    return this.resolved.settings;
  }

  private loadModel(): Promise<{ model: LlamaModel; llama: Llama; path: string }> {
    return this.model.get(async () => {
      const { source, settings } = this.resolved;
      let path: string;
      try {
        path =
          source.kind === 'path'
            ? checkPath(source.path, this.target)
            : await fetchModel(source.uri, { dataDir: this.env.dataDir, log: this.env.log, target: this.target });
      } catch (err) {
        throw asUnavailable(err, this.target);
      }
      let llama: Llama;
      try {
        llama = await this.runtime.llama(settings.gpu);
      } catch (err) {
        throw unavailable(this.target, 'local_runtime_unavailable', `the llama.cpp runtime could not start: ${msg(err)}`, err);
      }
      try {
        const t0 = performance.now();
        const model = await llama.loadModel({ modelPath: path, gpuLayers: settings.gpu === false ? 0 : 'auto' });
        this.env.log(`local: loaded ${this.target} from ${path} in ${Math.round(performance.now() - t0)} ms`);
        return { model, llama, path };
      } catch (err) {
        throw unavailable(this.target, 'local_model_load_failed', `could not load ${path}: ${msg(err)}`, err);
      }
    });
  }

  /** The model, its chat context and sequences (loaded on first call). */
  chat(): Promise<ChatResources> {
    return this.chatRes.get(async () => {
      const { model, llama } = await this.loadModel();
      const { settings } = this.resolved;
      let context: LlamaContext;
      try {
        context = await model.createContext({
          contextSize: Math.min(settings.context_size, model.trainContextSize || settings.context_size),
          sequences: settings.parallel,
          threads: settings.threads,
        });
      } catch (err) {
        throw unavailable(this.target, 'local_model_load_failed', `could not create a ${settings.context_size}-token context: ${msg(err)}`, err);
      }
      const sequences: LlamaContextSequence[] = [];
      for (let i = 0; i < settings.parallel; i++) sequences.push(context.getSequence());
      const chatWrapper = resolveChatWrapper(model, { warningLogs: false }) ?? new GeneralChatWrapper();
      this.env.log(`local: ${this.target} chat template: ${chatWrapper.wrapperName}, context ${context.contextSize} tokens`);
      return { model, llama, context, sequences, chatWrapper, contextSize: sequences[0].contextSize };
    });
  }

  /** The model's embedding context (loaded on first call). */
  embedding(): Promise<{ ctx: LlamaEmbeddingContext; model: LlamaModel }> {
    return this.embedCtx
      .get(async () => {
        const { model } = await this.loadModel();
        const { settings } = this.resolved;
        try {
          return await model.createEmbeddingContext({
            contextSize: Math.min(settings.context_size, model.trainContextSize || settings.context_size),
            threads: settings.threads,
          });
        } catch (err) {
          throw unavailable(this.target, 'local_model_load_failed', `could not create an embedding context: ${msg(err)}`, err);
        }
      })
      .then((ctx) => ({ ctx, model: ctx.model }));
  }

  /** A compiled grammar, cached by key (JSON schemas repeat across requests). */
  grammar<T>(key: string, make: () => Promise<T>): Promise<T> {
    let g = this.grammars.get(key) as Promise<T> | undefined;
    if (!g) {
      if (this.grammars.size >= 64) this.grammars.delete(this.grammars.keys().next().value!);
      g = make();
      this.grammars.set(key, g);
      g.catch(() => this.grammars.delete(key));
    }
    return g;
  }

  async dispose(err: unknown): Promise<void> {
    this.chatQueue.close(err);
    this.embedQueue.close(err);
    const chat = await this.chatRes.settled();
    await chat?.context.dispose().catch(() => undefined);
    const embed = await this.embedCtx.settled();
    await embed?.dispose().catch(() => undefined);
    const m = await this.model.settled();
    await m?.model.dispose().catch(() => undefined);
  }
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function unavailable(target: string, code: string, message: string, cause?: unknown): UpstreamError {
  return new UpstreamError({ status: 503, type: 'unavailable_error', code, message, failure: 'unavailable', target, cause });
}

/** Keep status, code and message of a download/path error, as an UpstreamError the router can fall back on. */
function asUnavailable(err: unknown, target: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { status?: number; code?: string | null; message?: string };
  return unavailable(target, e.code ?? 'local_model_unavailable', e.message ?? String(err), err);
}
