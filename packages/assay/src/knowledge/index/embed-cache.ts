/**
 * Embeds chunk texts through the cache: texts whose (model, content hash) is cached are not sent
 * again, duplicates inside one call are embedded once, new vectors are stored.
 */
import { AssayError } from '../../errors.js';
import type { KnowledgeIndex } from './types.js';

export type EmbedFn = (texts: string[]) => Promise<ArrayLike<number>[]>;

export interface EmbedItem {
  contentHash: string;
  embedText: string;
}

export interface EmbedResult {
  /** One vector per item, in the items' order. */
  vectors: Float32Array[];
  /** Items served from the cache. */
  cached: number;
  /** Texts sent to the model. */
  embedded: number;
}

export async function embedWithCache(
  index: Pick<KnowledgeIndex, 'cachedEmbeddings' | 'storeEmbeddings'>,
  model: string,
  items: EmbedItem[],
  embed: EmbedFn,
  opts: { batchSize?: number } = {},
): Promise<EmbedResult> {
  const batchSize = opts.batchSize ?? 64;
  const found = await index.cachedEmbeddings(model, [...new Set(items.map((i) => i.contentHash))]);
  const missing = new Map<string, string>();
  for (const it of items) if (!found.has(it.contentHash) && !missing.has(it.contentHash)) missing.set(it.contentHash, it.embedText);
  const todo = [...missing];
  for (let i = 0; i < todo.length; i += batchSize) {
    const batch = todo.slice(i, i + batchSize);
    const vectors = await embed(batch.map(([, text]) => text));
    if (!Array.isArray(vectors) || vectors.length !== batch.length) {
      throw new AssayError({
        status: 502, type: 'upstream_error', code: 'embedding_count_mismatch',
        message: `embedding model ${model} returned ${Array.isArray(vectors) ? vectors.length : 'no'} vectors for ${batch.length} texts`,
      });
    }
    const entries = batch.map(([contentHash], j) => ({ contentHash, vector: vectors[j] }));
    await index.storeEmbeddings(model, entries);
    for (const e of entries) found.set(e.contentHash, Float32Array.from(e.vector));
  }
  const cachedHashes = new Set(items.map((i) => i.contentHash).filter((h) => !missing.has(h)));
  return {
    vectors: items.map((it) => found.get(it.contentHash) as Float32Array),
    cached: items.filter((it) => cachedHashes.has(it.contentHash)).length,
    embedded: todo.length,
  };
}
