/**
 * Langfuse usage and cost → Assay's token columns, `usage` JSON and provider cost.
 *
 * Every accepted shape is first normalized to Langfuse's flat usage map (`input`, `output`, `total`,
 * plus detail keys such as `input_cached_tokens`, `cache_read_input_tokens`, `output_reasoning_tokens`),
 * the way Langfuse itself normalizes OpenAI usage: detail counts are split out of `input`/`output`.
 * The token columns follow Assay's (OpenAI) convention instead: input_tokens counts all input
 * (cached included), output_tokens all output (reasoning included).
 */
import type { LangfuseUsage, LangfuseUsageDetails } from './schemas.js';

/** Langfuse's flat usage map: counts by key, and the unit when it is not TOKENS. */
export type FlatUsage = Record<string, number | string>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function sumValues(details: unknown): number {
  if (!details || typeof details !== 'object') return 0;
  let s = 0;
  for (const v of Object.values(details)) s += num(v) ?? 0;
  return s;
}

/** OpenAI usage with nested details → flat keys (`prompt_tokens_details.cached_tokens` → `input_cached_tokens`). */
function fromOpenAI(
  u: Record<string, unknown>,
  inKey: string,
  outKey: string,
  inDetails: string,
  outDetails: string,
): FlatUsage {
  const out: FlatUsage = {};
  const input = num(u[inKey]);
  const output = num(u[outKey]);
  const total = num(u.total_tokens);
  if (input !== undefined) out.input = Math.max(0, input - sumValues(u[inDetails]));
  if (output !== undefined) out.output = Math.max(0, output - sumValues(u[outDetails]));
  if (total !== undefined) out.total = total;
  for (const [detailsKey, prefix] of [[inDetails, 'input_'], [outDetails, 'output_']] as const) {
    const d = u[detailsKey];
    if (d && typeof d === 'object') for (const [k, v] of Object.entries(d)) if (num(v) !== undefined) out[prefix + k] = v as number;
  }
  return out;
}

function fromDetails(d: LangfuseUsageDetails): FlatUsage {
  const u = d as Record<string, unknown>;
  if (num(u.prompt_tokens) !== undefined || num(u.completion_tokens) !== undefined) {
    return fromOpenAI(u, 'prompt_tokens', 'completion_tokens', 'prompt_tokens_details', 'completion_tokens_details');
  }
  if (num(u.input_tokens) !== undefined || num(u.output_tokens) !== undefined) {
    return fromOpenAI(u, 'input_tokens', 'output_tokens', 'input_tokens_details', 'output_tokens_details');
  }
  const out: FlatUsage = {};
  for (const [k, v] of Object.entries(u)) if (num(v) !== undefined) out[k] = v as number;
  return out;
}

function fromLegacy(u: LangfuseUsage): FlatUsage {
  if (u.prompt_tokens !== undefined || u.completion_tokens !== undefined) {
    return fromOpenAI(u as Record<string, unknown>, 'prompt_tokens', 'completion_tokens', 'prompt_tokens_details', 'completion_tokens_details');
  }
  const out: FlatUsage = {};
  const input = u.input ?? u.promptTokens;
  const output = u.output ?? u.completionTokens;
  const total = u.total ?? u.totalTokens ?? u.total_tokens;
  if (input !== undefined) out.input = input;
  if (output !== undefined) out.output = output;
  if (total !== undefined) out.total = total;
  if (u.unit && u.unit !== 'TOKENS') out.unit = u.unit;
  return out;
}

/** The flat usage of an event (usageDetails wins over the deprecated usage), or null when it sent none. */
export function flatUsage(usage: LangfuseUsage | undefined, usageDetails: LangfuseUsageDetails | undefined): FlatUsage | null {
  const flat = usageDetails ? fromDetails(usageDetails) : usage ? fromLegacy(usage) : null;
  return flat && Object.keys(flat).length > 0 ? flat : null;
}

/** A cost the SDK reported: costDetails, else usage.{input,output,total}Cost. */
export function providerCost(
  usage: LangfuseUsage | undefined,
  costDetails: Record<string, number | null> | undefined,
): { cost: number; cost_details: Record<string, unknown> } | null {
  const parts: Record<string, number> = {};
  if (costDetails) {
    for (const [k, v] of Object.entries(costDetails)) if (num(v) !== undefined) parts[k] = v as number;
  } else if (usage) {
    if (usage.inputCost !== undefined) parts.input = usage.inputCost;
    if (usage.outputCost !== undefined) parts.output = usage.outputCost;
    if (usage.totalCost !== undefined) parts.total = usage.totalCost;
  }
  if (Object.keys(parts).length === 0) return null;
  const total = parts.total ?? Object.values(parts).reduce((a, b) => a + b, 0);
  return { cost: total, cost_details: { ...parts, total, source: 'provider' } };
}

const CACHED_KEYS = new Set(['input_cached_tokens', 'input_cache_read', 'input_cached', 'cache_read_input_tokens', 'input_cache_read_tokens']);
const REASONING_KEYS = new Set(['output_reasoning_tokens', 'output_reasoning']);
const isInputKey = (k: string) => k === 'input' || k.startsWith('input_') || k === 'cache_read_input_tokens' || k === 'cache_creation_input_tokens';
const isOutputKey = (k: string) => k === 'output' || k.startsWith('output_');

export interface TokenColumns {
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  cached_input_tokens: number | null;
  reasoning_tokens: number | null;
}

/** Token columns from a flat usage map; all null when the unit is not tokens (characters, images …). */
export function tokenColumns(flat: FlatUsage | null): TokenColumns {
  const none = { input_tokens: null, output_tokens: null, total_tokens: null, cached_input_tokens: null, reasoning_tokens: null };
  if (!flat || (typeof flat.unit === 'string' && flat.unit !== 'TOKENS')) return none;
  let input: number | null = null;
  let output: number | null = null;
  let cached: number | null = null;
  let reasoning: number | null = null;
  for (const [k, v] of Object.entries(flat)) {
    if (typeof v !== 'number') continue;
    if (isInputKey(k)) input = (input ?? 0) + v;
    if (isOutputKey(k)) output = (output ?? 0) + v;
    if (CACHED_KEYS.has(k)) cached = (cached ?? 0) + v;
    if (REASONING_KEYS.has(k)) reasoning = (reasoning ?? 0) + v;
  }
  const total = num(flat.total) ?? (input !== null || output !== null ? (input ?? 0) + (output ?? 0) : null);
  return { input_tokens: input, output_tokens: output, total_tokens: total, cached_input_tokens: cached, reasoning_tokens: reasoning };
}

/** Usage of an update merged over the stored usage: keys overwrite; a stale total is dropped unless resent. */
export function mergeUsage(stored: Record<string, unknown> | null, update: FlatUsage): FlatUsage {
  const merged: FlatUsage = {};
  for (const [k, v] of Object.entries(stored ?? {})) if (typeof v === 'number' || typeof v === 'string') merged[k] = v;
  if (!('total' in update)) delete merged.total;
  return { ...merged, ...update };
}
