import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anthropicHttpError } from './errors.js';
import { finishReason, fromAnthropicMessage, toUsage } from './translate-response.js';
import type { AnthropicMessage } from './wire.js';

const usage = { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 };
const msg = (over: Partial<AnthropicMessage>): AnthropicMessage => ({
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage,
  ...over,
});

test('text, thinking and usage', () => {
  const c = fromAnthropicMessage(msg({
    content: [
      { type: 'thinking', thinking: 'Hmm.', signature: 'sig' },
      { type: 'redacted_thinking', data: 'xx' },
      { type: 'text', text: 'Hello ', citations: null },
      { type: 'text', text: 'world' },
    ],
  }), null, 1700000000);
  assert.deepEqual(c, {
    id: 'msg_01',
    object: 'chat.completion',
    created: 1700000000,
    model: 'claude-sonnet-4-5',
    choices: [{
      index: 0,
      message: { role: 'assistant', content: 'Hello world', refusal: null, reasoning_content: 'Hmm.' },
      finish_reason: 'stop',
      logprobs: null,
    }],
    usage: {
      prompt_tokens: 130,
      completion_tokens: 5,
      total_tokens: 135,
      prompt_tokens_details: { cached_tokens: 100, cache_creation_tokens: 20 },
    },
  });
});

test('tool_use blocks become tool_calls', () => {
  const c = fromAnthropicMessage(msg({
    stop_reason: 'tool_use',
    content: [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_2', name: 'now', input: {} },
    ],
  }), null, 1);
  assert.deepEqual(c.choices[0], {
    index: 0,
    message: {
      role: 'assistant',
      content: 'Let me check.',
      refusal: null,
      tool_calls: [
        { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'toolu_2', type: 'function', function: { name: 'now', arguments: '{}' } },
      ],
    },
    finish_reason: 'tool_calls',
    logprobs: null,
  });
  const only = fromAnthropicMessage(msg({ stop_reason: 'tool_use', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }), null, 1);
  assert.equal(only.choices[0].message.content, null);
});

test('the response_format tool becomes JSON content with finish_reason stop', () => {
  const c = fromAnthropicMessage(msg({
    stop_reason: 'tool_use',
    content: [{ type: 'tool_use', id: 'toolu_1', name: 'math_answer', input: { answer: 42 } }],
  }), { toolName: 'math_answer', wrapped: false }, 1);
  assert.deepEqual(c.choices[0].message, { role: 'assistant', content: '{"answer":42}', refusal: null });
  assert.equal(c.choices[0].finish_reason, 'stop');

  const wrapped = fromAnthropicMessage(msg({
    stop_reason: 'tool_use',
    content: [{ type: 'tool_use', id: 'toolu_1', name: 'list', input: { value: ['a', 'b'] } }],
  }), { toolName: 'list', wrapped: true }, 1);
  assert.equal(wrapped.choices[0].message.content, '["a","b"]');

  // With user tools in play, a call of a user tool stays a tool call.
  const mixed = fromAnthropicMessage(msg({
    stop_reason: 'tool_use',
    content: [{ type: 'tool_use', id: 'toolu_9', name: 'f', input: { x: 1 } }],
  }), { toolName: 'math_answer', wrapped: false }, 1);
  assert.equal(mixed.choices[0].finish_reason, 'tool_calls');
  assert.equal(mixed.choices[0].message.tool_calls?.[0].function.name, 'f');
});

test('stop reasons', () => {
  assert.equal(finishReason('end_turn'), 'stop');
  assert.equal(finishReason('stop_sequence'), 'stop');
  assert.equal(finishReason('max_tokens'), 'length');
  assert.equal(finishReason('model_context_window_exceeded'), 'length');
  assert.equal(finishReason('tool_use'), 'tool_calls');
  assert.equal(finishReason('refusal'), 'content_filter');
  assert.equal(finishReason('pause_turn'), 'stop');
  const refused = fromAnthropicMessage(msg({ stop_reason: 'refusal', stop_details: { type: 'refusal', category: 'cyber', explanation: 'Not allowed.' }, content: [] }), null, 1);
  assert.deepEqual(refused.choices[0].message, { role: 'assistant', content: '', refusal: 'Not allowed.' });
  assert.equal(refused.choices[0].finish_reason, 'content_filter');
});

test('usage without cache fields', () => {
  assert.deepEqual(toUsage({ input_tokens: 7, output_tokens: 3 }), {
    prompt_tokens: 7,
    completion_tokens: 3,
    total_tokens: 10,
    prompt_tokens_details: { cached_tokens: 0 },
  });
  assert.deepEqual(toUsage({ input_tokens: 7, output_tokens: 3, cache_read_input_tokens: null, output_tokens_details: { thinking_tokens: 2 } }).completion_tokens_details, { reasoning_tokens: 2 });
});

test('error bodies keep status, type, message and retry hints; 529 is retryable', () => {
  const overloaded = anthropicHttpError(
    { status: 529, headers: { 'retry-after': '3' } },
    JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_1' }),
    'anthropic/claude',
  );
  assert.equal(overloaded.status, 529);
  assert.equal(overloaded.type, 'overloaded_error');
  assert.equal(overloaded.message, 'Overloaded');
  assert.equal(overloaded.failure, 'http');
  assert.equal(overloaded.retryAfterMs, 3000);
  assert.equal(overloaded.retryable, true);

  const invalid = anthropicHttpError({ status: 400, headers: {} }, JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } }), 't');
  assert.equal(invalid.message, 'max_tokens: Field required');
  assert.equal(invalid.type, 'invalid_request_error');
  assert.equal(invalid.retryable, false);

  const html = anthropicHttpError({ status: 502, headers: {} }, '<html>bad gateway</html>', 't');
  assert.equal(html.message, '<html>bad gateway</html>');
  assert.equal(html.retryable, true);
});
