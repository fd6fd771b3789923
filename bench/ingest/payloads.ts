/**
 * OTLP/protobuf export bodies made by the real OpenTelemetry SDK and serializer: traces of an
 * agent (root) with a chat generation, a retrieval, a tool call and a second generation, with
 * GenAI attributes and bodies, as an instrumented app would send them. Every span id is new.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';

export const SPANS_PER_TRACE = 5;

export interface Payload {
  body: Uint8Array;
  spans: number;
  /** The root span name of one trace in the payload, unique in the run: probed for visibility. */
  probe: string;
  /** Its start time (epoch ms), so the probe is a cheap time-range query. */
  probeStart: number;
}

export function makePayloads(count: number, tracesPerPayload: number, runId: string): Payload[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-app', 'deployment.environment.name': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('bench', '1.0.0');
  const out: Payload[] = [];
  let n = 0;
  for (let p = 0; p < count; p++) {
    exporter.reset();
    let probe = '';
    let probeStart = 0;
    for (let t = 0; t < tracesPerPayload; t++) {
      const name = `${runId}-${n++}`;
      const startTime = Date.now();
      if (t === 0) [probe, probeStart] = [name, startTime];
      tracer.startActiveSpan(name, { startTime, attributes: { 'langfuse.observation.type': 'agent', 'user.id': `user-${n % 97}`, 'session.id': `s-${n % 1000}` } }, (root) => {
        for (const step of ['chat', 'retrieve', 'tool', 'chat']) {
          const s = tracer.startSpan(step === 'chat' ? 'chat gpt-4o-mini' : step, {
            attributes:
              step === 'chat'
                ? {
                    'gen_ai.operation.name': 'chat',
                    'gen_ai.provider.name': 'openai',
                    'gen_ai.request.model': 'gpt-4o-mini',
                    'gen_ai.usage.input_tokens': 420,
                    'gen_ai.usage.output_tokens': 64,
                    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `question ${n} about the product manual` }] }]),
                    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'an answer of a few sentences' }], finish_reason: 'stop' }]),
                  }
                : step === 'retrieve'
                  ? { 'openinference.span.kind': 'RETRIEVER', 'input.value': `query ${n}`, 'retrieval.top_k': 5 }
                  : { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup', 'http.route': '/lookup' },
          });
          s.end();
        }
        root.end();
      });
    }
    const spans = exporter.getFinishedSpans();
    out.push({ body: ProtobufTraceSerializer.serializeRequest([...spans])!, spans: spans.length, probe, probeStart });
  }
  return out;
}
