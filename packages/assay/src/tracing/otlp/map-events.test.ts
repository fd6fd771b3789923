/** Mapping of span status, events, links and unmapped attributes; evaluation events → scores. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attributes, OtlpEvent } from './decode.js';
import { mapSpans } from './map.js';

import { attrs, KEY, one, span, TRACE } from './test-spans.js';

test('unmapped attributes, events and links are kept in metadata; errors become status and level', () => {
  const events: OtlpEvent[] = [
    { timeMs: 1718000000100, name: 'exception', attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'took too long' } },
    { timeMs: 1718000000200, name: 'cache.miss', attributes: { key: 'k1' } },
  ];
  const o = one(
    span(
      { 'app.feature': 'search', 'custom.nested': { a: [1, 2] }, 'http.response.status_code': 504, 'gen_ai.usage.cost': 0.004, 'gen_ai.request.model': 'm' },
      {
        statusCode: 2,
        events,
        links: [{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), attributes: { why: 'retry' } }],
        kind: 1,
      },
    ),
  );
  assert.equal(o.status, 'error');
  assert.equal(o.level, 'ERROR');
  assert.equal(o.error, 'TimeoutError: took too long');
  assert.equal(o.status_code, 504);
  assert.equal(o.cost, 0.004);
  assert.deepEqual(o.cost_details, { total: 0.004, source: 'provider' });
  assert.deepEqual(attrs(o), { 'app.feature': 'search', 'custom.nested': { a: [1, 2] } });
  assert.equal((o.metadata?.events as unknown[]).length, 2);
  assert.deepEqual(o.metadata?.links, [{ trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), attributes: { why: 'retry' } }]);
  assert.equal(o.metadata?.span_kind, 'INTERNAL');
  const msg = one(span({}, { statusCode: 2, statusMessage: 'upstream 500' }));
  assert.equal(msg.error, 'upstream 500');
  const lf = one(span({ 'langfuse.observation.level': 'ERROR', 'langfuse.observation.status_message': 'bad answer' }));
  assert.equal(lf.status, 'error');
  assert.equal(lf.error, 'bad answer');
});

test('legacy GenAI content events fill input and output when attributes do not', () => {
  const o = one(
    span(
      { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' },
      {
        events: [
          { timeMs: 1, name: 'gen_ai.user.message', attributes: { content: 'hi', 'gen_ai.system': 'openai' } },
          { timeMs: 2, name: 'gen_ai.choice', attributes: { index: 0, finish_reason: 'stop', message: '{"content":"yo"}' } },
        ],
      },
    ),
  );
  assert.deepEqual(o.input, [{ role: 'user', content: 'hi' }]);
  assert.deepEqual(o.output, { index: 0, finish_reason: 'stop', message: { content: 'yo' } });
  assert.equal(o.metadata?.events, undefined, 'consumed events are not repeated');
});

test('gen_ai.evaluation.result events become scores with stable ids', () => {
  const evalEvent = (attributes: Attributes): OtlpEvent => ({ timeMs: 1718000000900.7, name: 'gen_ai.evaluation.result', attributes });
  const s = span(
    { 'gen_ai.operation.name': 'chat', 'session.id': 'sess' },
    {
      events: [
        evalEvent({ 'gen_ai.evaluation.name': 'relevance', 'gen_ai.evaluation.score.value': 0.8, 'gen_ai.evaluation.explanation': 'on topic', 'gen_ai.response.id': 'r1' }),
        evalEvent({ 'gen_ai.evaluation.name': 'tone', 'gen_ai.evaluation.score.label': 'polite' }),
        evalEvent({ 'gen_ai.evaluation.name': 'grounded', 'gen_ai.evaluation.score.label': 'true' }),
        { timeMs: 1, name: 'other', attributes: {} },
      ],
    },
  );
  const first = mapSpans([s], KEY);
  const again = mapSpans([s], KEY);
  assert.equal(first.scores.length, 3);
  assert.deepEqual(first.scores.map((x) => x.id), again.scores.map((x) => x.id));
  assert.equal(new Set(first.scores.map((x) => x.id)).size, 3);
  const [num, cat, bool] = first.scores;
  assert.equal(num.data_type, 'NUMERIC');
  assert.equal(num.value, 0.8);
  assert.equal(num.comment, 'on topic');
  assert.equal(num.name, 'relevance');
  assert.equal(num.trace_id, TRACE);
  assert.equal(num.observation_id, s.spanId);
  assert.equal(num.session_id, 'sess');
  assert.equal(num.source, 'otel');
  assert.equal(num.author, 'key_1');
  assert.equal(num.timestamp, 1718000000900);
  assert.deepEqual(num.metadata, { 'gen_ai.response.id': 'r1' });
  assert.equal(cat.data_type, 'CATEGORICAL');
  assert.equal(cat.string_value, 'polite');
  assert.equal(cat.value, null);
  assert.equal(bool.data_type, 'BOOLEAN');
  assert.equal(bool.value, 1);
  const evs = first.observations[0].metadata?.events as { name: string }[];
  assert.deepEqual(evs.map((e) => e.name), ['other'], 'evaluation events are scores, not metadata events');
});
