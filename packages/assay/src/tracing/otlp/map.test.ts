import { test } from 'node:test';
import assert from 'node:assert/strict';

import { mapSpans } from './map.js';

import { attrs, KEY, one, span } from './test-spans.js';

test('OTel GenAI (current names): a chat span becomes a generation with usage, I/O, session and ttft', () => {
  const o = one(
    span(
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 31,
        'gen_ai.usage.output_tokens': 9,
        'gen_ai.usage.cache_read.input_tokens': 4,
        'gen_ai.usage.reasoning.output_tokens': 2,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'hello' }], finish_reason: 'stop' }]),
        'gen_ai.conversation.id': 'conv-1',
        'gen_ai.response.time_to_first_chunk': 0.25,
        'gen_ai.request.temperature': 0.2,
      },
      { name: 'chat gpt-4o' },
    ),
  );
  assert.equal(o.type, 'generation');
  assert.equal(o.model, 'gpt-4o-2024-08-06');
  assert.equal(o.provider, 'openai');
  assert.equal(o.input_tokens, 31);
  assert.equal(o.output_tokens, 9);
  assert.equal(o.total_tokens, 40, 'total = input + output when absent');
  assert.equal(o.cached_input_tokens, 4);
  assert.equal(o.reasoning_tokens, 2);
  assert.deepEqual(o.input, [{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]);
  assert.equal((o.output as { finish_reason: string }[])[0].finish_reason, 'stop');
  assert.equal(o.session_id, 'conv-1');
  assert.equal(o.ttft_ms, 250);
  assert.equal(o.start_time, 1718000000000);
  assert.equal(o.latency_ms, 1200.5);
  assert.equal(o.key_id, 'key_1');
  assert.equal(o.project_id, 'proj');
  assert.equal(o.id, o.id.toLowerCase());
  // the losing model alternative and unmapped parameters are kept
  assert.deepEqual(attrs(o), { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.request.temperature': 0.2 });
  assert.equal(o.metadata?.span_kind, 'CLIENT');
  assert.deepEqual(o.metadata?.resource, { 'service.name': 'app' });
  assert.deepEqual(o.metadata?.scope, { name: 'instr', version: '1.0' });
});

test('OTel GenAI / OpenLLMetry legacy names: gen_ai.system, prompt_tokens, gen_ai.prompt.{i}.*', () => {
  const o = one(
    span({
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4',
      'llm.request.type': 'chat',
      'gen_ai.usage.prompt_tokens': 12,
      'gen_ai.usage.completion_tokens': 3,
      'llm.usage.total_tokens': 16,
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': 'be brief',
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': 'hi',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': 'hello',
      'gen_ai.completion.0.tool_calls.0.name': 'lookup',
      'traceloop.association.properties.user_id': 'u-7',
    }),
  );
  assert.equal(o.type, 'generation');
  assert.equal(o.provider, 'anthropic');
  assert.equal(o.model, 'claude-sonnet-4');
  assert.equal(o.input_tokens, 12);
  assert.equal(o.output_tokens, 3);
  assert.equal(o.total_tokens, 16, 'a reported total wins');
  assert.deepEqual(o.input, [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }]);
  assert.deepEqual(o.output, [{ role: 'assistant', content: 'hello', tool_calls: [{ name: 'lookup' }] }]);
  assert.equal(o.user_id, 'u-7');
  assert.deepEqual(attrs(o), {});
});

test('OpenInference: LLM, CHAIN and RETRIEVER kinds, messages, input.value JSON, session/user/tags', () => {
  const { observations } = mapSpans(
    [
      span({
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'gpt-4o-mini',
        'llm.provider': 'openai',
        'llm.token_count.prompt': 20,
        'llm.token_count.completion': 5,
        'llm.token_count.total': 25,
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.content': 'what?',
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.content': 'that',
        'llm.invocation_parameters': '{"temperature":0}',
        'session.id': 's-1',
        'user.id': 'u-1',
        'tag.tags': ['a', 'b'],
      }),
      span({ 'openinference.span.kind': 'CHAIN', 'llm.model_name': 'x', 'input.value': '{"q":"what?"}', 'input.mime_type': 'application/json', 'output.value': 'plain text' }),
      span({ 'openinference.span.kind': 'RETRIEVER', 'input.value': 'query', 'retrieval.documents.0.document.content': 'doc a', 'retrieval.documents.0.document.score': 0.9 }),
    ],
    KEY,
  );
  const [llm, chain, retriever] = observations;
  assert.equal(llm.type, 'generation');
  assert.equal(llm.model, 'gpt-4o-mini');
  assert.equal(llm.provider, 'openai');
  assert.deepEqual([llm.input_tokens, llm.output_tokens, llm.total_tokens], [20, 5, 25]);
  assert.deepEqual(llm.input, [{ role: 'user', content: 'what?' }]);
  assert.deepEqual(llm.output, [{ role: 'assistant', content: 'that' }]);
  assert.equal(llm.session_id, 's-1');
  assert.equal(llm.user_id, 'u-1');
  assert.deepEqual(llm.tags, ['a', 'b']);
  assert.equal(chain.type, 'span', 'a CHAIN naming a model stays a span');
  assert.deepEqual(chain.input, { q: 'what?' });
  assert.equal(chain.output, 'plain text');
  assert.equal(chain.input_tokens, null);
  assert.deepEqual(chain.tags, ['a', 'b'], 'tags propagate within the trace');
  assert.equal(retriever.type, 'retrieval');
  assert.deepEqual(retriever.output, [{ content: 'doc a', score: 0.9 }]);
});

