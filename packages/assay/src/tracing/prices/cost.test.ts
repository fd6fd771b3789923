import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyObservation } from '../span.js';
import { PriceBook } from './book.js';
import { BUILTIN_PRICE_VERSION } from './builtin.js';
import { computeCost } from './cost.js';
import type { PriceEntry } from './types.js';

const entry: PriceEntry = {
  model: 'm',
  match: '^m$',
  input: 2,
  cached_input: 0.5,
  cache_write: 2.5,
  output: 8,
  reasoning: 10,
  tiers: [{ above_input_tokens: 1000, input: 4, output: 16 }],
};
const t = (over: Partial<Parameters<typeof computeCost>[1]>) => ({ input: 0, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0, ...over });

test('each token kind is priced once: cached and cache-write out of input, reasoning out of output', () => {
  const c = computeCost(entry, t({ input: 1000, cachedInput: 400, cacheWrite: 100, output: 500, reasoning: 200 }));
  assert.equal(c.input, (500 * 2) / 1e6);
  assert.equal(c.cached_input, (400 * 0.5) / 1e6);
  assert.equal(c.cache_write, (100 * 2.5) / 1e6);
  assert.equal(c.output, (300 * 8) / 1e6);
  assert.equal(c.reasoning, (200 * 10) / 1e6);
  assert.equal(c.total, 0.001 + 0.0002 + 0.00025 + 0.0024 + 0.002);
  assert.equal(c.tier_above_input_tokens, undefined);
});

test('a tier applies above its input threshold; missing tier prices fall back within the tier', () => {
  const c = computeCost(entry, t({ input: 1001, cachedInput: 1, output: 10 }));
  assert.equal(c.tier_above_input_tokens, 1000);
  assert.equal(c.input, (1000 * 4) / 1e6);
  assert.equal(c.cached_input, (1 * 4) / 1e6); // the tier has no cached price: its input price
  assert.equal(c.output, (10 * 16) / 1e6);
});

test('built-in table: dated ids, provider prefixes, specific before prefix', () => {
  const book = new PriceBook(null);
  assert.equal(book.find('gpt-4o-mini-2024-07-18')?.model, 'gpt-4o-mini');
  assert.equal(book.find('gpt-4o')?.model, 'gpt-4o');
  assert.equal(book.find('openai/gpt-4o-mini')?.model, 'gpt-4o-mini');
  assert.equal(book.find('up/claude-sonnet-4-5-20250929')?.model, 'claude-sonnet-4-5');
  assert.equal(book.find('llama-from-nowhere'), null);
  assert.equal(book.current().version, BUILTIN_PRICE_VERSION);
});

test('price(): computed cost with version; provider-reported cost wins; no model or tokens → unpriced', () => {
  const book = new PriceBook(null);
  const o = emptyObservation({ trace_id: 't', type: 'generation', name: 'x', model: 'gpt-4o-mini', input_tokens: 1_000_000, output_tokens: 1_000_000 });
  book.price(o);
  assert.equal(o.cost, 0.75);
  assert.equal(o.price_version, BUILTIN_PRICE_VERSION);
  assert.equal(o.cost_details?.source, 'computed');

  const r = emptyObservation({ trace_id: 't', type: 'generation', name: 'x', model: 'gpt-4o-mini', input_tokens: 10, usage: { cost: 0.5 } });
  book.price(r);
  assert.equal(r.cost, 0.5);
  assert.equal(r.price_version, null);
  assert.equal(r.cost_details?.source, 'provider');

  const given = emptyObservation({ trace_id: 't', type: 'generation', name: 'x', model: 'gpt-4o-mini', input_tokens: 10, cost: 0.25 });
  book.price(given);
  assert.equal(given.cost, 0.25);

  const none = emptyObservation({ trace_id: 't', type: 'span', name: 'x', model: 'gpt-4o-mini' });
  book.price(none);
  assert.equal(none.cost, null);
});
