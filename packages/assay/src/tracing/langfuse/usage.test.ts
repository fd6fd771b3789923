import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatUsage, mergeUsage, providerCost, tokenColumns } from './usage.js';

test('legacy usage {input, output, total} and OpenAI camelCase become token columns', () => {
  assert.deepEqual(tokenColumns(flatUsage({ input: 10, output: 5, total: 15 }, undefined)), {
    input_tokens: 10, output_tokens: 5, total_tokens: 15, cached_input_tokens: null, reasoning_tokens: null,
  });
  assert.deepEqual(flatUsage({ promptTokens: 7, completionTokens: 3, totalTokens: 10 }, undefined), { input: 7, output: 3, total: 10 });
  assert.equal(tokenColumns(flatUsage({ promptTokens: 7, completionTokens: 3 }, undefined)).total_tokens, 10);
});

test('OpenAI snake_case usage with details: cached and reasoning split out, columns count all input/output', () => {
  const flat = flatUsage(undefined, {
    prompt_tokens: 100,
    completion_tokens: 50,
    total_tokens: 150,
    prompt_tokens_details: { cached_tokens: 80 },
    completion_tokens_details: { reasoning_tokens: 20 },
  });
  assert.deepEqual(flat, { input: 20, output: 30, total: 150, input_cached_tokens: 80, output_reasoning_tokens: 20 });
  assert.deepEqual(tokenColumns(flat), {
    input_tokens: 100, output_tokens: 50, total_tokens: 150, cached_input_tokens: 80, reasoning_tokens: 20,
  });
  // the same shape sent in the deprecated `usage` field
  assert.equal(tokenColumns(flatUsage({ prompt_tokens: 100, completion_tokens: 50 }, undefined)).input_tokens, 100);
});

test('OpenAI Responses usage and Anthropic-style usageDetails', () => {
  const r = tokenColumns(flatUsage(undefined, { input_tokens: 40, output_tokens: 10, total_tokens: 50, input_tokens_details: { cached_tokens: 30 } }));
  assert.equal(r.input_tokens, 40);
  assert.equal(r.cached_input_tokens, 30);
  const a = tokenColumns(flatUsage(undefined, { input: 5, output: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 }));
  assert.deepEqual(a, { input_tokens: 125, output_tokens: 7, total_tokens: 132, cached_input_tokens: 100, reasoning_tokens: null });
});

test('usageDetails wins over usage; non-token units set no token columns', () => {
  assert.deepEqual(flatUsage({ input: 1 }, { input: 2 }), { input: 2 });
  const chars = flatUsage({ input: 300, output: 100, unit: 'CHARACTERS' }, undefined);
  assert.equal(chars?.unit, 'CHARACTERS');
  assert.equal(tokenColumns(chars).input_tokens, null);
  assert.equal(flatUsage({}, undefined), null);
});

test('provider cost from costDetails or usage.*Cost', () => {
  assert.deepEqual(providerCost(undefined, { input: 0.001, output: 0.002 }), {
    cost: 0.003, cost_details: { input: 0.001, output: 0.002, total: 0.003, source: 'provider' },
  });
  assert.equal(providerCost({ inputCost: 1, outputCost: 2, totalCost: 4 }, undefined)?.cost, 4);
  assert.equal(providerCost({ input: 3 }, undefined), null);
});

test('merged usage: keys overwrite and a stale total is dropped', () => {
  const m = mergeUsage({ input: 10, output: 5, total: 15 }, { output: 20 });
  assert.deepEqual(m, { input: 10, output: 20 });
  assert.equal(tokenColumns(m).total_tokens, 30);
});