test('OpenLLMetry/Traceloop: workflow/task/agent/tool kinds, entity I/O, association properties, prompt', () => {
  const { observations } = mapSpans(
    [
      span({
        'traceloop.span.kind': 'workflow',
        'traceloop.entity.name': 'answer',
        'traceloop.entity.input': '{"inputs":{"q":"x"}}',
        'traceloop.entity.output': '{"outputs":"y"}',
        'traceloop.association.properties.session_id': 'sess-9',
        'traceloop.association.properties.team': 'search',
        'traceloop.prompt.key': 'qa',
        'traceloop.prompt.version': 3,
      }),
      span({ 'traceloop.span.kind': 'agent' }),
      span({ 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'search' }),
    ],
    KEY,
  );
  const [wf, agent, tool] = observations;
  assert.equal(wf.type, 'span');
  assert.deepEqual(wf.input, { inputs: { q: 'x' } });
  assert.deepEqual(wf.output, { outputs: 'y' });
  assert.equal(wf.session_id, 'sess-9');
  assert.equal(wf.metadata?.team, 'search');
  assert.equal(wf.prompt_name, 'qa');
  assert.equal(wf.prompt_version, 3);
  assert.equal(attrs(wf)['traceloop.entity.name'], 'answer');
  assert.equal(agent.type, 'agent');
  assert.equal(tool.type, 'tool');
  assert.equal(agent.session_id, 'sess-9');
});

test('Langfuse attributes win over every other convention and trace fields reach every span', () => {
  const root = span(
    {
      'langfuse.observation.type': 'generation',
      'gen_ai.operation.name': 'embeddings',
      'langfuse.observation.model.name': 'lf-model',
      'gen_ai.request.model': 'other-model',
      'langfuse.observation.usage_details': '{"input":100,"output":20,"total":120,"cache_read_input_tokens":8}',
      'gen_ai.usage.input_tokens': 1,
      'langfuse.observation.cost_details': '{"input":0.01,"output":0.02}',
      'langfuse.observation.input': '{"question":"q"}',
      'langfuse.observation.output': '"answer"',
      'langfuse.trace.name': 'my-trace',
      'langfuse.trace.tags': '["t1","t2"]',
      'langfuse.user.id': 'lf-user',
      'user.id': 'otel-user',
      'langfuse.session.id': 'lf-sess',
      'langfuse.environment': 'staging',
      'langfuse.release': 'v1.2',
      'langfuse.observation.level': 'WARNING',
      'langfuse.observation.metadata.feature': 'chat',
      'langfuse.trace.metadata.plan': 'pro',
      'langfuse.observation.prompt.name': 'greeting',
      'langfuse.observation.prompt.version': 2,
      'langfuse.observation.completion_start_time': '"2024-06-10T06:13:20.500Z"',
    },
    { name: 'root-span', startMs: Date.parse('2024-06-10T06:13:20.000Z'), endMs: Date.parse('2024-06-10T06:13:21.000Z') },
  );
  const child = span({}, { parentSpanId: root.spanId, resource: { 'deployment.environment.name': 'prod' } });
  const { observations } = mapSpans([root, child], KEY);
  const [o, c] = observations;
  assert.equal(o.type, 'generation');
  assert.equal(o.model, 'lf-model');
  assert.deepEqual([o.input_tokens, o.output_tokens, o.total_tokens, o.cached_input_tokens], [100, 20, 120, 8]);
  assert.equal(o.cost, 0.03);
  assert.deepEqual(o.cost_details, { input: 0.01, output: 0.02, total: 0.03, source: 'provider' });
  assert.deepEqual(o.input, { question: 'q' });
  assert.equal(o.output, 'answer');
  assert.equal(o.name, 'my-trace');
  assert.equal(o.metadata?.span_name, 'root-span');
  assert.deepEqual(o.tags, ['t1', 't2']);
  assert.equal(o.user_id, 'lf-user');
  assert.equal(o.session_id, 'lf-sess');
  assert.equal(o.environment, 'staging');
  assert.equal(o.release, 'v1.2');
  assert.equal(o.level, 'WARNING');
  assert.equal(o.status, 'ok');
  assert.equal(o.metadata?.feature, 'chat');
  assert.equal(o.metadata?.plan, 'pro');
  assert.equal(o.prompt_name, 'greeting');
  assert.equal(o.prompt_version, 2);
  assert.equal(o.ttft_ms, 500);
  assert.equal(attrs(o)['user.id'], 'otel-user', 'the losing alternative is kept');
  // trace-level fields copied to the child; its own resource environment wins
  assert.equal(c.user_id, 'lf-user');
  assert.equal(c.session_id, 'lf-sess');
  assert.deepEqual(c.tags, ['t1', 't2']);
  assert.equal(c.environment, 'prod');
  assert.equal(c.release, 'v1.2');
  assert.equal(c.metadata?.trace_name, 'my-trace');
  assert.equal(c.name, 'op', 'only the root takes the trace name');
});

