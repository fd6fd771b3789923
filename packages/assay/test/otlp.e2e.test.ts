/**
 * OTLP/HTTP trace ingest with the real OpenTelemetry SDK as the sender (protobuf and JSON exporters,
 * gzip), on SQLite and PostgreSQL; plus the error replies a raw client gets.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExportTraceServiceResponse, RpcStatus } from '../src/tracing/otlp/proto.js';
import { startAssay, type TestAssay } from './helpers/assay.js';
import { storeKinds } from './helpers/stores.js';

const LIMIT = 64 * 1024;
type Obs = Record<string, any>;
type Exporter = ProtoExporter | JsonExporter;
type Compression = NonNullable<ConstructorParameters<typeof JsonExporter>[0]>['compression'];

for (const kind of storeKinds) {
  describe(`OTLP ingest on ${kind.name}`, { skip: kind.skip }, () => {
    let assay: TestAssay;
    let store: ReturnType<(typeof kind)['make']>;
    let ingestKey: { id: string; key: string };

    before(async () => {
      store = kind.make();
      assay = await startAssay({ ingest: { max_body_bytes: LIMIT } }, { databaseUrl: store.url });
      const res = await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'otel', scopes: ['ingest'] }) });
      assert.equal(res.status, 201);
      ingestKey = (await res.json()) as { id: string; key: string };
    });
    after(async () => {
      await assay?.stop();
      await store?.cleanup();
    });

    /** An agent span with one chat generation under it, sent through a real tracer provider. */
    async function sendTrace(exporter: Exporter) {
      const memory = new InMemorySpanExporter();
      const provider = new NodeTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'e2e-app', 'deployment.environment.name': 'test' }),
        spanProcessors: [new SimpleSpanProcessor(exporter), new SimpleSpanProcessor(memory)],
      });
      const tracer = provider.getTracer('e2e-instr', '1.2.3');
      const root = tracer.startSpan('invoke_agent planner', {
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 40, 'gen_ai.usage.output_tokens': 8 },
      });
      const child = tracer.startSpan(
        'chat gpt-4o',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.usage.input_tokens': 40,
            'gen_ai.usage.output_tokens': 8,
            'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]),
            'langfuse.user.id': 'u-e2e',
            'langfuse.trace.tags': ['e2e', 'otel'],
            'app.custom': 'kept',
            'app.list': [1, 2, 3],
          },
        },
        trace.setSpan(context.active(), root),
      );
      child.addEvent('gen_ai.evaluation.result', {
        'gen_ai.evaluation.name': 'relevance',
        'gen_ai.evaluation.score.value': 0.75,
        'gen_ai.evaluation.explanation': 'mostly on topic',
      });
      child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
      child.end();
      root.end();
      await provider.forceFlush();
      const spans = memory.getFinishedSpans();
      await provider.shutdown();
      return { traceId: root.spanContext().traceId, rootId: root.spanContext().spanId, childId: child.spanContext().spanId, spans };
    }

    async function getTrace(traceId: string): Promise<Obs[]> {
      const res = await assay.api(`/api/traces/${traceId}`);
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { observations: Obs[] }).observations;
    }

    function resend(exporter: Exporter, spans: ReadableSpan[]): Promise<number> {
      return new Promise((resolve) => exporter.export(spans, (r) => resolve(r.code)));
    }

    const cases: { name: string; path: string; make: (url: string, auth: string) => Exporter }[] = [
      { name: 'protobuf exporter', path: '/v1/traces', make: (url, auth) => new ProtoExporter({ url, headers: { authorization: auth } }) },
      {
        name: 'JSON exporter with gzip',
        path: '/v1/traces',
        make: (url, auth) => new JsonExporter({ url, headers: { authorization: auth }, compression: 'gzip' as Compression }),
      },
      {
        name: 'protobuf exporter with gzip on the Langfuse path and Basic auth',
        path: '/api/public/otel/v1/traces',
        make: (url) =>
          new ProtoExporter({
            url,
            headers: { authorization: `Basic ${Buffer.from(`${ingestKey.id}:${ingestKey.key}`).toString('base64')}` },
            compression: 'gzip' as Compression,
          }),
      },
    ];

    for (const c of cases) {
      test(`${c.name}: spans are mapped, stored once, and evaluation events become scores`, async () => {
        const exporter = c.make(assay.url + c.path, `Bearer ${ingestKey.key}`);
        const sent = await sendTrace(exporter);
        const observations = await getTrace(sent.traceId);
        assert.equal(observations.length, 2);
        const gen = observations.find((o) => o.id === sent.childId)!;
        const agent = observations.find((o) => o.id === sent.rootId)!;
        assert.equal(gen.type, 'generation');
        assert.equal(gen.parent_id, sent.rootId);
        assert.equal(gen.model, 'gpt-4o');
        assert.equal(gen.provider, 'openai');
        assert.deepEqual([gen.input_tokens, gen.output_tokens, gen.total_tokens], [40, 8, 48]);
        assert.deepEqual(gen.input, [{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]);
        assert.equal(gen.user_id, 'u-e2e');
        assert.deepEqual(gen.tags, ['e2e', 'otel']);
        assert.equal(gen.environment, 'test');
        assert.equal(gen.status, 'error');
        assert.equal(gen.level, 'ERROR');
        assert.equal(gen.error, 'rate limited');
        assert.equal(gen.key_id, ingestKey.id);
        assert.deepEqual(gen.metadata.attributes, { 'app.custom': 'kept', 'app.list': [1, 2, 3] });
        assert.equal(gen.metadata.resource['service.name'], 'e2e-app');
        assert.deepEqual(gen.metadata.scope, { name: 'e2e-instr', version: '1.2.3' });
        assert.equal(gen.metadata.span_kind, 'CLIENT');
        assert.ok(gen.latency_ms >= 0);
        assert.equal(agent.type, 'agent');
        assert.equal(agent.parent_id, null);
        assert.equal(agent.input_tokens, null, 'the roll-up does not repeat its child usage in token columns');
        assert.deepEqual(agent.metadata.usage, { input_tokens: 40, output_tokens: 8, total_tokens: 48 });

        let scores = await assay.deps.store.scores.list({ projectId: 'default', traceId: sent.traceId }, 10);
        assert.equal(scores.data.length, 1);
        const score = scores.data[0];
        assert.equal(score.name, 'relevance');
        assert.equal(score.value, 0.75);
        assert.equal(score.data_type, 'NUMERIC');
        assert.equal(score.comment, 'mostly on topic');
        assert.equal(score.observation_id, sent.childId);
        assert.equal(score.source, 'otel');
        assert.equal(score.author, ingestKey.id);

        // An exporter resending the same batch writes nothing twice.
        assert.equal(await resend(exporter, sent.spans), 0, 'the resend is acknowledged');
        assert.equal((await getTrace(sent.traceId)).length, 2);
        scores = await assay.deps.store.scores.list({ projectId: 'default', traceId: sent.traceId }, 10);
        assert.equal(scores.data.length, 1);
        await exporter.shutdown();
      });
    }

    const raw = (path: string, body: RequestInit['body'], headers: Record<string, string>) =>
      fetch(assay.url + path, { method: 'POST', body, headers: { authorization: `Bearer ${ingestKey.key}`, ...headers } });

    const span = (over: Record<string, unknown> = {}) => ({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      name: 'raw',
      startTimeUnixNano: String(Date.now() * 1e6),
      endTimeUnixNano: String(Date.now() * 1e6 + 5e6),
      ...over,
    });
    const otlpJson = (spans: unknown[]) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

    test('JSON with a charset, partial success for invalid spans, the valid ones written', async () => {
      const good = span({ spanId: 'aaaaaaaaaaaaaaa1', attributes: [{ key: 'gen_ai.request.model', value: { stringValue: 'm' } }] });
      const res = await raw('/v1/traces', otlpJson([good, span({ spanId: 'short', name: 'broken' })]), { 'content-type': 'application/json; charset=utf-8' });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const body = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
      assert.equal(Number(body.partialSuccess.rejectedSpans), 1);
      assert.match(body.partialSuccess.errorMessage, /broken.*spanId/);
      const obs = await getTrace('5b8efff798038103d269b633813fc60c');
      assert.ok(obs.some((o) => o.id === 'aaaaaaaaaaaaaaa1' && o.type === 'generation'));
      // a fully valid request answers an empty ExportTraceServiceResponse
      const ok = await raw('/v1/traces', otlpJson([span({ spanId: 'aaaaaaaaaaaaaaa2' })]), { 'content-type': 'application/json' });
      assert.deepEqual(await ok.json(), {});
      const empty = await raw('/v1/traces', new Uint8Array(0), { 'content-type': 'application/x-protobuf' });
      assert.equal(empty.status, 200);
      assert.equal(empty.headers.get('content-type'), 'application/x-protobuf');
      assert.deepEqual(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(new Uint8Array(await empty.arrayBuffer()))), {});
    });

    test('errors: 415, 400 (garbage protobuf, bad JSON, bad gzip), 413 (size, gzip bomb), 401, 403, 503', async () => {
      let res = await raw('/v1/traces', 'hello', { 'content-type': 'text/plain' });
      assert.equal(res.status, 415);
      let status = (await res.json()) as { code: number; message: string };
      assert.match(status.message, /application\/x-protobuf/);
      assert.match(status.message, /application\/json/);

      res = await raw('/v1/traces', Buffer.from('this is not a protobuf message'), { 'content-type': 'application/x-protobuf' });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
      const decoded = RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await res.arrayBuffer()))) as { code: number; message: string };
      assert.equal(decoded.code, 3);
      assert.match(decoded.message, /not a protobuf ExportTraceServiceRequest/);

      res = await raw('/v1/traces', '{"resourceSpans": [', { 'content-type': 'application/json' });
      assert.equal(res.status, 400);
      status = (await res.json()) as { code: number; message: string };
      assert.equal(status.code, 3);
      assert.match(status.message, /not valid JSON/);

      res = await raw('/v1/traces', Buffer.from('not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { message: string }).message, /not valid gzip/);

      const big = otlpJson([span({ attributes: [{ key: 'big', value: { stringValue: 'x'.repeat(LIMIT) } }] })]);
      res = await raw('/v1/traces', big, { 'content-type': 'application/json' });
      assert.equal(res.status, 413);
      assert.match(((await res.json()) as { message: string }).message, /ingest\.max_body_bytes/);

      const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
      assert.ok(bomb.length < LIMIT, 'the compressed bomb itself is under the limit');
      res = await raw('/v1/traces', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      assert.equal(res.status, 413);
      assert.match(((await res.json()) as { message: string }).message, /decompressed/);

      res = await fetch(`${assay.url}/v1/traces`, { method: 'POST', body: otlpJson([]), headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { code: number }).code, 16);

      const modelKey = (await (await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'm', scopes: ['model'] }) })).json()) as { key: string };
      res = await fetch(`${assay.url}/api/public/otel/v1/traces`, {
        method: 'POST',
        body: otlpJson([]),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${modelKey.key}` },
      });
      assert.equal(res.status, 403);
      status = (await res.json()) as { code: number; message: string };
      assert.equal(status.code, 7);
      assert.match(status.message, /ingest/);

      const ingest = assay.deps.ingest;
      const original = ingest.observations;
      ingest.observations = async () => {
        throw new Error('disk full');
      };
      try {
        res = await raw('/v1/traces', otlpJson([span({ spanId: 'aaaaaaaaaaaaaaa3' })]), { 'content-type': 'application/json' });
      } finally {
        ingest.observations = original;
      }
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.match(((await res.json()) as { message: string }).message, /disk full/);
    });
  });
}
