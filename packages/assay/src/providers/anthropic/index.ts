/**
 * Provider for the Anthropic Messages API (POST {base_url}/v1/messages). Requests and answers are
 * translated between the OpenAI Chat Completions dialect and Anthropic's: translate-request.ts,
 * translate-response.ts and stream.ts hold the mapping and say what is rejected or dropped.
 */
import { z } from 'zod';
import { AssayError, UpstreamError } from '../../errors.js';
import type { Provider, ProviderCall, ProviderModule } from '../../gateway/spec.js';
import type {
  ChatCompletionChunk,
  ChatRequest,
  ChatResult,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from '../../gateway/types.js';
import { completionAsChunks, prepend } from '../../gateway/chunks.js';
import { abortReason, createAgent, postJson, readJsonBody, readSse, readText, type UpstreamResponse } from '../http.js';
import { anthropicHttpError, streamBroken } from './errors.js';
import { translateStream } from './stream.js';
import { toAnthropicRequest } from './translate-request.js';
import { fromAnthropicMessage } from './translate-response.js';
import type { AnthropicMessage } from './wire.js';

export const anthropicConfigSchema = z.strictObject({
  id: z.string(),
  type: z.literal('anthropic'),
  /** Without the /v1 suffix (a trailing /v1 is tolerated and stripped). */
  base_url: z.url({ message: 'base_url must be a URL such as https://api.anthropic.com' }).default('https://api.anthropic.com'),
  /** Sent as x-api-key. */
  api_key: z.string().optional(),
  /** Sent as the anthropic-version header. */
  anthropic_version: z.string().default('2023-06-01'),
  /** Extra headers sent with every request (e.g. anthropic-beta). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Models listed by /v1/models as "<id>/<model>"; any model name is still accepted. */
  models: z.array(z.string()).default([]),
  /** Max open sockets to this upstream. */
  connections: z.number().int().positive().default(256),
  /** max_tokens sent when the request has neither max_completion_tokens nor max_tokens (Anthropic requires it). */
  default_max_tokens: z.number().int().positive().default(4096),
});
export type AnthropicProviderConfig = z.infer<typeof anthropicConfigSchema>;

export class AnthropicProvider implements Provider {
  readonly type = 'anthropic';
  readonly id: string;
  private readonly agent;
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly config: AnthropicProviderConfig) {
    this.id = config.id;
    this.agent = createAgent({ connections: config.connections });
    this.url = `${config.base_url.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/messages`;
    this.headers = { ...config.headers, 'anthropic-version': config.anthropic_version };
    if (config.api_key) this.headers['x-api-key'] = config.api_key;
  }

  models(): string[] {
    return this.config.models;
  }

  async chat(req: ChatRequest, call: ProviderCall): Promise<ChatResult> {
    const target = `${this.id}/${req.model}`;
    const { body, jsonMode, dropped } = toAnthropicRequest(req, { defaultMaxTokens: this.config.default_max_tokens });
    if (dropped.length > 0) call.span.meta({ dropped_fields: dropped });

    const res = await postJson(this.agent, this.url, body, this.headers, call.signal, target);
    const requestId = res.headers['request-id'];
    if (typeof requestId === 'string') call.span.meta({ upstream_request_id: requestId });
    if (res.status >= 400) throw anthropicHttpError(res, await readText(res.body), target);

    const contentType = String(res.headers['content-type'] ?? '');
    if (!req.stream || !contentType.includes('text/event-stream')) {
      const msg = await readJsonBody<AnthropicMessage>(res, target, call.signal);
      if (!msg || typeof msg !== 'object' || !Array.isArray(msg.content)) {
        throw new UpstreamError({ status: 502, failure: 'http', target, message: `${target} answered with something that is not an Anthropic message` });
      }
      const response = fromAnthropicMessage(msg, jsonMode);
      // The upstream ignored `stream`: relay its whole answer as a stream.
      if (req.stream) return { kind: 'stream', chunks: completionAsChunks(response) };
      return { kind: 'response', response };
    }

    const chunks = this.relay(res, target, jsonMode, call.signal);
    // Read up to the first chunk now, so an error event at the very start (e.g. overloaded_error) is
    // thrown from chat() with its HTTP meaning and can still be retried or fall back.
    const first = await chunks.next();
    if (first.done) throw streamBroken(target, `${target} sent an empty stream`);
    return { kind: 'stream', chunks: prepend(first.value, chunks) };
  }

  private async *relay(
    res: UpstreamResponse,
    target: string,
    jsonMode: ReturnType<typeof toAnthropicRequest>['jsonMode'],
    signal: AbortSignal,
  ): AsyncGenerator<ChatCompletionChunk> {
    try {
      yield* translateStream(readSse(res.body), { target, jsonMode });
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if (signal.aborted) throw abortReason(signal, err);
      throw streamBroken(target, `stream from ${target} broke: ${(err as Error).message}`, err);
    } finally {
      res.body.destroy();
    }
  }

  async embeddings(_req: EmbeddingsRequest, _call: ProviderCall): Promise<EmbeddingsResponse> {
    throw new AssayError({
      status: 400,
      code: 'embeddings_not_supported',
      message: `provider '${this.id}' (anthropic) has no embeddings endpoint; route embeddings to an OpenAI-compatible or local provider`,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export const anthropicProvider: ProviderModule<typeof anthropicConfigSchema> = {
  type: 'anthropic',
  configSchema: anthropicConfigSchema,
  create: (config) => new AnthropicProvider(config),
};
