import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamError } from '../../errors.js';
import type { ChatCompletionChunk } from '../../gateway/types.js';
import { translateStream, type SseMessage } from './stream.js';
import type { JsonMode } from './translate-request.js';

async function* sse(events: object[]): AsyncGenerator<SseMessage> {
  for (const e of events) yield { event: (e as { type: string }).type, data: JSON.stringify(e) };
}

async function collect(events: object[], jsonMode: JsonMode | null = null): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of translateStream(sse(events), { target: 'a/claude', jsonMode, created: 1700000000 })) out.push(c);
  return out;
}

const start = {
  type: 'message_start',
  message: {
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, stop_sequence: null,
    usage: { input_tokens: 25, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 1 },
  },
};
const end = (stop: string) => [
  { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 15 } },
  { type: 'message_stop' },
];
const base = { id: 'msg_1', object: 'chat.completion.chunk', created: 1700000000, model: 'claude-x' };
const delta = (d: object, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta: d, finish_reason: finish }] });
const usageChunk = {
  ...base,
  choices: [],
  usage: { prompt_tokens: 33, completion_tokens: 15, total_tokens: 48, prompt_tokens_details: { cached_tokens: 5, cache_creation_tokens: 3 } },
};

test('text stream: role chunk, deltas, closing chunk, usage chunk', async () => {
  const chunks = await collect([
    start,
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '!' } },
    { type: 'content_block_stop', index: 0 },
    ...end('end_turn'),
  ]);
  assert.deepEqual(chunks, [
    delta({ role: 'assistant', content: '' }),
    delta({ content: 'Hello' }),
    delta({ content: '!' }),
    delta({}, 'stop'),
    usageChunk,
  ]);
});

test('thinking and tool_use blocks: reasoning_content and tool-call deltas indexed from 0', async () => {
  const chunks = await collect([
    start,
    { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Need weather.' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Checking.' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: {} } },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city": ' } },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } },
    { type: 'content_block_stop', index: 2 },
    { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_b', name: 'now', input: {} } },
    { type: 'content_block_stop', index: 3 },
    ...end('tool_use'),
  ]);
  assert.deepEqual(chunks, [
    delta({ role: 'assistant', content: '' }),
    delta({ reasoning_content: 'Need weather.' }),
    delta({ content: 'Checking.' }),
    delta({ tool_calls: [{ index: 0, id: 'toolu_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
    delta({ tool_calls: [{ index: 0, function: { arguments: '{"city": ' } }] }),
    delta({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
    delta({ tool_calls: [{ index: 1, id: 'toolu_b', type: 'function', function: { name: 'now', arguments: '' } }] }),
    delta({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
    delta({}, 'tool_calls'),
    usageChunk,
  ]);
});

test('response_format tool streams as content and finishes with stop', async () => {
  const toolEvents = (name: string, parts: string[]) => [
    start,
    { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_j', name, input: {} } },
    ...parts.map((p) => ({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: p } })),
    { type: 'content_block_stop', index: 0 },
    ...end('tool_use'),
  ];
  const plain = await collect(toolEvents('answer', ['{"answer"', ': 42}']), { toolName: 'answer', wrapped: false });
  assert.deepEqual(plain, [
    delta({ role: 'assistant', content: '' }),
    delta({ content: '{"answer"' }),
    delta({ content: ': 42}' }),
    delta({}, 'stop'),
    usageChunk,
  ]);
  const wrapped = await collect(toolEvents('list', ['{"value": ["a",', ' "b"]}']), { toolName: 'list', wrapped: true });
  assert.deepEqual(wrapped.slice(1, 3), [delta({ content: '["a","b"]' }), delta({}, 'stop')]);
});

test('max_tokens and refusal map to length and content_filter', async () => {
  const length = await collect([start, ...end('max_tokens')]);
  assert.deepEqual(length[1], delta({}, 'length'));
  const refusal = await collect([start, ...end('refusal')]);
  assert.deepEqual(refusal[1], delta({}, 'content_filter'));
});

test('an error event mid-stream throws UpstreamError failure stream', async () => {
  const got: ChatCompletionChunk[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of translateStream(sse([
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
        { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      ]), { target: 'a/claude', jsonMode: null })) got.push(c);
    })(),
    (err: unknown) => {
      assert.ok(err instanceof UpstreamError);
      assert.equal(err.failure, 'stream');
      assert.equal(err.message, 'Overloaded');
      assert.equal(err.type, 'overloaded_error');
      assert.equal(err.retryable, false);
      return true;
    },
  );
  assert.equal(got.length, 2);
});

test('an error event before message_start keeps its HTTP meaning (retryable overload)', async () => {
  await assert.rejects(collect([{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]), (err: unknown) => {
    assert.ok(err instanceof UpstreamError);
    assert.equal(err.failure, 'http');
    assert.equal(err.status, 529);
    assert.equal(err.retryable, true);
    return true;
  });
});

test('a stream that stops before message_stop, or sends garbage, is a stream failure', async () => {
  await assert.rejects(collect([start, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }]), (err: unknown) => {
    assert.ok(err instanceof UpstreamError);
    assert.equal(err.failure, 'stream');
    assert.match(err.message, /ended before message_stop/);
    return true;
  });
  const garbage = async function* (): AsyncGenerator<SseMessage> {
    yield { event: 'message_start', data: '{not json' };
  };
  await assert.rejects(
    (async () => {
      for await (const _ of translateStream(garbage(), { target: 't', jsonMode: null })) void _;
    })(),
    /not JSON/,
  );
});
