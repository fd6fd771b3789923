/**
 * Score configs apply to ingested scores too: a Langfuse `score-create` and an OTel
 * `gen_ai.evaluation.result` that do not fit their config are not stored, and the caller is told
 * (the Langfuse event fails alone with 400; OTLP answers partial success naming the evaluation);
 * ones that fit are stored normalized.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAssay, type TestAssay } from './helpers/assay.js';

let assay: TestAssay;

before(async () => {
  assay = await startAssay({});
  const res = await assay.api('/api/score-configs', { method: 'POST', body: JSON.stringify({ name: 'quality', data_type: 'NUMERIC', min: 1, max: 5 }) });
  assert.equal(res.status, 201, await res.clone().text());
});
after(async () => {
  await assay?.stop();
});

const scoresOf = async (traceId: string) =>
  ((await (await assay.api(`/api/scores?trace_id=${traceId}`)).json()) as { data: { name: string; value: number; config_id: string | null }[] }).data;

test('Langfuse ingestion: an out-of-range score fails alone; an in-range one is stored with its config', async () => {
  const traceId = 'lf-trace-1';
  const now = new Date().toISOString();
  const res = await assay.api('/api/public/ingestion', {
    method: 'POST',
    body: JSON.stringify({
      batch: [
        { id: 'e1', type: 'trace-create', timestamp: now, body: { id: traceId, name: 'chat' } },
        { id: 'e2', type: 'score-create', timestamp: now, body: { id: 's-ok', traceId, name: 'quality', value: 4 } },
        { id: 'e3', type: 'score-create', timestamp: now, body: { id: 's-bad', traceId, name: 'quality', value: 9 } },
      ],
    }),
  });
  assert.equal(res.status, 207);
  const body = (await res.json()) as { successes: { id: string }[]; errors: { id: string; status: number; message: string }[] };
  assert.deepEqual(body.successes.map((s) => s.id).sort(), ['e1', 'e2']);
  assert.equal(body.errors.length, 1);
  assert.equal(body.errors[0].id, 'e3');
  assert.equal(body.errors[0].status, 400);
  assert.match(body.errors[0].message, /\[1, 5\]/);
  const stored = await scoresOf(traceId);
  assert.deepEqual(stored.map((s) => [s.name, s.value]), [['quality', 4]]);
  assert.ok(stored[0].config_id, 'stored with its config');
});

test('OTLP: an evaluation result that does not fit its config is named in partialSuccess; the span is stored', async () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const span = (spanId: string, value: number) => ({
    traceId,
    spanId,
    name: 'judge',
    kind: 1,
    startTimeUnixNano: String(Date.now() * 1e6),
    endTimeUnixNano: String((Date.now() + 5) * 1e6),
    events: [{ name: 'gen_ai.evaluation.result', timeUnixNano: String(Date.now() * 1e6), attributes: [
      { key: 'gen_ai.evaluation.name', value: { stringValue: 'quality' } },
      { key: 'gen_ai.evaluation.score.value', value: { doubleValue: value } },
    ] }],
  });
  const res = await assay.api('/v1/traces', {
    method: 'POST',
    body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 't' }, spans: [span('b7ad6b7169203331', 3), span('b7ad6b7169203332', 7)] }] }] }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { partialSuccess?: { rejectedSpans: string; errorMessage: string } };
  assert.ok(body.partialSuccess, 'partial success reported');
  assert.equal(body.partialSuccess.rejectedSpans, '0');
  assert.match(body.partialSuccess.errorMessage, /1 evaluation result\(s\) not stored: evaluation "quality" on span b7ad6b7169203332/);
  const stored = await scoresOf(traceId);
  assert.deepEqual(stored.map((s) => [s.name, s.value]), [['quality', 3]]);
  const t = (await (await assay.api(`/api/traces/${traceId}`)).json()) as { observations: unknown[] };
  assert.equal(t.observations.length, 2, 'both spans stored');
});
