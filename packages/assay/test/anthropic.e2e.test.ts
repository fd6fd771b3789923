/** An Anthropic upstream behind the gateway, called with the openai SDK: translation both ways, streams, tools, errors. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { FAKE_ANTHROPIC_KEY, startFakeAnthropic, type FakeAnthropic } from './helpers/fake-anthropic.js';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';

let up: FakeAnthropic;
let assay: TestAssay;
let client: OpenAI;

before(async () => {
  up = await startFakeAnthropic();
  assay = await startAssay({ providers: [{ id: 'claude', type: 'anthropic', base_url: up.url, api_key: FAKE_ANTHROPIC_KEY }] });
  client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
});
after(async () => {
  await assay?.stop();
  await up?.close();
});

test('chat: system prompt and messages translated; answer and usage translated back', async () => {
  const res = await client.chat.completions.create({
    model: 'claude/claude-sonnet-4-5',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello' }],
    max_tokens: 100,
  });
  assert.equal(res.choices[0].message.content, 'You said: hello');
  assert.equal(res.choices[0].finish_reason, 'stop');
  assert.equal(res.usage?.prompt_tokens, 33);
  assert.equal(res.usage?.completion_tokens, 9);
  const sent = up.requests.at(-1)!.body as Record<string, unknown>;
  assert.equal(sent.system, 'Be brief.');
  assert.equal(sent.model, 'claude-sonnet-4-5');
  assert.equal(sent.max_tokens, 100);
});

test('stream with tools through the SDK helper', async () => {
  const runner = client.chat.completions.stream({
    model: 'claude/claude-sonnet-4-5',
    messages: [{ role: 'user', content: 'weather in Paris?' }],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
  });
  const final = await runner.finalChatCompletion();
  const call = final.choices[0].message.tool_calls![0] as { function: { name: string; arguments: string } };
  assert.equal(call.function.name, 'get_weather');
  assert.equal(typeof JSON.parse(call.function.arguments).city, 'string');
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
});

test('unsupported parameter → 400 naming it; upstream errors keep status', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'claude/m', messages: [{ role: 'user', content: 'x' }], n: 2 }), (e: any) => {
    assert.equal(e.status, 400);
    assert.equal(e.param, 'n');
    return true;
  });
  await assert.rejects(client.chat.completions.create({ model: 'claude/overloaded', messages: [{ role: 'user', content: 'x' }] }), { status: 529 });
});
