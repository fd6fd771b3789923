/**
 * Provider for any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp server, LM Studio,
 * Groq, Together, OpenRouter …). Requests pass through as they are, unknown fields included;
 * streams are relayed chunk by chunk.
 */
import { z } from 'zod';
import { UpstreamError } from '../../errors.js';
import type { Provider, ProviderCall, ProviderModule } from '../../gateway/spec.js';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatRequest,
  ChatResult,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from '../../gateway/types.js';
import { completionAsChunks } from '../../gateway/chunks.js';
import { abortReason, createAgent, postJson, readJsonBody, readSse, readText, retryAfterMs, type UpstreamResponse } from '../http.js';

export const openaiConfigSchema = z.strictObject({
  id: z.string(),
  type: z.literal('openai'),
  base_url: z.url({ message: 'base_url must be a URL such as http://127.0.0.1:8000/v1' }),
  api_key: z.string().optional(),
  /** Extra headers sent with every request (e.g. OpenRouter's HTTP-Referer). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Models listed by /v1/models as "<id>/<model>"; any model name is still accepted. */
  models: z.array(z.string()).default([]),
  /** Ask the upstream for usage on streams (stream_options.include_usage) so traces have tokens. */
  stream_usage: z.boolean().default(true),
  /** Max open sockets to this upstream. */
  connections: z.number().int().positive().default(256),
});
export type OpenAIProviderConfig = z.infer<typeof openaiConfigSchema>;

/** Parse an OpenAI-shaped error body into an UpstreamError that keeps the upstream status and message. */
export function upstreamHttpError(res: UpstreamResponse, text: string, target: string): UpstreamError {
  let message = text.trim() || `HTTP ${res.status}`;
  let type: string | undefined;
  let code: string | null = null;
  let param: string | null = null;
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const e = parsed.error;
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      if (typeof o.message === 'string') message = o.message;
      if (typeof o.type === 'string') type = o.type;
      if (typeof o.code === 'string' || typeof o.code === 'number') code = String(o.code);
      if (typeof o.param === 'string') param = o.param;
    } else if (typeof e === 'string') {
      message = e;
    } else if (typeof parsed.message === 'string') {
      message = parsed.message;
    }
  } catch {
    // not JSON: keep the text
  }
  return new UpstreamError({
    status: res.status,
    message,
    type,
    code,
    param,
    failure: 'http',
    target,
    retryAfterMs: retryAfterMs(res.headers),
  });
}

export class OpenAIProvider implements Provider {
  readonly type = 'openai';
  readonly id: string;
  private readonly agent;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly config: OpenAIProviderConfig) {
    this.id = config.id;
    this.agent = createAgent({ connections: config.connections });
    this.baseUrl = config.base_url.replace(/\/+$/, '');
    this.headers = { ...config.headers };
    if (config.api_key) this.headers.authorization = `Bearer ${config.api_key}`;
  }

  models(): string[] {
    return this.config.models;
  }

  private target(model: string): string {
    return `${this.id}/${model}`;
  }

  async chat(req: ChatRequest, call: ProviderCall): Promise<ChatResult> {
    const target = this.target(req.model);
    let body: ChatRequest = req;
    if (req.stream && this.config.stream_usage && !req.stream_options?.include_usage) {
      body = { ...req, stream_options: { ...(req.stream_options ?? {}), include_usage: true } };
    }
    const res = await postJson(this.agent, `${this.baseUrl}/chat/completions`, body, this.headers, call.signal, target);
    if (res.status >= 400) throw upstreamHttpError(res, await readText(res.body), target);
    const contentType = String(res.headers['content-type'] ?? '');
    if (!req.stream || !contentType.includes('text/event-stream')) {
      const response = await readJsonBody<ChatCompletion>(res, target, call.signal);
      if (req.stream) {
        // The upstream ignored `stream`: relay its whole answer as a one-chunk stream.
        return { kind: 'stream', chunks: completionAsChunks(response) };
      }
      return { kind: 'response', response };
    }
    return { kind: 'stream', chunks: this.relay(res, target, call.signal) };
  }

  private async *relay(res: UpstreamResponse, target: string, signal: AbortSignal): AsyncGenerator<ChatCompletionChunk> {
    try {
      for await (const msg of readSse(res.body)) {
        const data = msg.data;
        if (data === '[DONE]') return;
        if (!data) continue;
        let chunk: ChatCompletionChunk & { error?: unknown };
        try {
          chunk = JSON.parse(data);
        } catch {
          throw new UpstreamError({ status: 502, failure: 'stream', target, message: `${target} sent a stream event that is not JSON: ${data.slice(0, 200)}` });
        }
        if (chunk.error !== undefined || msg.event === 'error') {
          const e = (chunk.error ?? chunk) as { message?: string; type?: string; code?: string };
          throw new UpstreamError({
            status: 502,
            failure: 'stream',
            target,
            type: e.type,
            code: e.code ?? null,
            message: e.message ?? `${target} sent an error event: ${data.slice(0, 200)}`,
          });
        }
        yield chunk;
      }
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if (signal.aborted) throw abortReason(signal, err);
      throw new UpstreamError({ status: 502, failure: 'stream', target, message: `stream from ${target} broke: ${(err as Error).message}`, cause: err });
    } finally {
      res.body.destroy();
    }
  }

  async embeddings(req: EmbeddingsRequest, call: ProviderCall): Promise<EmbeddingsResponse> {
    const target = this.target(req.model);
    const res = await postJson(this.agent, `${this.baseUrl}/embeddings`, req, this.headers, call.signal, target);
    if (res.status >= 400) throw upstreamHttpError(res, await readText(res.body), target);
    return readJsonBody<EmbeddingsResponse>(res, target, call.signal);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export const openaiProvider: ProviderModule<typeof openaiConfigSchema> = {
  type: 'openai',
  configSchema: openaiConfigSchema,
  create: (config) => new OpenAIProvider(config),
};
