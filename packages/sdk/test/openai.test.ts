import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { Assay } from '../src/index.js';
import { startCollector, type Collector } from './helpers/collector.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';

const json = (v: unknown) => JSON.parse(v as string);

describe('wrapOpenAI', () => {
  let collector: Collector;
  let upstream: FakeOpenAI;
  let assay: Assay;
  let openai: OpenAI;

  before(async () => {
    collector = await startCollector();
    upstream = await startFakeOpenAI();
    assay = new Assay({ host: collector.url, apiKey: 'sk-test', flushOnExit: false });
    openai = assay.wrapOpenAI(new OpenAI({ apiKey: 'sk-upstream', baseURL: upstream.url, maxRetries: 0 }));
  });
  beforeEach(() => {
    collector.spans.length = 0;
  });
  after(async () => {
    await assay.shutdown();
    await upstream.close();
    await collector.close();
  });

  const generations = () => collector.spans.filter((s) => s.attributes['langfuse.observation.type'] === 'generation');

  test('a chat completion becomes a generation with model, parameters, messages and usage', async () => {
    const messages = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: 'hi' },
    ];
    const completion = await assay.observe('agent', () =>
      openai.chat.completions.create({ model: 'gpt-test', messages, temperature: 0.3, max_tokens: 64, top_p: 0.5 }),
    );
    assert.equal(completion.choices[0].message.content, 'Hello there');
    assert.equal(completion._request_id, 'req_123', 'the APIPromise extras survive');
    await assay.flush();

    const g = collector.span('chat gpt-test');
    assert.equal(g.parentSpanId, collector.span('agent').spanId, 'nested under the active observation');
    assert.equal(g.kind, 3);
    assert.equal(g.status.code, 0);
    const a = g.attributes;
    assert.equal(a['langfuse.observation.type'], 'generation');
    assert.equal(a['gen_ai.operation.name'], 'chat');
    assert.equal(a['gen_ai.provider.name'], 'openai');
    assert.equal(a['server.address'], '127.0.0.1');
    assert.equal(a['gen_ai.request.model'], 'gpt-test');
    assert.equal(a['gen_ai.response.model'], 'gpt-test-2024');
    assert.equal(a['gen_ai.response.id'], 'chatcmpl-1');
    assert.equal(a['gen_ai.request.temperature'], 0.3);
    assert.equal(a['gen_ai.request.max_tokens'], 64);
    assert.equal(a['gen_ai.request.top_p'], 0.5);
    assert.deepEqual(json(a['langfuse.observation.model.parameters']), { temperature: 0.3, max_tokens: 64, top_p: 0.5 });
    assert.equal(a['gen_ai.usage.input_tokens'], 12);
    assert.equal(a['gen_ai.usage.output_tokens'], 7);
    assert.equal(a['gen_ai.usage.cache_read.input_tokens'], 4);
    assert.equal(a['gen_ai.usage.reasoning.output_tokens'], 2);
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
    assert.deepEqual(json(a['langfuse.observation.input']), messages);
    assert.deepEqual(json(a['langfuse.observation.output']), { role: 'assistant', content: 'Hello there' });
    assert.equal(a['gen_ai.input.messages'], undefined, 'messages are recorded once, as the input');
    assert.equal(a['gen_ai.response.time_to_first_chunk'], undefined, 'no first-chunk time without a stream');
  });

  test('a stream is observed as the app reads it; the generation ends with the stream', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gated-stream',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const received: string[] = [];
    const iterator = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) {
      const { value } = await iterator.next();
      received.push(value?.choices[0]?.delta?.content ?? '');
    }
    await assay.flush();
    assert.equal(generations().length, 0, 'the generation is still open while the stream is being read');

    upstream.release();
    for (;;) {
      const { value, done } = await iterator.next();
      if (done) break;
      received.push(value.choices[0]?.delta?.content ?? '');
    }
    assert.equal(received.join(''), 'Hello', 'the app got every chunk');
    await assay.flush();
    const a = collector.span('chat gated-stream').attributes;
    assert.deepEqual(json(a['langfuse.observation.output']), { role: 'assistant', content: 'Hello' });
    assert.equal(a['gen_ai.usage.input_tokens'], 12);
    assert.equal(a['gen_ai.usage.cache_read.input_tokens'], 4);
    assert.equal(a['gen_ai.usage.reasoning.output_tokens'], 2);
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(a['gen_ai.response.model'], 'gated-stream-2024');
    assert.equal(a['gen_ai.request.stream'], undefined);
    assert.equal(json(a['langfuse.observation.model.parameters']).stream, true);
    const ttft = a['gen_ai.response.time_to_first_chunk'];
    assert.equal(typeof ttft, 'number');
    assert.ok((ttft as number) >= 0);
  });

  test('streamed tool calls are reassembled; withResponse() keeps working', async () => {
    const { data: stream, response, request_id } = await openai.chat.completions
      .create({ model: 'tool-stream', messages: [{ role: 'user', content: 'look up x' }], stream: true, tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }] })
      .withResponse();
    assert.equal(response.status, 200);
    assert.equal(request_id, 'req_456');
    let chunks = 0;
    for await (const _ of stream) chunks++;
    assert.equal(chunks, 5);
    await assay.flush();
    const a = collector.span('chat tool-stream').attributes;
    assert.deepEqual(json(a['langfuse.observation.output']), {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
    });
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['tool_calls']);
    assert.equal(a['gen_ai.usage.input_tokens'], undefined, 'no usage without stream_options.include_usage');
    assert.ok(Array.isArray(json(a['langfuse.observation.input']).tools), 'tools are part of the input');
  });

  test('a stream the app stops reading ends the generation with what was received', async () => {
    const stream = await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content === 'Hel') break;
    }
    await assay.flush();
    const a = collector.span('chat gpt-test').attributes;
    assert.deepEqual(json(a['langfuse.observation.output']), { role: 'assistant', content: 'Hel' });
    assert.equal(a['langfuse.observation.metadata.stream_cancelled'], 'true');
  });

  test('a stream that breaks off marks the generation as failed and keeps what arrived', async () => {
    const stream = await openai.chat.completions.create({ model: 'break-stream', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    });
    assert.equal(text, 'Hello');
    await assay.flush();
    const g = collector.span('chat break-stream');
    assert.equal(g.status.code, 2);
    assert.ok(g.status.message, 'the error message is recorded');
    assert.deepEqual(json(g.attributes['langfuse.observation.output']), { role: 'assistant', content: 'Hello' });
  });

  test('an API error marks the generation as failed and reaches the app unchanged', async () => {
    await assert.rejects(
      openai.chat.completions.create({ model: 'fail', messages: [{ role: 'user', content: 'hi' }] }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 400,
    );
    await assay.flush();
    const g = collector.span('chat fail');
    assert.equal(g.status.code, 2);
    assert.match(String(g.status.message), /does not exist/);
    assert.equal(g.attributes['langfuse.observation.level'], 'ERROR');
    assert.equal(g.attributes['http.response.status_code'], 400);
  });

  test('embeddings become embedding observations with usage and the vectors’ shape', async () => {
    const res = await openai.embeddings.create({ model: 'embed-test', input: ['a', 'b'] });
    assert.equal(res.data.length, 2);
    await assay.flush();
    const e = collector.span('embeddings embed-test');
    const a = e.attributes;
    assert.equal(a['langfuse.observation.type'], 'embedding');
    assert.equal(a['gen_ai.operation.name'], 'embeddings');
    assert.equal(a['gen_ai.usage.input_tokens'], 5);
    assert.deepEqual(json(a['langfuse.observation.input']), ['a', 'b']);
    assert.deepEqual(json(a['langfuse.observation.output']), { embeddings: 2, dimensions: 3 });
  });

  test('the SDK helpers built on create() are traced too (parse, stream, tee)', async () => {
    const parsed = await openai.chat.completions.parse({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(parsed.choices[0].message.content, 'Hello there');
    const helper = openai.chat.completions.stream({ model: 'helper-stream', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal((await helper.finalChatCompletion()).choices[0].message.content, 'Hello');
    const [left, right] = (await openai.chat.completions.create({ model: 'tee-stream', messages: [{ role: 'user', content: 'hi' }], stream: true })).tee();
    for await (const _ of left);
    for await (const _ of right);
    await assay.flush();
    assert.equal(generations().length, 3);
    assert.deepEqual(json(collector.span('chat helper-stream').attributes['langfuse.observation.output']), { role: 'assistant', content: 'Hello' });
    assert.deepEqual(json(collector.span('chat tee-stream').attributes['langfuse.observation.output']), { role: 'assistant', content: 'Hello' });
  });

  test('wrapping twice records one generation per call; a non-client is refused', async () => {
    assert.equal(assay.wrapOpenAI(openai), openai);
    await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    await assay.flush();
    assert.equal(generations().length, 1);
    assert.throws(() => assay.wrapOpenAI({ foo: 1 }), /expects an OpenAI client/);
  });
});
