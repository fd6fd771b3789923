/**
 * The gateway end to end: the official openai SDK as the client, a fake OpenAI upstream, a real
 * Assay server on SQLite. Covers chat, streams, tools, response_format, embeddings, metadata, errors.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { ADMIN_KEY, startAssay, type TestAssay } from './helpers/assay.js';

let up: FakeOpenAI;
let assay: TestAssay;
let client: OpenAI;

async function trace(id: string) {
  await assay.flush();
  const res = await assay.api(`/api/traces/${id}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { observations: Record<string, any>[] };
}
const root = (t: { observations: Record<string, any>[] }) => t.observations.find((o) => o.parent_id === null)!;

before(async () => {
  up = await startFakeOpenAI({ apiKey: 'sk-upstream' });
  assay = await startAssay({
    providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'sk-upstream', models: ['gpt-4o-mini'] }],
    routes: [{ name: 'smart', targets: [{ model: 'up/gpt-4o-mini' }] }],
    limits: { max_body_bytes: 100_000 },
  });
  client = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
});
after(async () => {
  await assay?.stop();
  await up?.close();
});

describe('chat completions', () => {
  test('non-stream answer, trace with user/session/tags/metadata, unknown fields pass through', async () => {
    const { data, response } = await client.chat.completions
      .create(
        {
          model: 'smart',
          messages: [{ role: 'user', content: 'hello there' }],
          user: 'user-42',
          metadata: { feature: 'faq' },
          // @ts-expect-error an unknown field must reach the upstream untouched
          some_unknown_field: { nested: [1, 2] },
        },
        { headers: { 'x-assay-session-id': 'sess-1', 'x-assay-tags': 'beta, faq' } },
      )
      .withResponse();
    assert.equal(data.choices[0].message.content, 'echo: hello there');
    assert.equal(data.usage?.total_tokens, 10);
    assert.equal((data as unknown as Record<string, unknown>).echo_unknown !== undefined, true);
    assert.deepEqual(up.requests.at(-1)!.body.some_unknown_field, { nested: [1, 2] });
    assert.equal(up.requests.at(-1)!.body.model, 'gpt-4o-mini');
    assert.equal(up.requests.at(-1)!.body.assay, undefined);
    const traceId = response.headers.get('x-assay-trace-id')!;
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.equal(response.headers.get('x-assay-target'), 'up/gpt-4o-mini');
    assert.ok(Number(response.headers.get('x-assay-overhead-ms')) >= 0);

    const t = await trace(traceId);
    const r = root(t);
    assert.equal(r.route, 'smart');
    assert.equal(r.model, 'up/gpt-4o-mini');
    assert.equal(r.user_id, 'user-42');
    assert.equal(r.session_id, 'sess-1');
    assert.deepEqual(r.tags, ['beta', 'faq']);
    assert.deepEqual(r.metadata.feature, 'faq');
    assert.equal(r.status, 'ok');
    assert.equal(r.total_tokens, 10);
    assert.equal(r.input.messages[0].content, 'hello there');
    assert.equal(r.output.choices[0].message.content, 'echo: hello there');
    const attempts = t.observations.filter((o) => o.parent_id === r.id);
    assert.equal(attempts.length, 1);
    assert.equal(r.type, 'generation');
    assert.equal(attempts[0].type, 'span');
    assert.equal(attempts[0].name, 'attempt up/gpt-4o-mini');
    assert.equal(attempts[0].input_tokens, 7);
  });

  test('client trace id is used within the key\'s namespace', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'up/x', messages: [{ role: 'user', content: 'a' }] }, { headers: { 'x-assay-trace-id': 'my-trace-1' } })
      .withResponse();
    const id = response.headers.get('x-assay-trace-id')!;
    assert.match(id, /^key_[0-9a-f]+:my-trace-1$/);
    assert.equal(root(await trace(id)).status, 'ok');
  });

  test('stream: chunks relayed, usage only when asked, trace has ttft and usage', async () => {
    const stream = await client.chat.completions.create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'one two three' }], stream: true });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    assert.equal(text, 'echo: one two three');
    assert.equal(sawUsage, false, 'the client did not ask for usage');
    assert.equal((up.requests.at(-1)!.body.stream_options as Record<string, unknown>).include_usage, true, 'usage asked upstream for the trace');

    const withUsage = await client.chat.completions
      .create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let usage: unknown = null;
    for await (const chunk of withUsage.data) if (chunk.usage) usage = chunk.usage;
    assert.deepEqual(usage, { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    const r = root(await trace(withUsage.response.headers.get('x-assay-trace-id')!));
    assert.equal(r.total_tokens, 10);
    assert.ok(r.ttft_ms > 0 && r.ttft_ms <= r.latency_ms);
    assert.equal(r.output.choices[0].message.content, 'echo: x');
    assert.equal(r.metadata.stream, true);
  });

  test('tools: tool calls come back whole, streamed or not', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const res = await client.chat.completions.create({ model: 'up/tool-model', messages: [{ role: 'user', content: 'weather?' }], tools });
    assert.equal(res.choices[0].finish_reason, 'tool_calls');
    const call = res.choices[0].message.tool_calls![0] as { function: { name: string; arguments: string } };
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });

    const runner = client.chat.completions.stream({ model: 'up/tool-model', messages: [{ role: 'user', content: 'weather?' }], tools });
    const final = await runner.finalChatCompletion();
    const sc = final.choices[0].message.tool_calls![0] as { id: string; function: { arguments: string } };
    assert.equal(sc.id, 'call_1');
    assert.deepEqual(JSON.parse(sc.function.arguments), { city: 'Paris' });
  });

  test('response_format passes through', async () => {
    const rf = { type: 'json_schema' as const, json_schema: { name: 'x', schema: { type: 'object' }, strict: true } };
    await client.chat.completions.create({ model: 'up/m', messages: [{ role: 'user', content: 'j' }], response_format: rf });
    assert.deepEqual(up.requests.at(-1)!.body.response_format, rf);
  });
});

describe('client disconnects', () => {
  test('a client that goes away mid-stream releases the upstream; the trace says so', async () => {
    const ac = new AbortController();
    const { data, response } = await client.chat.completions
      .create({ model: 'up/slow-100', messages: [{ role: 'user', content: 'a b c d e f g h' }], stream: true }, { signal: ac.signal })
      .withResponse();
    const traceId = response.headers.get('x-assay-trace-id')!;
    try {
      for await (const c of data) if (c.choices[0]?.delta?.content) ac.abort();
    } catch {
      // the SDK may raise an abort error or simply end
    }
    await new Promise((r) => setTimeout(r, 300));
    const t = await trace(traceId);
    const r = root(t);
    assert.equal(r.status, 'error');
    assert.equal(r.status_code, 499);
    const attempt = t.observations.find((o) => o.parent_id === r.id)!;
    assert.equal(attempt.status_code, 499);
  });
});

describe('embeddings and models', () => {
  test('embeddings through a provider model', async () => {
    const res = await client.embeddings.create({ model: 'up/embed', input: ['ab', 'abcd'] });
    assert.equal(res.data.length, 2);
    assert.deepEqual(res.data[1].embedding, [4, 1, 0.5]);
    assert.equal(res.usage.prompt_tokens, 4);
  });

  test('/v1/models lists routes and declared provider models', async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    assert.ok(ids.includes('smart'));
    assert.ok(ids.includes('up/gpt-4o-mini'));
  });
});

describe('bad input and upstream errors', () => {
  test('missing or wrong key → 401 in the OpenAI shape', async () => {
    const bad = new OpenAI({ baseURL: `${assay.url}/v1`, apiKey: 'sk-assay-wrong', maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }] }), (e: any) => {
      assert.equal(e.status, 401);
      assert.equal(e.code, 'invalid_api_key');
      return e instanceof OpenAI.AuthenticationError;
    });
    const res = await fetch(`${assay.url}/v1/models`);
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  });

  test('unknown model → 404 naming the routes', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }), (e: any) => {
      assert.equal(e.status, 404);
      assert.equal(e.code, 'model_not_found');
      assert.match(e.message, /smart/);
      return true;
    });
    await assert.rejects(client.chat.completions.create({ model: 'ghost/m', messages: [{ role: 'user', content: 'x' }] }), { status: 404 });
  });

  test('invalid JSON, wrong types, empty messages → 400 saying what to fix; the failed call is traced', async () => {
    let res = await assay.api('/v1/chat/completions', { method: 'POST', body: '{"model": "smart", ' });
    assert.equal(res.status, 400);
    let body = (await res.json()) as { error: { message: string; code: string } };
    assert.match(body.error.message, /not valid JSON/);
    const traceId = res.headers.get('x-assay-trace-id')!;
    const r = root(await trace(traceId));
    assert.equal(r.status, 'error');
    assert.equal(r.status_code, 400);

    res = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'smart', messages: [{ role: 'robot', content: 'x' }] }) });
    assert.equal(res.status, 400);
    body = (await res.json()) as { error: { message: string; code: string; param?: string } };
    assert.match(body.error.message, /messages\[0\]\.role/);

    res = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }) });
    assert.equal(res.status, 400);
    body = (await res.json()) as typeof body;
    assert.match(body.error.message, /temperature/);

    // empty messages are allowed only when a registry prompt supplies them
    res = await assay.api('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'smart', messages: [] }) });
    assert.equal(res.status, 400);
    body = (await res.json()) as typeof body;
    assert.match(body.error.message, /messages needs at least one message/);

    res = await assay.api('/v1/embeddings', { method: 'POST', body: JSON.stringify({ model: 'up/e', input: [] }) });
    assert.equal(res.status, 400);

    res = await assay.api('/v1/embeddings', { method: 'POST', body: 'not json' });
    assert.equal(res.status, 400);
    const e = root(await trace(res.headers.get('x-assay-trace-id')!));
    assert.equal(e.name, 'embeddings');
    assert.equal(e.status_code, 400);
    assert.deepEqual(e.input, { raw: 'not json' }, 'what was sent is kept for debugging');
  });

  test('body over the limit → 413', async () => {
    const res = await assay.api('/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'x'.repeat(200_000) }] }),
    });
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /max_body_bytes/);

    // Chunked, without a content-length: the limit holds while reading.
    const big = new TextEncoder().encode(JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'y'.repeat(150_000) }] }));
    const chunked = await fetch(`${assay.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < big.length; i += 16_384) c.enqueue(big.subarray(i, i + 16_384));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
  });

  test('upstream errors keep their status and message', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'up/fail-400', messages: [{ role: 'user', content: 'x' }] }), (e: any) => {
      assert.equal(e.status, 400);
      assert.equal(e.message, '400 upstream says 400');
      return e instanceof OpenAI.BadRequestError;
    });
    await assert.rejects(client.chat.completions.create({ model: 'up/fail-429', messages: [{ role: 'user', content: 'x' }] }), (e: any) => {
      assert.equal(e.status, 429);
      assert.equal(e.code, 'rate_limit_exceeded');
      return e instanceof OpenAI.RateLimitError;
    });
  });

  test('a stream that breaks after the first chunk ends with an error the SDK raises; traced as error', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'up/error-event', messages: [{ role: 'user', content: 'a b c' }], stream: true })
      .withResponse();
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const c of data) text += c.choices[0]?.delta?.content ?? '';
      })(),
      /exploded mid-stream/,
    );
    assert.equal(text, 'echo: ', 'what came before the failure was delivered');
    const r = root(await trace(response.headers.get('x-assay-trace-id')!));
    assert.equal(r.status, 'error');
    assert.match(r.error, /exploded/);

    const broken = await client.chat.completions.create({ model: 'up/break-stream', messages: [{ role: 'user', content: 'a b c' }], stream: true });
    await assert.rejects(async () => {
      for await (const _ of broken) void _;
    });
  });
});
