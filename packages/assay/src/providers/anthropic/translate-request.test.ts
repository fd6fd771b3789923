import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../../errors.js';
import type { ChatRequest } from '../../gateway/types.js';
import { JSON_OBJECT_TOOL, toAnthropicRequest } from './translate-request.js';

const opts = { defaultMaxTokens: 4096 };
const tr = (req: Partial<ChatRequest>) => toAnthropicRequest({ model: 'claude-x', messages: [{ role: 'user', content: 'hi' }], ...req } as ChatRequest, opts);

function rejects(req: Partial<ChatRequest>, param: string, pattern: RegExp) {
  assert.throws(() => tr(req), (err: unknown) => {
    assert.ok(err instanceof AssayError, `expected AssayError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.param, param);
    assert.match(err.message, pattern);
    return true;
  });
}

test('minimal request: default max_tokens, string content, nothing else', () => {
  const { body, jsonMode, dropped } = tr({});
  assert.deepEqual(body, { model: 'claude-x', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4096 });
  assert.equal(jsonMode, null);
  assert.deepEqual(dropped, []);
});

test('system and developer messages are hoisted to the top-level system', () => {
  assert.equal(tr({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] }).body.system, 'Be brief.');
  const { body } = tr({
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
      { role: 'developer', content: [{ type: 'text', text: 'Use French.' }] },
      { role: 'assistant', content: 'Salut' },
      { role: 'user', content: 'ok' },
    ],
  });
  assert.deepEqual(body.system, [
    { type: 'text', text: 'Be brief.' },
    { type: 'text', text: 'Use French.' },
  ]);
  assert.deepEqual(body.messages, [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'Salut' },
    { role: 'user', content: 'ok' },
  ]);
});

test('sampling fields, stop, max tokens, user and stream are mapped', () => {
  const { body } = tr({ temperature: 0.2, top_p: 0.9, stop: 'END', max_tokens: 50, user: 'u-1', stream: true, stream_options: { include_usage: true } });
  assert.deepEqual(body, {
    model: 'claude-x',
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 50,
    temperature: 0.2,
    top_p: 0.9,
    stop_sequences: ['END'],
    metadata: { user_id: 'u-1' },
    stream: true,
  });
  assert.equal(tr({ max_tokens: 50, max_completion_tokens: 70 }).body.max_tokens, 70);
  assert.deepEqual(tr({ stop: ['a', 'b'] }).body.stop_sequences, ['a', 'b']);
  assert.equal('stop_sequences' in tr({ stop: null }).body, false);
});

test('user content parts: text, data-URL image, http image, PDF file', () => {
  const { body } = tr({
    messages: [{
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
      ],
    }],
  });
  assert.deepEqual(body.messages, [{
    role: 'user',
    content: [
      { type: 'text', text: 'What is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'a.pdf' },
    ],
  }]);
});

test('images Anthropic cannot take are rejected with the part named', () => {
  rejects({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AAA=' } }] }] }, 'messages[0].content[0]', /image\/bmp/);
  rejects({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }, 'messages[0].content[0]', /http\(s\) URL or a base64 data URL/);
  rejects({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }, 'messages[0].content[0]', /input_audio/);
});

test('tool round trip: tool_calls → tool_use, tool messages → one user turn of tool_results', () => {
  const { body } = tr({
    tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true } }],
    messages: [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call.2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      { role: 'tool', tool_call_id: 'call.2', content: [{ type: 'text', text: '22C' }] },
      { role: 'user', content: 'Thanks, and which is warmer?' },
    ],
  });
  assert.deepEqual(body.tools, [{
    name: 'get_weather',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    description: 'Weather for a city',
  }]);
  assert.equal(body.tool_choice, undefined);
  assert.deepEqual(body.messages, [
    { role: 'user', content: 'Weather in Paris and Rome?' },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'call_1', content: '18C' },
        { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '22C' }] },
        { type: 'text', text: 'Thanks, and which is warmer?' },
      ],
    },
  ]);
});

test('consecutive same-role messages are merged; empty text is skipped', () => {
  const { body } = tr({
    messages: [
      { role: 'user', content: 'one' },
      { role: 'user', content: [{ type: 'text', text: 'two' }, { type: 'text', text: '' }] },
      { role: 'assistant', content: '' , tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '' } }] },
      { role: 'assistant', content: 'more' },
    ],
    tools: [{ type: 'function', function: { name: 'f' } }],
  });
  assert.deepEqual(body.messages, [
    { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'f', input: {} }, { type: 'text', text: 'more' }] },
  ]);
  assert.deepEqual(body.tools, [{ name: 'f', input_schema: { type: 'object', properties: {} } }]);
});

test('invalid tool-call arguments are a 400 naming the message', () => {
  rejects({
    messages: [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":' } }] },
    ],
    tools: [{ type: 'function', function: { name: 'f' } }],
  }, 'messages[1].tool_calls[0].function.arguments', /messages\[1\]\.tool_calls\[0\].*'f'.*not valid JSON/);
  rejects({
    messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '[1]' } }] }],
  }, 'messages[1].tool_calls[0].function.arguments', /JSON object/);
});

test('tool_choice and parallel_tool_calls', () => {
  const tools = [{ type: 'function' as const, function: { name: 'f' } }];
  assert.deepEqual(tr({ tools, tool_choice: 'auto' }).body.tool_choice, { type: 'auto' });
  assert.deepEqual(tr({ tools, tool_choice: 'none' }).body.tool_choice, { type: 'none' });
  assert.deepEqual(tr({ tools, tool_choice: 'required' }).body.tool_choice, { type: 'any' });
  assert.deepEqual(tr({ tools, tool_choice: { type: 'function', function: { name: 'f' } } }).body.tool_choice, { type: 'tool', name: 'f' });
  assert.deepEqual(tr({ tools, tool_choice: 'required', parallel_tool_calls: false }).body.tool_choice, { type: 'any', disable_parallel_tool_use: true });
  assert.deepEqual(tr({ tools, parallel_tool_calls: false }).body.tool_choice, { type: 'auto', disable_parallel_tool_use: true });
  assert.deepEqual(tr({ tools, tool_choice: 'none', parallel_tool_calls: false }).body.tool_choice, { type: 'none' });
  assert.equal(tr({ tool_choice: 'auto' }).body.tool_choice, undefined);
  rejects({ tool_choice: 'required' }, 'tool_choice', /requires 'tools'/);
  rejects({ tools: [{ type: 'custom', custom: { name: 'x' } } as never] }, 'tools[0]', /only function tools/);
});

test('response_format json_schema becomes a forced tool', () => {
  const schema = { type: 'object', properties: { answer: { type: 'integer' } }, required: ['answer'] };
  const { body, jsonMode } = tr({ response_format: { type: 'json_schema', json_schema: { name: 'math_answer', schema, strict: true } } });
  assert.deepEqual(jsonMode, { toolName: 'math_answer', wrapped: false });
  assert.deepEqual(body.tools, [{
    name: 'math_answer',
    description: 'Respond by calling this tool: its input is your final answer, as JSON matching the schema.',
    input_schema: schema,
  }]);
  assert.deepEqual(body.tool_choice, { type: 'tool', name: 'math_answer' });
});

test('response_format with a non-object root wraps it as {value}', () => {
  const schema = { type: 'array', items: { type: 'string' } };
  const { body, jsonMode } = tr({ response_format: { type: 'json_schema', json_schema: { name: 'list', schema } } });
  assert.deepEqual(jsonMode, { toolName: 'list', wrapped: true });
  assert.deepEqual(body.tools?.[0].input_schema, { type: 'object', properties: { value: schema }, required: ['value'] });
});

test('response_format json_object uses a permissive object schema; with user tools the choice is any', () => {
  const { body, jsonMode } = tr({ response_format: { type: 'json_object' } });
  assert.deepEqual(jsonMode, { toolName: JSON_OBJECT_TOOL, wrapped: false });
  assert.deepEqual(body.tools?.[0].input_schema, { type: 'object', additionalProperties: true });
  assert.deepEqual(body.tool_choice, { type: 'tool', name: JSON_OBJECT_TOOL });

  const tools = [{ type: 'function' as const, function: { name: 'f' } }];
  const withTools = tr({ response_format: { type: 'json_object' }, tools });
  assert.deepEqual(withTools.body.tools?.map((t) => t.name), ['f', JSON_OBJECT_TOOL]);
  assert.deepEqual(withTools.body.tool_choice, { type: 'any' });
  assert.deepEqual(tr({ response_format: { type: 'json_object' }, tools, tool_choice: 'none' }).body.tool_choice, { type: 'tool', name: JSON_OBJECT_TOOL });
  assert.equal(tr({ response_format: { type: 'text' } }).jsonMode, null);
  rejects({ response_format: { type: 'json_schema', json_schema: { name: 'f' } }, tools }, 'response_format', /already has a tool/);
});

test('parameters Anthropic cannot honour are 400s that say what to remove', () => {
  rejects({ n: 2 }, 'n', /remove 'n'/);
  rejects({ logprobs: true }, 'logprobs', /remove it/);
  rejects({ top_logprobs: 3 }, 'top_logprobs', /log probabilities/);
  rejects({ logit_bias: { '50256': -100 } }, 'logit_bias', /logit bias/);
  rejects({ presence_penalty: 0.5 }, 'presence_penalty', /presence penalty/);
  rejects({ frequency_penalty: 0.5 }, 'frequency_penalty', /frequency penalty/);
  rejects({ seed: 7 }, 'seed', /seed/);
  rejects({ temperature: 1.5 }, 'temperature', /0 to 1/);
  rejects({ functions: [] }, 'functions', /tools/);
  rejects({ modalities: ['text', 'audio'] }, 'modalities', /only produce text/);
  rejects({ messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role', /legacy function calling/);
  // Their no-op defaults are fine.
  assert.doesNotThrow(() => tr({ n: 1, logprobs: false, presence_penalty: 0, frequency_penalty: 0, seed: null, logit_bias: {}, modalities: ['text'] }));
});

test('unknown and meaningless fields are not forwarded, and are reported', () => {
  const { body, dropped } = tr({ store: true, metadata: { a: 'b' }, reasoning_effort: 'low', top_k: 5, thinking: { type: 'enabled' } } as Partial<ChatRequest>);
  assert.deepEqual(dropped, ['store', 'metadata', 'reasoning_effort', 'top_k', 'thinking']);
  assert.deepEqual(Object.keys(body).sort(), ['max_tokens', 'messages', 'model']);
});
