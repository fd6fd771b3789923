/**
 * End to end through node-llama-cpp with a real GGUF file with tiny random weights: the text is
 * gibberish, so these tests check mechanics and wire formats, never answer quality.
 */
import { TINY_MODEL } from '../../../test/helpers/models.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssayError, UpstreamError } from '../../errors.js';
import type { ProviderCall } from '../../gateway/spec.js';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, ChatResult } from '../../gateway/types.js';
import { emptyObservation, Span } from '../../tracing/span.js';
import { LocalProvider, localProvider } from './index.js';

const MODEL = TINY_MODEL;
const dataDir = mkdtempSync(join(tmpdir(), 'assay-local-'));
let provider: LocalProvider;
const logs: string[] = [];

function call(signal: AbortSignal = new AbortController().signal): ProviderCall & { span: Span } {
  return { signal, span: new Span({ record() {} }, emptyObservation({ trace_id: 't', type: 'generation', name: 'x' })) };
}
const user = (content: string) => [{ role: 'user' as const, content }];

async function complete(req: Partial<ChatRequest>, c = call()): Promise<ChatCompletion> {
  const r = await provider.chat({ model: 'tiny', messages: user('hello there'), ...req }, c);
  assert.equal(r.kind, 'response');
  return (r as Extract<ChatResult, { kind: 'response' }>).response;
}

async function collect(req: Partial<ChatRequest>, c = call()): Promise<ChatCompletionChunk[]> {
  const r = await provider.chat({ model: 'tiny', messages: user('hello there'), ...req, stream: true }, c);
  assert.equal(r.kind, 'stream');
  const out: ChatCompletionChunk[] = [];
  for await (const ch of (r as Extract<ChatResult, { kind: 'stream' }>).chunks) out.push(ch);
  return out;
}

before(() => {
  provider = localProvider.create(
    localProvider.configSchema.parse({
      type: 'local',
      models: {
        tiny: { path: MODEL },
        busy: { path: MODEL, max_queue: 1 },
        pair: { path: MODEL, parallel: 2 },
        small: { path: MODEL, context_size: 256 },
        emb: { path: MODEL, embedding: true },
      },
    }),
    { dataDir, log: (m) => logs.push(m) },
  ) as LocalProvider;
});

after(async () => {
  await provider.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the model has no chat template, so node-llama-cpp falls back to its generic one', async () => {
  await complete({ max_tokens: 1 });
  assert.ok(logs.some((l) => /local\/tiny chat template: General\b/.test(l)), logs.join('\n'));
  assert.deepEqual(provider.models(), ['tiny', 'busy', 'pair', 'small', 'emb', 'default']);
});

test('non-stream chat: chat.completion shape, usage from token counts, finish_reason length at max_tokens', async () => {
  const c = call();
  const r = await complete({ max_tokens: 8 }, c);
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, 'tiny');
  assert.equal(r.choices.length, 1);
  const ch = r.choices[0];
  assert.equal(ch.message.role, 'assistant');
  assert.equal(typeof ch.message.content, 'string');
  assert.ok((ch.message.content as string).length > 0);
  assert.equal(ch.finish_reason, 'length');
  assert.equal(r.usage!.completion_tokens, 8);
  assert.ok(r.usage!.prompt_tokens > 3);
  assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + 8);
  assert.equal(typeof c.span.observation.metadata?.local_queue_wait_ms, 'number');
  // a longer prompt counts more prompt tokens
  const longer = await complete({ max_tokens: 1, messages: user('hello there, and a few more words to count') });
  assert.ok(longer.usage!.prompt_tokens > r.usage!.prompt_tokens);
});

test('sampling: temperature 0 and a fixed seed are reproducible; stop cuts the text and finishes with stop', async () => {
  const a = await complete({ max_tokens: 12, temperature: 0 });
  const b = await complete({ max_tokens: 12, temperature: 0 });
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  const s1 = await complete({ max_tokens: 12, temperature: 1, seed: 42 });
  const s2 = await complete({ max_tokens: 12, temperature: 1, seed: 42 });
  assert.equal(s1.choices[0].message.content, s2.choices[0].message.content);

  const text = a.choices[0].message.content as string;
  const word = text.split(/\s+/).filter((w) => w.length > 2)[2];
  assert.ok(word, `need a word to stop at in ${JSON.stringify(text)}`);
  const stopped = await complete({ max_tokens: 12, temperature: 0, stop: [word] });
  assert.equal(stopped.choices[0].finish_reason, 'stop');
  assert.ok(text.startsWith(stopped.choices[0].message.content as string));
  assert.ok(!(stopped.choices[0].message.content as string).includes(word));
});

