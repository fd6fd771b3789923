import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Assay, AssayError } from '../src/index.js';
import { startCollector, type Collector } from './helpers/collector.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Assay client', () => {
  let collector: Collector;
  let assay: Assay;

  before(async () => {
    collector = await startCollector();
  });
  beforeEach(() => {
    collector.spans.length = 0;
    collector.requests.length = 0;
    collector.respond.clear();
  });
  after(async () => {
    await assay?.shutdown();
    await collector.close();
  });

  const client = (opts: ConstructorParameters<typeof Assay>[0] = {}) => {
    assay = new Assay({ host: collector.url, apiKey: 'sk-test', flushOnExit: false, ...opts });
    return assay;
  };

  test('observations nest across awaits and parallel branches; output is the return value', async () => {
    const a = client({ environment: 'staging', release: 'v1.2.3', serviceName: 'my-app' });
    const result = await a.observe(
      'handle-request',
      async () => {
        await sleep(5);
        const [x, y] = await Promise.all([
          a.observe('retrieve', async () => {
            await sleep(10);
            return a.observe('embed', () => ['doc-1'], { type: 'embedding' });
          }, { type: 'retrieval', input: { query: 'q' } }),
          a.span('tool-call', async () => {
            await sleep(1);
            return 42;
          }, { type: 'tool', metadata: { tool: 'calc', attempt: 2 } }),
        ]);
        return { x, y };
      },
      { type: 'agent', input: 'hi' },
    );
    assert.deepEqual(result, { x: ['doc-1'], y: 42 });
    await a.flush();

    const root = collector.span('handle-request');
    const retrieve = collector.span('retrieve');
    const embed = collector.span('embed');
    const tool = collector.span('tool-call');
    assert.equal(root.parentSpanId, '');
    assert.equal(retrieve.parentSpanId, root.spanId);
    assert.equal(tool.parentSpanId, root.spanId);
    assert.equal(embed.parentSpanId, retrieve.spanId);
    for (const s of [retrieve, embed, tool]) assert.equal(s.traceId, root.traceId);
    assert.match(root.traceId, /^[0-9a-f]{32}$/);

    assert.equal(root.attributes['langfuse.observation.type'], 'agent');
    assert.equal(root.attributes['langfuse.observation.input'], 'hi');
    assert.deepEqual(JSON.parse(root.attributes['langfuse.observation.output'] as string), { x: ['doc-1'], y: 42 });
    assert.equal(retrieve.attributes['langfuse.observation.type'], 'retrieval');
    assert.deepEqual(JSON.parse(retrieve.attributes['langfuse.observation.input'] as string), { query: 'q' });
    assert.equal(embed.attributes['langfuse.observation.type'], 'embedding');
    assert.equal(tool.attributes['langfuse.observation.metadata.tool'], 'calc');
    assert.equal(tool.attributes['langfuse.observation.metadata.attempt'], '2');
    assert.equal(tool.attributes['langfuse.observation.output'], '42');
    assert.equal(root.attributes['langfuse.environment'], 'staging');
    assert.equal(tool.attributes['langfuse.release'], 'v1.2.3');
    assert.equal(root.resource['service.name'], 'my-app');

    const exportRequest = collector.requests.find((r) => r.path === '/v1/traces');
    assert.equal(exportRequest?.headers.authorization, 'Bearer sk-test');
    assert.match(String(exportRequest?.headers['content-type']), /application\/json/);
  });

  test('a throw or rejection marks the observation as an error and is rethrown', async () => {
    const a = client();
    const boom = new TypeError('bad tool arguments');
    await assert.rejects(
      a.observe('outer', async () => {
        await a.observe('inner', async () => {
          await sleep(1);
          throw boom;
        });
      }),
      (err) => err === boom,
    );
    assert.throws(() => a.observe('sync', () => {
      throw new Error('sync failure');
    }), /sync failure/);
    await a.flush();
    const inner = collector.span('inner');
    assert.equal(inner.status.code, 2);
    assert.equal(inner.status.message, 'bad tool arguments');
    assert.equal(inner.attributes['langfuse.observation.level'], 'ERROR');
    assert.equal(inner.attributes['langfuse.observation.status_message'], 'bad tool arguments');
    assert.equal(inner.attributes['error.type'], 'TypeError');
    assert.equal(collector.span('outer').status.code, 2);
    assert.equal(collector.span('sync').status.message, 'sync failure');
  });

  test('trace-level fields propagate to every observation inside, including later updates', async () => {
    const a = client();
    let traceId: string | undefined;
    assert.equal(a.currentTraceId(), undefined);
    await a.trace({ name: 'chat-turn', userId: 'u-1', sessionId: 's-1', tags: ['beta'], metadata: { plan: 'pro' }, input: { q: 'why' } }, async (root) => {
      traceId = a.currentTraceId();
      assert.equal(traceId, root.traceId);
      await a.observe('first', async () => {
        await sleep(1);
        await a.trace({ tags: ['inner'], metadata: { step: 1 } }, () => a.observe('tagged', () => 'ok'));
      });
      a.updateTrace({ userId: 'u-2', output: 'because' });
      await a.observe('second', async () => sleep(1));
    });
    await a.flush();

    const root = collector.span('chat-turn');
    assert.equal(root.traceId, traceId);
    assert.equal(root.attributes['langfuse.trace.name'], 'chat-turn');
    assert.equal(root.attributes['langfuse.trace.input'], '{"q":"why"}');
    assert.equal(root.attributes['langfuse.trace.output'], 'because');
    assert.equal(root.attributes['user.id'], 'u-2', 'updateTrace sets the field on the current observation');
    for (const name of ['first', 'tagged', 'second']) {
      const s = collector.span(name);
      assert.equal(s.traceId, traceId);
      assert.equal(s.attributes['session.id'], 's-1', name);
      assert.equal(s.attributes['langfuse.trace.name'], 'chat-turn', name);
      assert.equal(s.attributes['langfuse.trace.metadata.plan'], 'pro', name);
      assert.equal(s.attributes['langfuse.trace.input'], undefined, 'the trace input is set once');
    }
    assert.equal(collector.span('first').attributes['user.id'], 'u-1');
    assert.equal(collector.span('second').attributes['user.id'], 'u-2', 'later observations see updateTrace');
    assert.deepEqual(collector.span('tagged').attributes['langfuse.trace.tags'], ['beta', 'inner']);
    assert.equal(collector.span('tagged').attributes['langfuse.trace.metadata.step'], '1');
    assert.deepEqual(collector.span('second').attributes['langfuse.trace.tags'], ['beta']);
    assert.equal(a.currentTraceId(), undefined, 'nothing leaks out of the trace');
  });

  test('separate top-level calls are separate traces; options.trace starts a scope', async () => {
    const a = client();
    await a.observe('one', () => 1, { trace: { userId: 'alice' } });
    await a.observe('two', () => 2);
    await a.flush();
    assert.notEqual(collector.span('one').traceId, collector.span('two').traceId);
    assert.equal(collector.span('one').attributes['user.id'], 'alice');
    assert.equal(collector.span('two').attributes['user.id'], undefined);
  });

  test('wrap() records the arguments as input; captureOutput:false and explicit output', async () => {
    const a = client();
    const add = a.wrap('add', async (x: number, y: number) => x + y, { type: 'tool' });
    const greet = a.wrap('greet', (name: string) => `hi ${name}`, { captureInput: false, captureOutput: false });
    assert.equal(await add(2, 3), 5);
    assert.equal(greet('bob'), 'hi bob');
    await a.observe('explicit', (obs) => {
      obs.update({ output: { summary: 'set by hand' } });
      return 'ignored';
    });
    await a.flush();
    assert.equal(collector.span('add').attributes['langfuse.observation.input'], '[2,3]');
    assert.equal(collector.span('add').attributes['langfuse.observation.output'], '5');
    assert.equal(collector.span('greet').attributes['langfuse.observation.input'], undefined);
    assert.equal(collector.span('greet').attributes['langfuse.observation.output'], undefined);
    assert.equal(collector.span('explicit').attributes['langfuse.observation.output'], '{"summary":"set by hand"}');
  });

  test('generation() records model, parameters, usage and output; usage on other types stays metadata', async () => {
    const a = client();
    const started = Date.now();
    await a.observe('agent', async (agent) => {
      await a.generation('llm', async (gen) => {
        await sleep(2);
        gen.update({
          model: 'claude-x-2025',
          output: { role: 'assistant', content: 'hey' },
          usage: { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 3 },
          completionStartTime: started + 60_000,
        });
        return 'raw response';
      }, { model: 'claude-x', provider: 'anthropic', input: [{ role: 'user', content: 'hi' }], modelParameters: { temperature: 0.2, max_tokens: 50, top_p: 0.9, stop: 'END' } });
      agent.update({ usage: { inputTokens: 10, outputTokens: 4 } });
    }, { type: 'agent' });
    await a.flush();
    const g = collector.span('llm').attributes;
    assert.equal(collector.span('llm').kind, 3, 'SpanKind CLIENT');
    assert.equal(g['langfuse.observation.type'], 'generation');
    assert.equal(g['gen_ai.operation.name'], 'chat');
    assert.equal(g['gen_ai.provider.name'], 'anthropic');
    assert.equal(g['gen_ai.request.model'], 'claude-x');
    assert.equal(g['gen_ai.response.model'], 'claude-x-2025');
    assert.equal(g['gen_ai.request.temperature'], 0.2);
    assert.equal(g['gen_ai.request.max_tokens'], 50);
    assert.equal(g['gen_ai.request.top_p'], 0.9);
    assert.deepEqual(g['gen_ai.request.stop_sequences'], ['END']);
    assert.equal(g['gen_ai.usage.input_tokens'], 10);
    assert.equal(g['gen_ai.usage.output_tokens'], 4);
    assert.equal(g['gen_ai.usage.cache_read.input_tokens'], 3);
    assert.equal(g['langfuse.observation.output'], '{"role":"assistant","content":"hey"}');
    assert.equal(typeof g['gen_ai.response.time_to_first_chunk'], 'number');
    const agent = collector.span('agent').attributes;
    assert.equal(agent['gen_ai.usage.input_tokens'], undefined, 'token counts only on model calls');
    assert.deepEqual(JSON.parse(agent['langfuse.observation.metadata.usage'] as string), { inputTokens: 10, outputTokens: 4 });
  });

  test('score() posts the documented body, defaults to the current trace and returns the id', async () => {
    const a = client({ environment: 'prod' });
    let traceId = '';
    const id = await a.observe('answer', async (obs) => {
      traceId = obs.traceId;
      return a.score({ name: 'helpfulness', value: 0.8, comment: 'good', metadata: { by: 'judge' } });
    });
    assert.equal(id, 'score-1');
    const posted = collector.requests.filter((r) => r.path === '/api/scores');
    assert.equal(posted.length, 1);
    assert.equal(posted[0].headers.authorization, 'Bearer sk-test');
    assert.deepEqual(posted[0].body, {
      trace_id: traceId,
      name: 'helpfulness',
      value: 0.8,
      data_type: 'NUMERIC',
      comment: 'good',
      metadata: { by: 'judge' },
      environment: 'prod',
    });

    await a.score({ sessionId: 's-9', name: 'resolved', value: true });
    await a.score({ traceId: 't1', observationId: 'o1', name: 'tone', value: 'friendly', id: 'my-id' });
    const [, session, obs] = collector.requests.filter((r) => r.path === '/api/scores').map((r) => r.body);
    assert.deepEqual(session, { session_id: 's-9', name: 'resolved', value: true, data_type: 'BOOLEAN', environment: 'prod' });
    assert.deepEqual(obs, { id: 'my-id', trace_id: 't1', observation_id: 'o1', name: 'tone', value: 'friendly', data_type: 'CATEGORICAL', environment: 'prod' });
  });

  test('score() reports mistakes before sending and the server refusal with its message', async () => {
    const a = client();
    await assert.rejects(a.score({ name: 'x', value: 1 }), /needs a traceId .* or a sessionId/);
    await assert.rejects(a.score({ traceId: 't', name: '', value: 1 }), /non-empty name/);
    await assert.rejects(a.score({ traceId: 't', name: 'x', value: Number.NaN }), /finite number/);
    collector.respond.set('/api/scores', { status: 400, body: { error: { message: 'value "x" does not fit data_type NUMERIC', code: 'bad_request' } } });
    await assert.rejects(a.score({ traceId: 't', name: 'x', value: 'x', dataType: 'NUMERIC' }), (err: unknown) => {
      assert.ok(err instanceof AssayError);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'bad_request');
      assert.match(err.message, /score "x" was refused \(HTTP 400\): value "x" does not fit/);
      return true;
    });
  });

  test('a refused export is reported through onError with the reason', async () => {
    const errors: Error[] = [];
    const a = client({ onError: (e) => errors.push(e) });
    collector.respond.set('/v1/traces', { status: 401, body: { error: { message: 'invalid API key', code: 'unauthorized' } } });
    a.observe('lost', () => 1);
    await a.flush();
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /could not send 1 span\(s\) to http:\/\/127\.0\.0\.1:\d+\/v1\/traces: HTTP 401: invalid API key \(check the API key/);
  });

  test('shutdown() flushes; afterwards code still runs but nothing is sent', async () => {
    const a = client();
    a.observe('before-shutdown', () => 1);
    await a.shutdown();
    assert.equal(collector.spans.length, 1);
    assert.equal(a.observe('after-shutdown', () => 'still runs'), 'still runs');
    await a.flush();
    await a.shutdown();
    assert.equal(collector.spans.length, 1);
  });

  test('configuration: a missing key or a bad host is refused with what to do', () => {
    const saved = process.env.ASSAY_API_KEY;
    delete process.env.ASSAY_API_KEY;
    try {
      assert.throws(() => new Assay({ host: collector.url, flushOnExit: false }), /needs an API key .* ASSAY_API_KEY/);
      assert.throws(() => new Assay({ host: 'localhost:4141', apiKey: 'k', flushOnExit: false }), /not an http\(s\) URL/);
    } finally {
      if (saved !== undefined) process.env.ASSAY_API_KEY = saved;
    }
  });

  test('spans are flushed when the process runs out of work (flushOnExit)', async () => {
    const script = fileURLToPath(new URL('./fixtures/exit.ts', import.meta.url));
    // The child exits on its own (no flush call); the collector runs in this process, so wait asynchronously.
    await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, ASSAY_URL: collector.url, ASSAY_API_KEY: 'sk-env' },
      timeout: 30_000,
    });
    const s = collector.span('exit-span');
    assert.equal(s.attributes['langfuse.observation.output'], 'done');
    assert.equal(collector.requests.find((q) => q.path === '/v1/traces')?.headers.authorization, 'Bearer sk-env');
  });
});
