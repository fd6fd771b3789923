import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkAccumulator } from './accumulate.js';
import { completionAsChunks } from './chunks.js';
import type { ChatCompletion, ChatCompletionChunk } from './types.js';

const base = { id: 'c1', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };

test('tool-call fragments accumulate by index; empty argument fragments are fine; tool calls win over "stop"', () => {
  const acc = new ChunkAccumulator();
  const chunks: ChatCompletionChunk[] = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '' } }] }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } },
  ];
  for (const c of chunks) acc.add(c);
  const r = acc.result();
  assert.equal(r.choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(r.choices[0].message.tool_calls, [
    { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
  ]);
  assert.equal(r.usage?.total_tokens, 5);
});

test('a completion turned into chunks folds back into the same completion', async () => {
  const c: ChatCompletion = {
    id: 'x', object: 'chat.completion', created: 2, model: 'm',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hello', reasoning_content: 'think' } }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  };
  const acc = new ChunkAccumulator();
  for await (const ch of completionAsChunks(c)) acc.add(ch);
  assert.deepEqual(acc.result(), c);
});
