/**
 * /v1/embeddings on a local model: text or token-id inputs, one vector each from the model's
 * embedding context, as floats or base64 (little-endian float32 bytes, as OpenAI sends them).
 */
import type { LlamaEmbeddingContext, Token } from 'node-llama-cpp';
import { badRequest } from '../../errors.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../gateway/types.js';
import { signalReason } from './queue.js';

type Input = string | number[];

function inputs(input: EmbeddingsRequest['input']): Input[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) throw badRequest('input must be a non-empty string or array', 'input');
  if (input.every((x) => typeof x === 'number')) return [input as number[]];
  if (input.every((x) => typeof x === 'string' || Array.isArray(x))) return input as Input[];
  throw badRequest('input must be a string, an array of strings, an array of token ids or an array of token id arrays', 'input');
}

export function toBase64(vector: readonly number[]): string {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

export async function embed(ctx: LlamaEmbeddingContext, req: EmbeddingsRequest, signal: AbortSignal): Promise<EmbeddingsResponse> {
  const format = req.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw badRequest('encoding_format must be "float" or "base64"', 'encoding_format');
  const model = ctx.model;
  if (req.dimensions != null && req.dimensions !== model.embeddingVectorSize) {
    throw badRequest(`this model's embeddings have ${model.embeddingVectorSize} dimensions; dimensions cannot change that`, 'dimensions');
  }
  const vocab = model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length ?? 0;
  const list = inputs(req.input);
  const tokenLists = list.map((item, i) => {
    const param = Array.isArray(req.input) && typeof req.input[0] !== 'number' ? `input[${i}]` : 'input';
    let tokens: Token[];
    if (typeof item === 'string') {
      tokens = model.tokenize(item);
    } else {
      if (!item.every((t) => Number.isInteger(t) && t >= 0 && t < vocab)) {
        throw badRequest(`token ids must be integers from 0 to ${vocab - 1} for this model`, param);
      }
      tokens = item as Token[];
    }
    if (tokens.length === 0) throw badRequest('input must not be empty', param);
    return { tokens, param };
  });
  const data: EmbeddingsResponse['data'] = [];
  let total = 0;
  for (const [index, { tokens, param }] of tokenLists.entries()) {
    if (signal.aborted) throw signalReason(signal);
    let vector: readonly number[];
    try {
      vector = (await ctx.getEmbeddingFor(tokens)).vector;
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (/too long|context size|exceeds/i.test(message)) throw badRequest(`input is too long for this model: ${message}`, param);
      throw err;
    }
    total += tokens.length;
    data.push({ object: 'embedding', index, embedding: format === 'base64' ? toBase64(vector) : Array.from(vector) });
  }
  return { object: 'list', data, model: req.model, usage: { prompt_tokens: total, total_tokens: total } };
}
