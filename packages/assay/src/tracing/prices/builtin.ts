/**
 * The price table shipped with Assay: USD per million tokens as published by each provider on their
 * pricing pages (checked for this version). Edit or override entries through `/api/prices`; a
 * custom entry with the same `model` replaces a built-in one. Order matters: the first match wins,
 * so specific ids come before their prefixes.
 */
import type { PriceEntry } from './types.js';

export const BUILTIN_PRICE_VERSION = 'builtin-2025-11';

const dated = (id: string) => `^${id.replace(/[.]/g, '\\.')}(-\\d{4}-\\d{2}-\\d{2}|-\\d{8}|-latest)?$`;

export const BUILTIN_PRICES: PriceEntry[] = [
  // OpenAI
  { model: 'gpt-5-nano', match: dated('gpt-5-nano'), provider: 'openai', input: 0.05, cached_input: 0.005, output: 0.4 },
  { model: 'gpt-5-mini', match: dated('gpt-5-mini'), provider: 'openai', input: 0.25, cached_input: 0.025, output: 2 },
  { model: 'gpt-5', match: dated('gpt-5(-chat)?'), provider: 'openai', input: 1.25, cached_input: 0.125, output: 10 },
  { model: 'gpt-4.1-nano', match: dated('gpt-4.1-nano'), provider: 'openai', input: 0.1, cached_input: 0.025, output: 0.4 },
  { model: 'gpt-4.1-mini', match: dated('gpt-4.1-mini'), provider: 'openai', input: 0.4, cached_input: 0.1, output: 1.6 },
  { model: 'gpt-4.1', match: dated('gpt-4.1'), provider: 'openai', input: 2, cached_input: 0.5, output: 8 },
  { model: 'gpt-4o-mini', match: dated('gpt-4o-mini'), provider: 'openai', input: 0.15, cached_input: 0.075, output: 0.6 },
  { model: 'gpt-4o', match: dated('(chatgpt-)?gpt-4o'), provider: 'openai', input: 2.5, cached_input: 1.25, output: 10 },
  { model: 'gpt-4-turbo', match: dated('gpt-4-turbo(-preview)?'), provider: 'openai', input: 10, output: 30 },
  { model: 'gpt-3.5-turbo', match: '^gpt-3\\.5-turbo(-\\d{4})?$', provider: 'openai', input: 0.5, output: 1.5 },
  { model: 'o4-mini', match: dated('o4-mini'), provider: 'openai', input: 1.1, cached_input: 0.275, output: 4.4 },
  { model: 'o3-mini', match: dated('o3-mini'), provider: 'openai', input: 1.1, cached_input: 0.55, output: 4.4 },
  { model: 'o3', match: dated('o3'), provider: 'openai', input: 2, cached_input: 0.5, output: 8 },
  { model: 'o1-mini', match: dated('o1-mini'), provider: 'openai', input: 1.1, cached_input: 0.55, output: 4.4 },
  { model: 'o1', match: dated('o1'), provider: 'openai', input: 15, cached_input: 7.5, output: 60 },
  { model: 'text-embedding-3-small', match: '^text-embedding-3-small$', provider: 'openai', input: 0.02, output: 0 },
  { model: 'text-embedding-3-large', match: '^text-embedding-3-large$', provider: 'openai', input: 0.13, output: 0 },
  { model: 'text-embedding-ada-002', match: '^text-embedding-ada-002$', provider: 'openai', input: 0.1, output: 0 },
  // Anthropic (cache reads 0.1× input, 5-minute cache writes 1.25× input)
  { model: 'claude-opus-4-5', match: dated('claude-opus-4-5'), provider: 'anthropic', input: 5, cached_input: 0.5, cache_write: 6.25, output: 25 },
  { model: 'claude-opus-4-1', match: dated('claude-opus-4-1'), provider: 'anthropic', input: 15, cached_input: 1.5, cache_write: 18.75, output: 75 },
  { model: 'claude-opus-4', match: dated('claude-opus-4(-0)?'), provider: 'anthropic', input: 15, cached_input: 1.5, cache_write: 18.75, output: 75 },
  {
    model: 'claude-sonnet-4-5',
    match: dated('claude-sonnet-4-5'),
    provider: 'anthropic',
    input: 3, cached_input: 0.3, cache_write: 3.75, output: 15,
    tiers: [{ above_input_tokens: 200_000, input: 6, cached_input: 0.6, cache_write: 7.5, output: 22.5 }],
  },
  {
    model: 'claude-sonnet-4',
    match: dated('claude-sonnet-4(-0)?'),
    provider: 'anthropic',
    input: 3, cached_input: 0.3, cache_write: 3.75, output: 15,
    tiers: [{ above_input_tokens: 200_000, input: 6, cached_input: 0.6, cache_write: 7.5, output: 22.5 }],
  },
  { model: 'claude-3-7-sonnet', match: dated('claude-3-7-sonnet'), provider: 'anthropic', input: 3, cached_input: 0.3, cache_write: 3.75, output: 15 },
  { model: 'claude-3-5-sonnet', match: dated('claude-3-5-sonnet'), provider: 'anthropic', input: 3, cached_input: 0.3, cache_write: 3.75, output: 15 },
  { model: 'claude-haiku-4-5', match: dated('claude-haiku-4-5'), provider: 'anthropic', input: 1, cached_input: 0.1, cache_write: 1.25, output: 5 },
  { model: 'claude-3-5-haiku', match: dated('claude-3-5-haiku'), provider: 'anthropic', input: 0.8, cached_input: 0.08, cache_write: 1, output: 4 },
  { model: 'claude-3-haiku', match: dated('claude-3-haiku'), provider: 'anthropic', input: 0.25, cached_input: 0.03, cache_write: 0.3, output: 1.25 },
  // Google Gemini (paid tier; 2.5 Pro doubles above 200k input tokens)
  {
    model: 'gemini-2.5-pro',
    match: '^gemini-2\\.5-pro(-preview.*|-\\d+)?$',
    provider: 'google',
    input: 1.25, cached_input: 0.31, output: 10,
    tiers: [{ above_input_tokens: 200_000, input: 2.5, cached_input: 0.625, output: 15 }],
  },
  { model: 'gemini-2.5-flash-lite', match: '^gemini-2\\.5-flash-lite(-preview.*|-\\d+)?$', provider: 'google', input: 0.1, cached_input: 0.025, output: 0.4 },
  { model: 'gemini-2.5-flash', match: '^gemini-2\\.5-flash(-preview.*|-\\d+)?$', provider: 'google', input: 0.3, cached_input: 0.075, output: 2.5 },
  { model: 'gemini-2.0-flash', match: '^gemini-2\\.0-flash(-\\d+)?$', provider: 'google', input: 0.1, cached_input: 0.025, output: 0.4 },
  // Mistral, DeepSeek
  { model: 'mistral-large', match: '^mistral-large(-latest|-\\d+)?$', provider: 'mistral', input: 2, output: 6 },
  { model: 'mistral-small', match: '^mistral-small(-latest|-\\d+)?$', provider: 'mistral', input: 0.1, output: 0.3 },
  { model: 'deepseek-chat', match: '^deepseek-chat$', provider: 'deepseek', input: 0.28, cached_input: 0.028, output: 0.42 },
  { model: 'deepseek-reasoner', match: '^deepseek-reasoner$', provider: 'deepseek', input: 0.28, cached_input: 0.028, output: 0.42 },
];
