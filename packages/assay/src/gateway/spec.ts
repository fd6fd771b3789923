/**
 * The contracts of the model pipeline: the Provider spec that every provider folder implements,
 * and the Layer type that every pipeline stage (router, limits, cache, verification …) follows.
 */
import type { z } from 'zod';
import type { KeyPolicy } from '../keys/policy.js';
import type { Span } from '../tracing/span.js';
import type {
  ChatRequest,
  ChatResult,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from './types.js';

/** The calling key, as far as layers need it: model allow-list, tool grants, rate limits, memory namespace. */
export interface CallKey {
  readonly id: string;
  /** Its scopes: an admin key is the operator (it may add any server-side tool, tools/authz.ts). */
  readonly scopes: readonly string[];
  /** Its own policy (keys/policy.ts): tools it may add, bound user, rate limits; null: none. */
  readonly policy: KeyPolicy | null;
  /** The models it may call (patterns may end in *); null: any. Every model call of the request is checked. */
  readonly models: readonly string[] | null;
  /** Whose end users' memories the call reads and writes (keys/policy.ts `memory_namespace`, else the key id). */
  readonly memoryNamespace: string;
}

/** Per-call data every layer sees. */
export interface CallContext {
  readonly traceId: string;
  /** Aborted when the client goes away or the server shuts down. */
  readonly signal: AbortSignal;
  readonly keyId: string | null;
  /** The key of a client's call; absent for Assay's own calls (experiments, knowledge ingest), which no key limits. */
  readonly key?: CallKey;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly tags: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The observation a layer parents its own spans under (the call's root span at first). */
  readonly span: Span;
}

export type ChatHandler = (req: ChatRequest, ctx: CallContext) => Promise<ChatResult>;
export type EmbeddingsHandler = (req: EmbeddingsRequest, ctx: CallContext) => Promise<EmbeddingsResponse>;
export type Layer = (next: ChatHandler) => ChatHandler;

/** What the router hands a provider for one attempt. */
export interface ProviderCall {
  /** Aborted on client disconnect, shutdown or the attempt's timeout; a provider stops work when it fires. */
  readonly signal: AbortSignal;
  /** The attempt's observation: a provider may add fields (e.g. queue wait) with `span.set`. */
  readonly span: Span;
}

/**
 * A provider speaks one upstream dialect. `req.model` is already the provider-local model name
 * (the part after "<provider id>/"); the `assay` extension is already stripped.
 *
 * Errors: throw `UpstreamError` (errors.ts) with the upstream status and message for HTTP errors,
 * failure 'connection' when no response came, failure 'stream' for a failure after the first chunk.
 * A chat stream's iterator must stop promptly and release its resources when `return()` is called
 * or `call.signal` aborts.
 */
export interface Provider {
  readonly id: string;
  readonly type: string;
  chat(req: ChatRequest, call: ProviderCall): Promise<ChatResult>;
  embeddings(req: EmbeddingsRequest, call: ProviderCall): Promise<EmbeddingsResponse>;
  /** Models this provider declares (listed by /v1/models as "<id>/<model>"). */
  models(): string[];
  close(): Promise<void>;
}

export interface ProviderEnv {
  /** The data directory (e.g. where local models are stored). */
  readonly dataDir: string;
  readonly log: (msg: string) => void;
}

/** Each provider folder exports one of these; config/schema.ts builds its provider union from them. */
export interface ProviderModule<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  /** zod schema for this provider's entry in `providers:` (must include `id` and `type`). */
  readonly configSchema: S;
  create(config: z.infer<S>, env: ProviderEnv): Provider;
}

/** Compose layers outside-in: compose([a, b], h) = a(b(h)). */
export function compose(layers: Layer[], handler: ChatHandler): ChatHandler {
  return layers.reduceRight((next, layer) => layer(next), handler);
}