test('stream: role chunk, content deltas, finish chunk, then a usage chunk with no choices', async () => {
  const chunks = await collect({ max_tokens: 6, temperature: 0 });
  const id = chunks[0].id;
  assert.ok(chunks.every((c) => c.id === id && c.object === 'chat.completion.chunk' && c.model === 'tiny'));
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
  const finish = chunks.at(-2)!;
  assert.equal(finish.choices[0].finish_reason, 'length');
  assert.deepEqual(finish.choices[0].delta, {});
  const usage = chunks.at(-1)!;
  assert.deepEqual(usage.choices, []);
  assert.equal(usage.usage!.completion_tokens, 6);
  const middle = chunks.slice(1, -2);
  assert.ok(middle.length > 0 && middle.every((c) => typeof c.choices[0].delta.content === 'string' && c.choices[0].finish_reason === null));
  const streamed = middle.map((c) => c.choices[0].delta.content).join('');
  const whole = await complete({ max_tokens: 6, temperature: 0 });
  assert.equal(streamed, whole.choices[0].message.content);
});

test('response_format json_schema constrains the output to the schema; json_object to JSON', async () => {
  const schema = { type: 'object', properties: { a: { type: 'boolean' } }, required: ['a'], additionalProperties: false };
  for (const seed of [1, 2, 3]) {
    const r = await complete({ max_tokens: 60, seed, response_format: { type: 'json_schema', json_schema: { name: 'flag', schema, strict: true } } });
    const parsed = JSON.parse(r.choices[0].message.content as string);
    assert.deepEqual(Object.keys(parsed), ['a']);
    assert.equal(typeof parsed.a, 'boolean');
    assert.equal(r.choices[0].finish_reason, 'stop');
  }
  const chunks = await collect({ max_tokens: 60, response_format: { type: 'json_schema', json_schema: { name: 'flag', schema } } });
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.equal(typeof JSON.parse(text).a, 'boolean');
  const any = await complete({ max_tokens: 200, temperature: 0, response_format: { type: 'json_object' } });
  if (any.choices[0].finish_reason === 'stop') JSON.parse(any.choices[0].message.content as string);
});

// The random model never chooses to call a tool on its own (tool_choice auto), so calls are forced
// with tool_choice 'required' / a named tool: a grammar makes it pick a function and write its
// parameters, which come back as tool_calls instead of being executed.
const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { unit: { enum: ['c', 'f'] }, days: { type: 'boolean' } }, required: ['unit', 'days'] },
  },
};
const clock = { type: 'function' as const, function: { name: 'get_time', description: 'The time' } };

test('tools: tool_choice required / named → tool_calls with JSON arguments and finish_reason tool_calls', async () => {
  const r = await complete({ max_tokens: 60, tools: [weather], tool_choice: 'required' });
  const ch = r.choices[0];
  assert.equal(ch.finish_reason, 'tool_calls');
  assert.equal(ch.message.content, null);
  assert.equal(ch.message.tool_calls!.length, 1);
  const tc = ch.message.tool_calls![0];
  assert.match(tc.id, /^call_/);
  assert.equal(tc.type, 'function');
  assert.equal(tc.function.name, 'get_weather');
  const args = JSON.parse(tc.function.arguments);
  assert.ok(['c', 'f'].includes(args.unit));
  assert.equal(typeof args.days, 'boolean');

  const named = await complete({ max_tokens: 60, tools: [weather, clock], tool_choice: { type: 'function', function: { name: 'get_time' } } });
  assert.equal(named.choices[0].message.tool_calls![0].function.name, 'get_time');
  assert.deepEqual(JSON.parse(named.choices[0].message.tool_calls![0].function.arguments), {});
});

