/** Everything the HTTP surfaces need, built once by server.ts. */
import type { AssayConfig } from '../config/schema.js';
import type { ModelRegistry } from '../gateway/registry.js';
import type { Router } from '../gateway/router/index.js';
import type { ChatHandler, EmbeddingsHandler } from '../gateway/spec.js';
import type { KeyService } from '../keys/service.js';
import type { Store } from '../store/index.js';
import type { TraceIngest } from '../tracing/ingest.js';
import type { PriceBook } from '../tracing/prices/book.js';
import type { Recorder } from '../tracing/recorder.js';

export interface AppDeps {
  config: AssayConfig;
  store: Store;
  keys: KeyService;
  /** Gateway spans: queued, written in batches. */
  recorder: Recorder;
  /** Ingested observations and scores: written before the request is acknowledged. */
  ingest: TraceIngest;
  /** The model price table (custom entries over the built-in ones). */
  prices: PriceBook;
  registry: ModelRegistry;
  router: Router;
  /** The composed chat pipeline (layers over the router). */
  chat: ChatHandler;
  embeddings: EmbeddingsHandler;
  version: string;
  startedAt: number;
}
