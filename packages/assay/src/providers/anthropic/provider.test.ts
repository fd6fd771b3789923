import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError, UpstreamError } from '../../errors.js';
import type { ProviderCall } from '../../gateway/spec.js';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, ChatResult } from '../../gateway/types.js';
import { emptyObservation, Span } from '../../tracing/span.js';
import { FAKE_ANTHROPIC_KEY, startFakeAnthropic, type FakeAnthropic, type FakeAnthropicRequest } from '../../../test/helpers/fake-anthropic.js';
import { anthropicConfigSchema, anthropicProvider } from './index.js';

let fake: FakeAnthropic;
let provider: ReturnType<typeof anthropicProvider.create>;

before(async () => {
  fake = await startFakeAnthropic();
  provider = anthropicProvider.create(
    anthropicConfigSchema.parse({ id: 'anth', type: 'anthropic', base_url: fake.url, api_key: FAKE_ANTHROPIC_KEY, models: ['claude-test'] }),
    { dataDir: '/tmp', log: () => {} },
  );
});
after(async () => {
  await provider.close();
  await fake.close();
});

function call(signal = new AbortController().signal): ProviderCall & { span: Span } {
  return { signal, span: new Span({ record() {} }, emptyObservation({ trace_id: 't', type: 'generation', name: 'x' })) };
}
const lastRequest = (): FakeAnthropicRequest => fake.requests[fake.requests.length - 1];