test('tools in a stream: tool_calls deltas (id and name first, then arguments) and finish_reason tool_calls', async () => {
  const chunks = await collect({ max_tokens: 60, tools: [weather], tool_choice: 'required' });
  const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
  assert.ok(deltas.length >= 2);
  assert.equal(deltas[0].index, 0);
  assert.match(deltas[0].id!, /^call_/);
  assert.equal(deltas[0].function!.name, 'get_weather');
  const args = JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''));
  assert.ok(['c', 'f'].includes(args.unit));
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'tool_calls');
});

test('tools: a conversation with a tool call and its result continues; tool_choice none answers in text', async () => {
  const messages = [
    { role: 'user' as const, content: 'weather?' },
    { role: 'assistant' as const, content: null, tool_calls: [{ id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"unit":"c","days":false}' } }] },
    { role: 'tool' as const, tool_call_id: 'call_1', content: '{"temp":21}' },
  ];
  const r = await complete({ max_tokens: 5, temperature: 0, tools: [weather], tool_choice: 'none', messages });
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.equal(r.choices[0].message.tool_calls, undefined);
});

test('embeddings: one float vector per input, base64 carries the same floats, usage counts tokens', async () => {
  const r = await provider.embeddings({ model: 'emb', input: ['hello world', 'another input'] }, call());
  assert.equal(r.object, 'list');
  assert.equal(r.model, 'emb');
  assert.equal(r.data.length, 2);
  for (const [i, d] of r.data.entries()) {
    assert.equal(d.object, 'embedding');
    assert.equal(d.index, i);
    assert.ok(Array.isArray(d.embedding) && d.embedding.length === 8 && d.embedding.every((x) => Number.isFinite(x)));
  }
  assert.ok(r.usage.prompt_tokens >= 4);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens);
  const b = await provider.embeddings({ model: 'emb', input: 'hello world', encoding_format: 'base64' }, call());
  const buf = Buffer.from(b.data[0].embedding as string, 'base64');
  const floats = Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
  assert.deepEqual(floats, (r.data[0].embedding as number[]).map(Math.fround));
  const tokens = await provider.embeddings({ model: 'emb', input: [1, 2, 3] }, call());
  assert.equal(tokens.usage.prompt_tokens, 3);
  await assert.rejects(provider.embeddings({ model: 'emb', input: [[999999]] }, call()), (e: AssayError) => e.status === 400 && e.param === 'input[0]');
  await assert.rejects(provider.embeddings({ model: 'emb', input: 'x', dimensions: 3 }, call()), (e: AssayError) => e.param === 'dimensions');
  // an embedding-only model refuses chat
  await assert.rejects(provider.chat({ model: 'emb', messages: user('x') }, call()), (e: AssayError) => e.status === 400 && e.param === 'model');
});

test('request errors: unknown model 404, prompt longer than the context 400, unsupported parameter 400', async () => {
  await assert.rejects(provider.chat({ model: 'nope', messages: user('x') }, call()), (e: AssayError) => e.status === 404 && e.code === 'model_not_found');
  await assert.rejects(
    provider.chat({ model: 'small', messages: user('word '.repeat(400)) }, call()),
    (e: AssayError) => e.status === 400 && e.code === 'context_length_exceeded' && /256 tokens/.test(e.message),
  );
  await assert.rejects(complete({ n: 3 }), (e: AssayError) => e.status === 400 && e.param === 'n');
  await assert.rejects(provider.embeddings({ model: 'small', input: 'word '.repeat(400) }, call()), (e: AssayError) => e.status === 400 && /too long/.test(e.message));
  // max_tokens is clamped to what the context has left
  const r = await provider.chat({ model: 'small', messages: user('hi'), max_tokens: 5000, temperature: 0 }, call());
  const u = (r as Extract<ChatResult, { kind: 'response' }>).response.usage!;
  assert.ok(u.total_tokens <= 256, JSON.stringify(u));
});

const LONG: Partial<ChatRequest> = { max_tokens: 3000, temperature: 0 }; // seconds of generation; greedy never stops early

test('abort: the signal stops a running stream and a running non-stream request, and frees the slot', async () => {
  const ac = new AbortController();
  const r = await provider.chat({ model: 'tiny', messages: user('go'), ...LONG, stream: true }, call(ac.signal));
  const it = (r as Extract<ChatResult, { kind: 'stream' }>).chunks[Symbol.asyncIterator]();
  await it.next();
  await it.next();
  const t0 = performance.now();
  const reason = new Error('client went away');
  ac.abort(reason);
  await assert.rejects(async () => {
    for (;;) if ((await it.next()).done) break;
  }, (e) => e === reason); // the signal's reason itself, so the router can tell why

  const ac2 = new AbortController();
  const pending = complete({ ...LONG, messages: user('again') }, call(ac2.signal));
  const timeout = new UpstreamError({ status: 504, failure: 'timeout', target: 'local/tiny', message: 'timed out' });
  setTimeout(() => ac2.abort(timeout), 50);
  await assert.rejects(pending, (e) => e === timeout);
  // the slot is free again: a short request is served at once
  await complete({ max_tokens: 2 });
  assert.ok(performance.now() - t0 < 2000);
});

test('abort: return() on the stream (consumer stops reading) ends the generation and frees the slot', async () => {
  const t0 = performance.now();
  const r = await provider.chat({ model: 'tiny', messages: user('go'), ...LONG, stream: true }, call());
  for await (const c of (r as Extract<ChatResult, { kind: 'stream' }>).chunks) if (c.choices[0]?.delta.content) break;
  await complete({ max_tokens: 2 });
  assert.ok(performance.now() - t0 < 2000);
});

test('queue: one runs, max_queue wait, the next gets 429 with a retry hint; an aborted waiter leaves the queue', async () => {
  const running = new AbortController();
  const a = provider.chat({ model: 'busy', messages: user('a'), ...LONG }, call(running.signal));
  const waiting = new AbortController();
  const b = provider.chat({ model: 'busy', messages: user('b'), max_tokens: 2 }, call(waiting.signal));
  await assert.rejects(provider.chat({ model: 'busy', messages: user('c'), max_tokens: 2 }, call()), (e: unknown) => {
    assert.ok(e instanceof UpstreamError);
    assert.equal(e.status, 429);
    assert.equal(e.code, 'local_queue_full');
    assert.equal(e.retryable, true);
    assert.equal(e.retryAfterMs, 1000);
    assert.equal(e.headers['retry-after'], '1');
    assert.match(e.message, /max_queue 1/);
    return true;
  });
  waiting.abort(new Error('gave up waiting'));
  await assert.rejects(b, /gave up waiting/);
  // the waiter's place is free again
  const d = provider.chat({ model: 'busy', messages: user('d'), max_tokens: 2 }, call());
  running.abort(new Error('stop a'));
  await assert.rejects(a, /stop a/);
  assert.equal(((await d) as Extract<ChatResult, { kind: 'response' }>).response.choices[0].finish_reason, 'length');
});

test('parallel: 2 sequences generate two requests at once', async () => {
  const [x, y] = await Promise.all([
    collect({ model: 'pair', max_tokens: 20 }),
    collect({ model: 'pair', max_tokens: 20 }),
  ]);
  assert.equal(x.at(-1)!.usage!.completion_tokens, 20);
  assert.equal(y.at(-1)!.usage!.completion_tokens, 20);
  // both first calls awaited the same load
  assert.equal(logs.filter((l) => l.startsWith('local: loaded local/pair ')).length, 1);
});

test('close(): running streams end with 503 shutting_down, later calls get the same', async () => {
  const r = await provider.chat({ model: 'tiny', messages: user('go'), ...LONG, stream: true }, call());
  const it = (r as Extract<ChatResult, { kind: 'stream' }>).chunks[Symbol.asyncIterator]();
  await it.next();
  await provider.close();
  const isShutdown = (e: unknown) => e instanceof UpstreamError && e.status === 503 && e.code === 'shutting_down';
  await assert.rejects(async () => {
    for (;;) if ((await it.next()).done) break;
  }, isShutdown);
  await assert.rejects(provider.chat({ model: 'tiny', messages: user('x') }, call()), isShutdown);
});
