import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../../errors.js';
import type { ChatRequest } from '../../gateway/types.js';
import { localConfigSchema, modelNames, resolveModel } from './config.js';
import { DEFAULT_MODEL_URI } from './download.js';
import { toBase64 } from './embed.js';
import { planChat } from './translate.js';

const req = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra });

function rejects400(r: ChatRequest, param: string | RegExp) {
  assert.throws(
    () => planChat(r),
    (e: unknown) => {
      assert.ok(e instanceof AssayError, String(e));
      assert.equal(e.status, 400);
      if (typeof param === 'string') assert.equal(e.param, param, e.message);
      else assert.match(e.param ?? '', param, e.message);
      return true;
    },
  );
}

test('unsupported parameters are refused with 400 naming the parameter', () => {
  rejects400(req({ n: 2 }), 'n');
  rejects400(req({ logprobs: true }), 'logprobs');
  rejects400(req({ top_logprobs: 2 }), 'top_logprobs');
  rejects400(req({ logit_bias: { '12': 5 } }), 'logit_bias');
  rejects400(req({ audio: { voice: 'x' } }), 'audio');
  rejects400(req({ modalities: ['text', 'audio'] }), 'modalities');
  rejects400(req({ functions: [] }), 'functions');
  rejects400(req({ temperature: 3 }), 'temperature');
  rejects400(req({ max_tokens: 0 }), 'max_tokens');
  rejects400(req({ seed: 1.5 }), 'seed');
  rejects400(req({ stop: [1 as never] }), 'stop');
  rejects400(req({ messages: [] }), 'messages');
  rejects400(req({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }), 'messages[0].content[0]');
  rejects400(req({ messages: [{ role: 'function', content: 'x' }] }), 'messages[0].role');
  const tools = [{ type: 'function' as const, function: { name: 'f' } }];
  rejects400(req({ tools, response_format: { type: 'json_object' } }), 'response_format');
  rejects400(req({ tools, tool_choice: { type: 'function', function: { name: 'g' } } }), 'tool_choice');
  rejects400(req({ tool_choice: 'required' }), 'tool_choice');
  rejects400(req({ tools: [...tools, ...tools] }), 'tools[1].function.name');
  // json with tool_choice none is fine, and n: 1 / empty logit_bias are accepted
  assert.equal(planChat(req({ tools, tool_choice: 'none', response_format: { type: 'json_object' }, n: 1, logit_bias: {} })).functions, undefined);
});

test('messages map to chat history: system/developer, user, assistant text + tool calls with their results', () => {
  const plan = planChat(
    req({
      messages: [
        { role: 'developer', content: 'be terse' },
        { role: 'user', content: [{ type: 'text', text: 'weather' }, { type: 'text', text: 'in Paris?' }] },
        { role: 'assistant', content: 'checking', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'w', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '{"temp":21}' },
        { role: 'assistant', content: 'It is 21.' },
        { role: 'user', content: 'thanks' },
      ],
    }),
  );
  assert.deepEqual(plan.history, [
    { type: 'system', text: 'be terse' },
    { type: 'user', text: 'weather\nin Paris?' },
    {
      type: 'model',
      response: ['checking', { type: 'functionCall', name: 'w', params: { city: 'Paris' }, result: { temp: 21 }, startsNewChunk: true }, 'It is 21.'],
    },
    { type: 'user', text: 'thanks' },
  ]);
  assert.equal(plan.temperature, 1); // OpenAI's default
});

test('tool calls need their tool results, and tool results need a call', () => {
  rejects400(
    req({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] }] }),
    'messages',
  );
  rejects400(req({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'zz', content: '1' }] }), 'messages[1].tool_call_id');
});

