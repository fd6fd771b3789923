/**
 * Cost of one model call from its token counts and a price entry. Token semantics follow OpenAI's
 * usage: input tokens include cached ones, output tokens include reasoning ones, so each kind is
 * priced once. Prices are per million tokens.
 */
import type { PriceEntry } from './types.js';

export interface TokenCounts {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  reasoning: number;
}

export interface CostBreakdown {
  input: number;
  cached_input: number;
  cache_write: number;
  output: number;
  reasoning: number;
  total: number;
  /** The tier used, when the entry has tiers and the call crossed one. */
  tier_above_input_tokens?: number;
}

const M = 1_000_000;
/** Sub-micro-dollar rounding keeps sums stable without losing cents. */
const round = (v: number) => Math.round(v * 1e10) / 1e10;

export function computeCost(entry: PriceEntry, t: TokenCounts): CostBreakdown {
  const tier = (entry.tiers ?? [])
    .filter((x) => t.input > x.above_input_tokens)
    .sort((a, b) => b.above_input_tokens - a.above_input_tokens)[0];
  const p = tier ?? entry;
  const cached = Math.min(t.cachedInput, t.input);
  const cacheWrite = Math.min(t.cacheWrite, t.input - cached);
  const plainInput = t.input - cached - cacheWrite;
  const reasoning = Math.min(t.reasoning, t.output);
  const parts = {
    input: round((plainInput * p.input) / M),
    cached_input: round((cached * (p.cached_input ?? p.input)) / M),
    cache_write: round((cacheWrite * (p.cache_write ?? p.input)) / M),
    output: round(((t.output - reasoning) * p.output) / M),
    reasoning: round((reasoning * (p.reasoning ?? p.output)) / M),
  };
  const total = round(parts.input + parts.cached_input + parts.cache_write + parts.output + parts.reasoning);
  return { ...parts, total, ...(tier ? { tier_above_input_tokens: tier.above_input_tokens } : {}) };
}
