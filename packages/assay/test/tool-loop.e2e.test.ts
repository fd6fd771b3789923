/**
 * The tool loop end to end: the openai SDK as the client, a scripted upstream model, a real Assay
 * running server-side tools (run_code in the real sandbox here; retrieval, memory, MCP and HTTP
 * tools have their own e2e files). Covers: tool call then answer (stream and not), parallel calls,
 * finish_reason "stop" with tool calls, the step limit, a throwing tool, bad arguments, a client
 * tool mixed with a server tool, token budget, progress events, spans in the trace, and errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ADMIN_KEY, type TestAssay } from './helpers/assay.js';
import { lastUser, scriptedGateway, toolResults, type ScriptedOpenAI } from './helpers/scripted-openai.js';

let up: ScriptedOpenAI;
let assay: TestAssay;
let client: OpenAI;
scriptedGateway({
  routes: [
    { name: 'coder', targets: [{ model: 'up/coder' }], tools: ['run_code'] },
    { name: 'limited', targets: [{ model: 'up/loop' }], tools: ['run_code'], tool_loop: { max_steps: 3 } },
    { name: 'plain', targets: [{ model: 'up/plain' }] },
  ],
}, (gw) => ({ up, assay, client } = gw));

const ext = (x: unknown) => (x as { assay: any }).assay;
/** Assay's `assay` request extension, spread into an SDK call (the SDK's types do not know it). */
const withAssay = (assay: Record<string, unknown>): {} => ({ assay });

