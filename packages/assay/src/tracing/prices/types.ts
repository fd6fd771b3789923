/** A price entry: which models it covers and what a million tokens of each kind costs, in USD. */
import { z } from 'zod';
import { regexSource } from '../../config/regex.js';

const price = z.number().nonnegative();

export const tierSchema = z.strictObject({
  /** The tier applies when a call's input tokens exceed this many. */
  above_input_tokens: z.number().int().positive(),
  input: price,
  output: price,
  cached_input: price.optional(),
  cache_write: price.optional(),
  reasoning: price.optional(),
});

export const priceEntrySchema = z.strictObject({
  /** A name for the entry, unique in the table (usually the model id). */
  model: z.string().min(1).max(200),
  /** Regular expression (case-insensitive, anchored by you) matched against the model id. */
  match: regexSource('match'),
  provider: z.string().optional(),
  /** USD per million input tokens (uncached). */
  input: price,
  /** USD per million output tokens. */
  output: price,
  /** USD per million input tokens read from the provider's prompt cache; defaults to input. */
  cached_input: price.optional(),
  /** USD per million input tokens written to the prompt cache (Anthropic); defaults to input. */
  cache_write: price.optional(),
  /** USD per million reasoning tokens; defaults to output. */
  reasoning: price.optional(),
  /** Higher prices for long contexts, e.g. above 200k input tokens. */
  tiers: z.array(tierSchema).optional(),
});

export type PriceEntry = z.infer<typeof priceEntrySchema>;
export type PriceTier = z.infer<typeof tierSchema>;

export interface PriceTable {
  /** `<custom version>+<builtin version>`, or the builtin version alone when nothing was edited. */
  version: string;
  /** Custom entries first (they win), then the built-in ones. */
  entries: (PriceEntry & { source: 'custom' | 'builtin' })[];
}