test('Vercel AI SDK: leaf calls carry usage, the outer call is a roll-up, no double counting', () => {
  const outer = span(
    {
      'ai.operationId': 'ai.generateText',
      'ai.telemetry.functionId': 'support-bot',
      'ai.model.id': 'gpt-4o',
      'ai.model.provider': 'openai.chat',
      'ai.usage.promptTokens': 10,
      'ai.usage.completionTokens': 5,
      'ai.prompt': '{"prompt":"hello"}',
      'ai.response.text': 'hi there',
      'ai.telemetry.metadata.userId': 'vu-1',
      'ai.telemetry.metadata.sessionId': 'vs-1',
      'ai.telemetry.metadata.plan': 'free',
    },
    { name: 'ai.generateText' },
  );
  const inner = span(
    {
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.model.id': 'gpt-4o',
      'ai.model.provider': 'openai.chat',
      'gen_ai.system': 'openai.chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
      'ai.usage.promptTokens': 10,
      'ai.usage.completionTokens': 5,
      'ai.prompt.messages': '[{"role":"user","content":[{"type":"text","text":"hello"}]}]',
      'ai.response.text': 'hi there',
      'ai.response.msToFirstChunk': 120.5,
    },
    { name: 'ai.generateText.doGenerate', parentSpanId: '00000000000000aa' },
  );
  const tool = span({ 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'weather', 'ai.toolCall.args': '{"city":"Oslo"}', 'ai.toolCall.result': '{"t":3}' }, { name: 'ai.toolCall' });
  const streamed = span({ 'ai.usage.inputTokens': 7, 'ai.usage.outputTokens': 2, 'ai.model.id': 'm' }, { name: 'ai.streamText.doStream' });
  const embed = span({ 'ai.usage.tokens': 3, 'ai.model.id': 'e', 'ai.value': '"text"' }, { name: 'ai.embed.doEmbed' });
  const { observations } = mapSpans([outer, inner, tool, streamed, embed], KEY);
  const [o, i, t, s, e] = observations;
  assert.equal(o.type, 'agent');
  assert.equal(o.name, 'support-bot');
  assert.equal(o.input_tokens, null);
  assert.equal(o.total_tokens, null);
  assert.deepEqual(o.metadata?.usage, { input_tokens: 10, output_tokens: 5, total_tokens: 15 });
  assert.deepEqual(o.input, { prompt: 'hello' });
  assert.equal(o.output, 'hi there');
  assert.equal(o.user_id, 'vu-1');
  assert.equal(o.session_id, 'vs-1');
  assert.equal(o.metadata?.plan, 'free');
  assert.equal(o.provider, 'openai');
  assert.equal(i.type, 'generation');
  assert.equal(i.provider, 'openai');
  assert.equal(i.model, 'gpt-4o-2024-08-06');
  assert.equal(i.ttft_ms, 120.5);
  assert.equal(i.user_id, 'vu-1', 'telemetry metadata reaches the generation');
  assert.equal((i.input as unknown[]).length, 1);
  assert.equal(t.type, 'tool');
  assert.equal(t.name, 'weather');
  assert.deepEqual(t.input, { city: 'Oslo' });
  assert.deepEqual(t.output, { t: 3 });
  assert.equal(s.type, 'generation');
  assert.deepEqual([s.input_tokens, s.output_tokens, s.total_tokens], [7, 2, 9]);
  assert.equal(e.type, 'embedding');
  assert.equal(e.input_tokens, 3);
  assert.equal(e.input, 'text');
  const sum = observations.reduce((acc, x) => acc + (x.input_tokens ?? 0), 0);
  assert.equal(sum, 20, 'only the leaf calls count tokens (10 + 7 + 3)');
});

test('gen_ai agent spans keep usage in metadata; a span naming a model is a generation', () => {
  const { observations } = mapSpans(
    [
      span({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner', 'gen_ai.usage.input_tokens': 50, 'gen_ai.request.model': 'gpt-4o' }),
      span({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 5 }),
      span({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'gen_ai.tool.call.arguments': '{"q":1}' }),
      span({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': 'text-embedding-3-small', 'gen_ai.usage.input_tokens': 8 }),
    ],
    KEY,
  );
  const [agent, gen, tool, emb] = observations;
  assert.equal(agent.type, 'agent');
  assert.equal(agent.input_tokens, null);
  assert.deepEqual(agent.metadata?.usage, { input_tokens: 50, total_tokens: 50 });
  assert.equal(attrs(agent)['gen_ai.agent.name'], 'planner');
  assert.equal(gen.type, 'generation');
  assert.equal(gen.input_tokens, 5);
  assert.equal(tool.type, 'tool');
  assert.deepEqual(tool.input, { q: 1 });
  assert.equal(emb.type, 'embedding');
  assert.equal(emb.input_tokens, 8);
});