test('tool_choice: auto offers all tools, required forces, a named tool forces just that one, none offers none', () => {
  const tools = [
    { type: 'function' as const, function: { name: 'a', description: 'A', parameters: { type: 'object', properties: { x: { type: 'string' } } } } },
    { type: 'function' as const, function: { name: 'b' } },
  ];
  const auto = planChat(req({ tools }));
  assert.deepEqual(Object.keys(auto.functions!), ['a', 'b']);
  assert.equal(auto.forceFunctionCall, false);
  assert.equal(auto.functions!.a.description, 'A');
  const required = planChat(req({ tools, tool_choice: 'required', parallel_tool_calls: false }));
  assert.equal(required.forceFunctionCall, true);
  assert.equal(required.maxParallelFunctionCalls, 1);
  const named = planChat(req({ tools, tool_choice: { type: 'function', function: { name: 'b' } } }));
  assert.deepEqual(Object.keys(named.functions!), ['b']);
  assert.equal(planChat(req({ tools, tool_choice: 'none' })).functions, undefined);
});

test('response_format: json_object and json_schema without schema → any JSON; with schema → that schema', () => {
  assert.deepEqual(planChat(req({ response_format: { type: 'json_object' } })).responseFormat, { kind: 'json' });
  assert.deepEqual(planChat(req({ response_format: { type: 'json_schema', json_schema: { name: 'x' } } })).responseFormat, { kind: 'json' });
  const schema = { type: 'object', properties: { a: { type: 'boolean' } } };
  assert.deepEqual(planChat(req({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } })).responseFormat, { kind: 'schema', schema });
  assert.equal(planChat(req({ response_format: { type: 'text' } })).responseFormat, null);
});

test('config: defaults, validation, and how "default" resolves', () => {
  const cfg = localConfigSchema.parse({ type: 'local', models: { small: { path: '/m/small.gguf', threads: 2 } } });
  assert.equal(cfg.id, 'local');
  assert.deepEqual(cfg.models.small, {
    path: '/m/small.gguf',
    context_size: 4096,
    threads: 2,
    gpu: false,
    parallel: 1,
    max_queue: 32,
    max_tokens: 512,
    embedding: false,
  });
  assert.deepEqual(modelNames(cfg), ['small', 'default']);
  assert.equal(localConfigSchema.safeParse({ type: 'local', models: { x: {} } }).success, false);
  assert.equal(localConfigSchema.safeParse({ type: 'local', models: { x: { path: 'a', uri: 'b' } } }).success, false);
  assert.equal(localConfigSchema.safeParse({ type: 'local', default_model: 'nope' }).success, false);
  assert.equal(localConfigSchema.safeParse({ type: 'local', models: { x: { path: 'a', extra: 1 } } }).success, false);

  // default: env path > configured default_model > models.default > env URI > built-in URI
  assert.deepEqual(resolveModel(cfg, 'default', {})!.source, { kind: 'uri', uri: DEFAULT_MODEL_URI });
  assert.deepEqual(resolveModel(cfg, 'default', { ASSAY_LOCAL_MODEL_URI: 'hf:a/b:Q4' })!.source, { kind: 'uri', uri: 'hf:a/b:Q4' });
  assert.deepEqual(resolveModel(cfg, 'default', { ASSAY_LOCAL_MODEL: '/x.gguf' })!.source, { kind: 'path', path: '/x.gguf' });
  const aliased = localConfigSchema.parse({ type: 'local', default_model: 'small', models: { small: { path: '/m/small.gguf' } } });
  assert.equal(resolveModel(aliased, 'default', {})!.key, resolveModel(aliased, 'small', {})!.key); // one load for both names
  const withDefault = localConfigSchema.parse({ type: 'local', models: { default: { threads: 3 } } });
  const d = resolveModel(withDefault, 'default', {})!;
  assert.equal(d.settings.threads, 3);
  assert.deepEqual(d.source, { kind: 'uri', uri: DEFAULT_MODEL_URI });
  assert.equal(resolveModel(cfg, 'unknown', {}), null);
});

test('base64 embeddings are little-endian float32 bytes', () => {
  const b = Buffer.from(toBase64([1, -2.5]), 'base64');
  assert.equal(b.length, 8);
  assert.equal(b.readFloatLE(0), 1);
  assert.equal(b.readFloatLE(4), -2.5);
});