async function trace(id: string) {
  await assay.flush();
  const res = await assay.api(`/api/traces/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()) as { observations: Record<string, any>[] };
}


/** First call: run the given code; later calls: answer with what the tool said. */
function codeThenAnswer(code: string | string[], extra: { finish_reason?: string } = {}) {
  return (body: any) => {
    const results = toolResults(body);
    if (results.size === 0) {
      const codes = Array.isArray(code) ? code : [code];
      return { tool_calls: codes.map((c) => ({ name: 'run_code', arguments: { code: c } })), ...extra };
    }
    return { content: `tool said: ${[...results.values()].join(' | ')}`, usage: { prompt_tokens: 20, completion_tokens: 7 } };
  };
}

describe('tool loop', () => {
  test('tool call then answer: the sandbox runs the code, the result is fed back, the trace has every step', async () => {
    up.scripts.set('coder', codeThenAnswer('return 6 * 7'));
    const { data, response } = await client.chat.completions
      .create({ model: 'coder', messages: [{ role: 'user', content: 'what is 6*7?' }] })
      .withResponse();
    assert.equal(data.choices[0].message.content, 'tool said: result: 42');
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.equal(data.choices[0].message.tool_calls, undefined);
    // usage is the sum of both model calls
    assert.deepEqual([data.usage?.prompt_tokens, data.usage?.completion_tokens], [10 + 20, 5 + 7]);
    const report = ext(data);
    assert.equal(report.tool_loop.steps, 2);
    assert.equal(report.tool_loop.stopped, null);
    assert.equal(report.tool_loop.tool_calls.length, 1);
    assert.equal(report.tool_loop.tool_calls[0].name, 'run_code');
    assert.equal(report.tool_loop.tool_calls[0].status, 'ok');
    assert.equal(response.headers.get('x-assay-tool-steps'), '2');
    assert.equal(response.headers.get('x-assay-tool-calls'), '1');

    assert.equal(up.requests.length, 2);
    const [first, second] = up.requests;
    assert.ok(first.tools?.some((t) => t.function.name === 'run_code'), 'the server tool is offered to the model');
    assert.equal(first.assay, undefined);
    const assistant = second.messages.find((m) => m.role === 'assistant')!;
    assert.equal(assistant.tool_calls?.[0].function.name, 'run_code');
    assert.equal(toolResults(second).get(assistant.tool_calls![0].id), 'result: 42');

    const t = await trace(response.headers.get('x-assay-trace-id')!);
    const root = t.observations.find((o) => o.parent_id === null)!;
    assert.equal(root.type, 'generation');
    assert.equal(root.route, 'coder');
    assert.equal(root.model, 'up/coder', 'the call names the model that answered (metrics by model, pricing)');
    assert.equal(root.provider, 'up');
    assert.equal(root.total_tokens, 42);
    const steps = t.observations.filter((o) => o.parent_id === root.id && o.name.startsWith('step '));
    assert.deepEqual(steps.map((s) => s.name).sort(), ['step 1', 'step 2']);
    const tool = t.observations.find((o) => o.type === 'tool')!;
    assert.equal(tool.name, 'run_code');
    assert.equal(tool.parent_id, steps.find((s) => s.name === 'step 1')!.id);
    assert.deepEqual(tool.input, { code: 'return 6 * 7' });
    assert.match(tool.output.content, /result: 42/);
    assert.equal(tool.status, 'ok');
    // the attempts nest under their step
    const attempts = t.observations.filter((o) => o.name.startsWith('attempt '));
    assert.equal(attempts.length, 2);
    assert.ok(attempts.every((a) => steps.some((s) => s.id === a.parent_id)));
  });

  test('streaming: the answer is streamed, progress events on request, the finish chunk carries the report', async () => {
    up.scripts.set('coder', codeThenAnswer('return [1,2,3].map(x => x * 2)'));
    const stream = await client.chat.completions.create({
      model: 'coder',
      messages: [{ role: 'user', content: 'double them' }],
      stream: true,
      stream_options: { include_usage: true },
      ...withAssay({ progress: true }),
    });
    let text = '';
    const events: any[] = [];
    let finish: any = null;
    let usage: any = null;
    for await (const chunk of stream) {
      const c = chunk as any;
      if (c.assay && c.choices.length === 0) events.push(c.assay);
      for (const ch of chunk.choices) {
        text += ch.delta.content ?? '';
        assert.equal(ch.delta.tool_calls, undefined, 'server tool calls are not shown to the client');
        if (ch.finish_reason) finish = c;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'tool said: result: [2,4,6]');
    assert.deepEqual(events.map((e) => e.event), ['tool_call.started', 'tool_call.finished']);
    assert.equal(events[0].name, 'run_code');
    assert.equal(events[1].status, 'ok');
    assert.equal(finish.choices[0].finish_reason, 'stop');
    assert.equal(finish.assay.tool_loop.steps, 2);
    assert.equal(usage.total_tokens, 15 + 27);
    assert.ok(up.requests.every((r) => r.stream === true), 'each step streams from the upstream');
  });

  test('parallel tool calls in one step, and tool calls that come with finish_reason "stop"', async () => {
    up.scripts.set('coder', codeThenAnswer(['return 1 + 1', 'return "a".repeat(3)'], { finish_reason: 'stop' }));
    const data = await client.chat.completions.create({ model: 'coder', messages: [{ role: 'user', content: 'two things' }] });
    assert.equal(data.choices[0].message.content, 'tool said: result: 2 | result: "aaa"');
    const report = ext(data);
    assert.equal(report.tool_loop.tool_calls.length, 2);
    assert.ok(report.tool_loop.tool_calls.every((c: any) => c.step === 1 && c.status === 'ok'));
  });

  test('a tool that throws and arguments that are not JSON are fed back as errors; the call succeeds', async () => {
    up.scripts.set('coder', (body: any) => {
      const results = toolResults(body);
      if (results.size === 0) {
        return { tool_calls: [{ name: 'run_code', arguments: { code: 'throw new TypeError("boom")' } }, { name: 'run_code', arguments: '{not json' }] };
      }
      return { content: [...results.values()].join(' || ') };
    });
    const data = await client.chat.completions.create({ model: 'coder', messages: [{ role: 'user', content: 'x' }] });
    const [thrown, bad] = data.choices[0].message.content!.split(' || ');
    assert.match(thrown, /^TypeError: boom/);
    assert.match(bad, /arguments are not valid JSON/);
    const calls = ext(data).tool_loop.tool_calls;
    assert.deepEqual(calls.map((c: any) => c.status), ['error', 'error']);
  });

  test('the step limit: the last step must answer without tools, and the report says so', async () => {
    up.scripts.set('loop', (body: any) =>
      body.tool_choice === 'none' ? { content: 'giving up' } : { tool_calls: [{ name: 'run_code', arguments: { code: 'return 1' } }] },
    );
    const data = await client.chat.completions.create({ model: 'limited', messages: [{ role: 'user', content: 'loop' }] });
    assert.equal(up.requests.length, 3);
    assert.deepEqual(up.requests.map((r) => r.tool_choice ?? null), [null, null, 'none']);
    assert.equal(data.choices[0].message.content, 'giving up');
    assert.equal(ext(data).tool_loop.steps, 3);
    assert.equal(ext(data).tool_loop.tool_calls.length, 2);
  });

  test('a model that calls tools even when told not to: the limit still ends the loop', async () => {
    up.scripts.set('loop', () => ({ content: 'still trying', tool_calls: [{ name: 'run_code', arguments: { code: 'return 1' } }] }));
    const data = await client.chat.completions.create({ model: 'limited', messages: [{ role: 'user', content: 'loop' }] });
    assert.equal(up.requests.length, 3);
    assert.equal(ext(data).tool_loop.stopped, 'max_steps');
    assert.equal(data.choices[0].message.tool_calls, undefined);
    assert.equal(data.choices[0].finish_reason, 'stop');
  });

  test('token budget: once spent, the next step answers without tools', async () => {
    up.scripts.set('coder', (body: any) =>
      body.tool_choice === 'none' ? { content: 'done' } : { tool_calls: [{ name: 'run_code', arguments: { code: 'return 2' } }], usage: { prompt_tokens: 500, completion_tokens: 10 } },
    );
    const data = await client.chat.completions.create({
      model: 'coder',
      messages: [{ role: 'user', content: 'x' }],
      ...withAssay({ tool_loop: { max_total_tokens: 800 } }),
    });
    assert.equal(up.requests.length, 3, 'two tool steps (510 then 1020 tokens), then the forced answer');
    assert.equal(data.choices[0].message.content, 'done');
  });

  test('a client tool mixed with a server tool: the client gets its call; the server exchange is restored on its next request', async () => {
    up.scripts.set('coder', (body: any) => {
      const results = toolResults(body);
      if (results.size === 0) {
        return { tool_calls: [{ id: 'call_srv', name: 'run_code', arguments: { code: 'return 20 + 1' } }, { id: 'call_cli', name: 'get_weather', arguments: { city: 'Oslo' } }] };
      }
      return { content: `weather ${results.get('call_cli')}, code ${results.get('call_srv')}` };
    });
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'weather and sum' }];
    const first = await client.chat.completions.create({ model: 'coder', messages, tools });
    const msg = first.choices[0].message;
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(msg.tool_calls?.map((c) => (c as any).function.name), ['get_weather']);
    assert.equal(ext(first).tool_loop.tool_calls[0].name, 'run_code');
    assert.ok(up.requests[0].tools?.some((t) => t.function.name === 'get_weather'), 'client tools reach the model too');

    const second = await client.chat.completions.create({
      model: 'coder',
      tools,
      messages: [...messages, msg as OpenAI.ChatCompletionMessageParam, { role: 'tool', tool_call_id: 'call_cli', content: 'sunny' }],
    });
    assert.equal(second.choices[0].message.content, 'weather sunny, code result: 21');
    const replay = up.requests.at(-1)!;
    const assistant = replay.messages.find((m) => m.role === 'assistant')!;
    assert.deepEqual(assistant.tool_calls?.map((c) => c.id).sort(), ['call_cli', 'call_srv']);
    assert.equal(replay.messages.filter((m) => m.role === 'tool').length, 2);
  });

  test('streaming with a client tool in the same turn: the stream ends with only the client call', async () => {
    up.scripts.set('coder', (body: any) => {
      if (toolResults(body).size) return { content: 'unreachable' };
      return { content: 'Checking.', tool_calls: [{ id: 'call_s', name: 'run_code', arguments: { code: 'return 3' } }, { id: 'call_c', name: 'lookup', arguments: { key: 'k' } }] };
    });
    const stream = await client.chat.completions.create({
      model: 'coder',
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { key: { type: 'string' } } } } }],
    });
    let text = '';
    const calls: any[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const ch of chunk.choices) {
        text += ch.delta.content ?? '';
        calls.push(...(ch.delta.tool_calls ?? []));
        finish = ch.finish_reason ?? finish;
      }
    }
    assert.equal(text, 'Checking.');
    assert.deepEqual(calls.map((c) => [c.id, c.function.name, c.function.arguments]), [['call_c', 'lookup', '{"key":"k"}']]);
    assert.equal(finish, 'tool_calls');
  });

  test('a client that goes away mid-loop stops the loop: no further model calls', async () => {
    // a model that would keep calling tools for all 8 steps, slowly
    up.scripts.set('coder', () => ({ tool_calls: [{ name: 'run_code', arguments: { code: 'return 1' } }], delayMs: 150 }));
    const ac = new AbortController();
    const pending = fetch(`${assay.url}/v1/chat/completions`, {
      method: 'POST',
      signal: ac.signal,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'coder', messages: [{ role: 'user', content: 'x' }] }),
    }).catch((e: Error) => e);
    while (up.requests.length < 2) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    assert.ok((await pending) instanceof Error);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(up.requests.length, 2, 'the loop made no call after the client left (it would have made 8)');
  });

  test('request-level tools on a route without any, and a plain route untouched', async () => {
    up.scripts.set('plain', (body: any) => (toolResults(body).size ? { content: 'ok' } : body.tools ? { tool_calls: [{ name: 'run_code', arguments: { code: 'return 5' } }] } : { content: `plain: ${lastUser(body)}` }));
    const plain = await client.chat.completions.create({ model: 'plain', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(plain.choices[0].message.content, 'plain: hi');
    assert.equal(ext(plain), undefined, 'no loop, no report');
    assert.equal(up.requests[0].tools, undefined);
    const withTools = await client.chat.completions.create({
      model: 'plain',
      messages: [{ role: 'user', content: 'hi' }],
      ...withAssay({ tools: ['run_code'] }),
    });
    assert.equal(withTools.choices[0].message.content, 'ok');
    assert.equal(ext(withTools).tool_loop.tool_calls.length, 1);
  });

  test('errors: a bad tool spec, a family that is off, a client tool named like a server tool, n > 1', async () => {
    const call = (body: Record<string, unknown>) => assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], ...body }) });
    let res = await call({ model: 'plain', assay: { tools: [{ retrieve: {} }] } });
    assert.equal(res.status, 400);
    let body = (await res.json()) as any;
    assert.match(body.error.message, /assay\.tools\[0\]\.retrieve\.kb/);
    res = await call({ model: 'plain', assay: { tools: ['search_the_web'] } });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error.message, /unknown tool "search_the_web"/);
    res = await call({ model: 'plain', assay: { tools: ['memory'] } });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error.message, /memory is off/);
    res = await call({ model: 'coder', tools: [{ type: 'function', function: { name: 'run_code' } }] });
    assert.equal(res.status, 400);
    body = await res.json();
    assert.match(body.error.message, /client tool "run_code" has the name of a server-side tool/);
    res = await call({ model: 'coder', n: 2 });
    assert.equal(res.status, 400);
    assert.equal(up.requests.length, 0, 'nothing reached the model');
  });

  test('an upstream failure in a later step fails the call with the upstream error', async () => {
    up.scripts.set('coder', (body: any) => (toolResults(body).size ? { status: 400 } : { tool_calls: [{ name: 'run_code', arguments: { code: 'return 1' } }] }));
    const res = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'coder', messages: [{ role: 'user', content: 'x' }] }) });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error.message, /scripted 400/);
  });
});