function response(r: ChatResult): ChatCompletion {
  assert.equal(r.kind, 'response');
  return (r as Extract<ChatResult, { kind: 'response' }>).response;
}
async function chunks(r: ChatResult): Promise<ChatCompletionChunk[]> {
  assert.equal(r.kind, 'stream');
  const out: ChatCompletionChunk[] = [];
  for await (const c of (r as Extract<ChatResult, { kind: 'stream' }>).chunks) out.push(c);
  return out;
}
async function upstreamError(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof UpstreamError, `expected UpstreamError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] } },
};

test('config defaults and strictness', () => {
  const c = anthropicConfigSchema.parse({ id: 'a', type: 'anthropic' });
  assert.deepEqual(c, {
    id: 'a', type: 'anthropic', base_url: 'https://api.anthropic.com', anthropic_version: '2023-06-01',
    headers: {}, models: [], connections: 256, default_max_tokens: 4096,
  });
  assert.equal(anthropicConfigSchema.safeParse({ id: 'a', type: 'anthropic', stream_usage: true }).success, false);
  assert.deepEqual(provider.models(), ['claude-test']);
});

test('non-streaming chat: headers, translated body and translated answer', async () => {
  const c = call();
  const res = response(await provider.chat({
    model: 'claude-test',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }],
    temperature: 0.5,
    store: true,
  }, c));
  const req = lastRequest();
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/v1/messages');
  assert.equal(req.headers['x-api-key'], FAKE_ANTHROPIC_KEY);
  assert.equal(req.headers['anthropic-version'], '2023-06-01');
  assert.match(String(req.headers['content-type']), /application\/json/);
  assert.deepEqual(req.body, {
    model: 'claude-test',
    messages: [{ role: 'user', content: 'Hello there' }],
    max_tokens: 4096,
    system: 'Be brief.',
    temperature: 0.5,
  });
  assert.equal(typeof res.created, 'number');
  assert.deepEqual({ ...res, created: 0 }, {
    id: res.id,
    object: 'chat.completion',
    created: 0,
    model: 'claude-test',
    choices: [{ index: 0, message: { role: 'assistant', content: 'You said: Hello there', refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 33, completion_tokens: 9, total_tokens: 42, prompt_tokens_details: { cached_tokens: 5, cache_creation_tokens: 3 } },
  });
  assert.match(res.id, /^msg_fake_/);
  assert.deepEqual(c.span.observation.metadata, { dropped_fields: ['store'], upstream_request_id: `req_fake_${fake.requests.length}` });
});

test('tool calling round trip through the fake, which checks tool_result ids', async () => {
  const first = response(await provider.chat({ model: 'claude-test', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool] }, call()));
  const msg = first.choices[0].message;
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  assert.equal(msg.content, 'Let me check.');
  assert.equal(msg.tool_calls?.length, 1);
  const tc = msg.tool_calls![0];
  assert.match(tc.id, /^toolu_fake_/);
  assert.deepEqual(tc.function, { name: 'get_weather', arguments: '{"city":"Paris","days":3}' });

  const second = response(await provider.chat({
    model: 'claude-test',
    tools: [weatherTool],
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      msg,
      { role: 'tool', tool_call_id: tc.id, content: '18C and sunny' },
    ],
  }, call()));
  assert.equal(second.choices[0].message.content, 'Tool said: 18C and sunny');
  assert.deepEqual((lastRequest().body as { messages: unknown[] }).messages, [
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: tc.id, name: 'get_weather', input: { city: 'Paris', days: 3 } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: tc.id, content: '18C and sunny' }] },
  ]);
});

test('streaming a tool call: input_json_delta fragments become OpenAI tool-call deltas', async () => {
  const got = await chunks(await provider.chat({
    model: 'claude-test', stream: true, messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], tool_choice: 'required',
  }, call()));
  assert.deepEqual((lastRequest().body as { tool_choice: unknown; stream: unknown }).tool_choice, { type: 'any' });
  assert.equal((lastRequest().body as { stream: unknown }).stream, true);
  const { id, created, model } = got[0];
  assert.match(id, /^msg_fake_/);
  for (const c of got) assert.deepEqual([c.id, c.object, c.created, c.model], [id, 'chat.completion.chunk', created, model]);
  assert.deepEqual(got[0].choices, [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);

  const toolDeltas = got.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
  assert.ok(toolDeltas.length > 3, 'arguments arrive in several fragments');
  assert.deepEqual(toolDeltas[0], { index: 0, id: toolDeltas[0].id, type: 'function', function: { name: 'get_weather', arguments: '' } });
  assert.match(String(toolDeltas[0].id), /^toolu_fake_/);
  for (const d of toolDeltas.slice(1)) assert.deepEqual(Object.keys(d).sort(), ['function', 'index']);
  assert.equal(toolDeltas.map((d) => d.function?.arguments ?? '').join(''), '{"city":"Paris","days":3}');

  const closing = got[got.length - 2];
  assert.deepEqual(closing.choices, [{ index: 0, delta: {}, finish_reason: 'tool_calls' }]);
  assert.deepEqual(got[got.length - 1].choices, []);
  assert.deepEqual(got[got.length - 1].usage, { prompt_tokens: 33, completion_tokens: 9, total_tokens: 42, prompt_tokens_details: { cached_tokens: 5, cache_creation_tokens: 3 } });
});

test('streaming text with thinking', async () => {
  const got = await chunks(await provider.chat({ model: 'claude-thinking', stream: true, messages: [{ role: 'user', content: 'Tell me something' }] }, call()));
  const text = got.map((c) => c.choices[0]?.delta.content ?? '').join('');
  const reasoning = got.map((c) => c.choices[0]?.delta.reasoning_content ?? '').join('');
  assert.equal(text, 'You said: Tell me something');
  assert.equal(reasoning, 'The user wants an answer. I will give one.');
  assert.equal(got[got.length - 2].choices[0].finish_reason, 'stop');
});

test('response_format json_schema comes back as JSON content, streamed or not', async () => {
  const req: ChatRequest = {
    model: 'claude-test',
    messages: [{ role: 'user', content: 'Capital of France?' }],
    response_format: { type: 'json_schema', json_schema: { name: 'capital', schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  };
  const whole = response(await provider.chat(req, call()));
  assert.deepEqual(whole.choices[0].message, { role: 'assistant', content: '{"city":"Paris"}', refusal: null });
  assert.equal(whole.choices[0].finish_reason, 'stop');
  assert.deepEqual((lastRequest().body as { tool_choice: unknown }).tool_choice, { type: 'tool', name: 'capital' });

  const got = await chunks(await provider.chat({ ...req, stream: true }, call()));
  assert.equal(got.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join(''), '{"city":"Paris"}');
  assert.ok(got.every((c) => c.choices.every((ch) => ch.delta.tool_calls === undefined)));
  assert.equal(got[got.length - 2].choices[0].finish_reason, 'stop');
});

test('max_tokens and stop map to Anthropic and back', async () => {
  const cut = response(await provider.chat({ model: 'claude-test', max_tokens: 2, messages: [{ role: 'user', content: 'one two three' }] }, call()));
  assert.equal((lastRequest().body as { max_tokens: number }).max_tokens, 2);
  assert.equal(cut.choices[0].message.content, 'You said: ');
  assert.equal(cut.choices[0].finish_reason, 'length');
  const stopped = response(await provider.chat({ model: 'claude-test', stop: ['two'], messages: [{ role: 'user', content: 'one two three' }] }, call()));
  assert.equal(stopped.choices[0].message.content, 'You said: one ');
  assert.equal(stopped.choices[0].finish_reason, 'stop');
});

test('529 overloaded is a retryable UpstreamError with the upstream status and message', async () => {
  const err = await upstreamError(provider.chat({ model: 'claude-overloaded', messages: [{ role: 'user', content: 'x' }] }, call()));
  assert.equal(err.status, 529);
  assert.equal(err.failure, 'http');
  assert.equal(err.type, 'overloaded_error');
  assert.equal(err.message, 'Overloaded');
  assert.equal(err.retryable, true);
  assert.equal(err.target, 'anth/claude-overloaded');
});

test('429 keeps retry-after; 400 invalid_request_error is not retryable; a wrong key is 401', async () => {
  const limited = await upstreamError(provider.chat({ model: 'claude-rate-limited', messages: [{ role: 'user', content: 'x' }] }, call()));
  assert.equal(limited.status, 429);
  assert.equal(limited.retryAfterMs, 7000);

  const invalid = await upstreamError(provider.chat({ model: 'claude-invalid', messages: [{ role: 'user', content: 'x' }] }, call()));
  assert.equal(invalid.status, 400);
  assert.equal(invalid.type, 'invalid_request_error');
  assert.equal(invalid.message, 'messages.0.content: Input should be a valid list');
  assert.equal(invalid.retryable, false);

  const wrongKey = anthropicProvider.create(anthropicConfigSchema.parse({ id: 'k', type: 'anthropic', base_url: `${fake.url}/v1/`, api_key: 'nope' }), { dataDir: '/tmp', log: () => {} });
  try {
    const denied = await upstreamError(wrongKey.chat({ model: 'claude-test', messages: [{ role: 'user', content: 'x' }] }, call()));
    assert.equal(denied.status, 401);
    assert.equal(denied.type, 'authentication_error');
    assert.equal(lastRequest().path, '/v1/messages');
  } finally {
    await wrongKey.close();
  }
});

test('an error event as the first stream event is thrown from chat() as a retryable 529', async () => {
  const err = await upstreamError(provider.chat({ model: 'claude-early-error', stream: true, messages: [{ role: 'user', content: 'x' }] }, call()));
  assert.equal(err.status, 529);
  assert.equal(err.failure, 'http');
  assert.equal(err.retryable, true);
});

test('an error event after the stream started throws failure stream', async () => {
  const r = await provider.chat({ model: 'claude-stream-error', stream: true, messages: [{ role: 'user', content: 'hello' }] }, call());
  assert.equal(r.kind, 'stream');
  const got: ChatCompletionChunk[] = [];
  const err = await upstreamError((async () => {
    for await (const c of (r as Extract<ChatResult, { kind: 'stream' }>).chunks) got.push(c);
  })());
  assert.equal(err.failure, 'stream');
  assert.equal(err.message, 'Overloaded');
  assert.equal(err.retryable, false);
  assert.ok(got.length >= 2);
  assert.equal(got.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'You said: hello');
});

test('aborting the call signal stops a stream promptly; return() releases it', async () => {
  const ac = new AbortController();
  const long = 'word '.repeat(200);
  const r = await provider.chat({ model: 'claude-slow', stream: true, messages: [{ role: 'user', content: long }] }, call(ac.signal));
  const it = (r as Extract<ChatResult, { kind: 'stream' }>).chunks[Symbol.asyncIterator]();
  await it.next();
  await it.next();
  const t0 = Date.now();
  ac.abort(new Error('client went away'));
  await assert.rejects(async () => {
    for (;;) if ((await it.next()).done) break;
  }, /client went away/);
  assert.ok(Date.now() - t0 < 1000, 'stopped promptly');

  const r2 = await provider.chat({ model: 'claude-slow', stream: true, messages: [{ role: 'user', content: long }] }, call());
  let n = 0;
  for await (const _ of (r2 as Extract<ChatResult, { kind: 'stream' }>).chunks) if (++n === 3) break;
  assert.equal(n, 3);
  // The provider still works after both.
  assert.equal(response(await provider.chat({ model: 'claude-test', messages: [{ role: 'user', content: 'ok' }] }, call())).choices[0].message.content, 'You said: ok');
});

test('requests Anthropic cannot honour fail before any upstream call', async () => {
  const before = fake.requests.length;
  await assert.rejects(provider.chat({ model: 'claude-test', n: 3, messages: [{ role: 'user', content: 'x' }] }, call()), (err: unknown) => {
    assert.ok(err instanceof AssayError && !(err instanceof UpstreamError));
    assert.equal(err.status, 400);
    assert.equal(err.param, 'n');
    return true;
  });
  assert.equal(fake.requests.length, before);
});

test('embeddings are a 400 pointing elsewhere', async () => {
  await assert.rejects(provider.embeddings({ model: 'claude-test', input: 'x' }, call()), (err: unknown) => {
    assert.ok(err instanceof AssayError);
    assert.equal(err.status, 400);
    assert.match(err.message, /no embeddings endpoint.*OpenAI-compatible or local provider/);
    return true;
  });
});
