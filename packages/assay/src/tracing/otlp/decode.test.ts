import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../../errors.js';
import { decodeJson, decodeProtobuf } from './decode.js';
import { ExportTraceServiceRequest, ExportTraceServiceResponse, RpcStatus, encodeResponse, encodeStatus } from './proto.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

function request(spans: unknown[], resourceAttrs: unknown[] = [{ key: 'service.name', value: { stringValue: 'app' } }]) {
  return { resourceSpans: [{ resource: { attributes: resourceAttrs }, scopeSpans: [{ scope: { name: 'instr', version: '1.0' }, spans }] }] };
}

const baseSpan = {
  traceId: TRACE,
  spanId: SPAN,
  parentSpanId: '',
  name: 'chat gpt-4o',
  kind: 3,
  startTimeUnixNano: '1718000000000000000',
  endTimeUnixNano: '1718000001200000000',
  status: { code: 0, message: '' },
};

function assertBadRequest(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => err instanceof AssayError && err.status === 400 && pattern.test(err.message));
}

test('OTLP/JSON: ids lowercased, times to ms, every AnyValue kind converted', () => {
  const d = decodeJson(
    JSON.stringify(
      request([
        {
          ...baseSpan,
          traceId: TRACE.toUpperCase(),
          attributes: [
            { key: 's', value: { stringValue: 'x' } },
            { key: 'i', value: { intValue: '31' } },
            { key: 'inum', value: { intValue: 7 } },
            { key: 'big', value: { intValue: '9223372036854775807' } },
            { key: 'd', value: { doubleValue: 0.5 } },
            { key: 'b', value: { boolValue: true } },
            { key: 'bytes', value: { bytesValue: 'aGVsbG8=' } },
            { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } } },
            { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } } },
            { key: 'empty', value: {} },
          ],
          events: [{ timeUnixNano: 1718000000500000000, name: 'e', attributes: [] }],
          links: [{ traceId: TRACE, spanId: SPAN, attributes: [] }],
        },
      ]),
    ),
  );
  assert.equal(d.rejected, 0);
  const s = d.spans[0];
  assert.equal(s.traceId, TRACE);
  assert.equal(s.spanId, SPAN);
  assert.equal(s.parentSpanId, null);
  assert.equal(s.startMs, 1718000000000);
  assert.equal(s.endMs, 1718000001200);
  assert.equal(s.kind, 3);
  assert.deepEqual(s.attributes, {
    s: 'x', i: 31, inum: 7, big: '9223372036854775807', d: 0.5, b: true, bytes: 'aGVsbG8=', arr: ['a', 2], kv: { k: false }, empty: null,
  });
  assert.equal(s.events[0].timeMs, 1718000000500);
  assert.deepEqual(s.resource, { 'service.name': 'app' });
  assert.deepEqual(s.scope, { name: 'instr', version: '1.0' });
  assert.equal(s.links[0].spanId, SPAN);
});

test('base64 ids (24 chars for a trace id, 12 for a span id) are normalised to hex', () => {
  const traceB64 = Buffer.from(TRACE, 'hex').toString('base64');
  const spanB64 = Buffer.from(SPAN, 'hex').toString('base64');
  assert.equal(traceB64.length, 24);
  assert.equal(spanB64.length, 12);
  const parentB64 = Buffer.from('0102030405060708', 'hex').toString('base64');
  const d = decodeJson(JSON.stringify(request([{ ...baseSpan, traceId: traceB64, spanId: spanB64, parentSpanId: parentB64 }])));
  assert.equal(d.rejected, 0);
  assert.equal(d.spans[0].traceId, TRACE);
  assert.equal(d.spans[0].spanId, SPAN);
  assert.equal(d.spans[0].parentSpanId, '0102030405060708');
});

test('spans with bad ids or missing times are rejected alone, with reasons', () => {
  const d = decodeJson(
    JSON.stringify(
      request([
        baseSpan,
        { ...baseSpan, spanId: 'nothex!!', name: 'bad-span-id' },
        { ...baseSpan, traceId: '0'.repeat(32), name: 'zero-trace' },
        { ...baseSpan, startTimeUnixNano: undefined, name: 'no-start' },
        { ...baseSpan, endTimeUnixNano: '0', name: 'no-end' },
        { ...baseSpan, parentSpanId: 'abc', name: 'bad-parent' },
      ]),
    ),
  );
  assert.equal(d.spans.length, 1);
  assert.equal(d.rejected, 5);
  assert.match(d.reasons.join('\n'), /bad-span-id.*spanId/);
  assert.match(d.reasons.join('\n'), /zero-trace.*traceId/);
  assert.match(d.reasons.join('\n'), /no-start.*startTimeUnixNano/);
  assert.match(d.reasons.join('\n'), /no-end.*endTimeUnixNano/);
  assert.match(d.reasons.join('\n'), /bad-parent.*parentSpanId/);
});

test('undecodable bodies are 400s that say what is wrong', () => {
  assertBadRequest(() => decodeJson('{"resourceSpans": ['), /not valid JSON/);
  assertBadRequest(() => decodeJson(''), /empty/);
  assertBadRequest(() => decodeJson('[1,2]'), /JSON object/);
  assertBadRequest(() => decodeJson('{"resourceSpans": {}}'), /resourceSpans must be a list/);
  assertBadRequest(() => decodeJson(JSON.stringify(request([{ ...baseSpan, attributes: [{ value: {} }] }]))), /attributes\[0\] must be a KeyValue/);
  let deep: unknown = { stringValue: 'x' };
  for (let i = 0; i < 40; i++) deep = { arrayValue: { values: [deep] } };
  assertBadRequest(() => decodeJson(JSON.stringify(request([{ ...baseSpan, attributes: [{ key: 'k', value: deep }] }]))), /nested deeper/);
  assertBadRequest(() => decodeProtobuf(Buffer.from('this is not a protobuf message at all')), /not a protobuf ExportTraceServiceRequest/);
  assert.deepEqual(decodeJson('{}'), { spans: [], rejected: 0, reasons: [] });
  assert.deepEqual(decodeProtobuf(new Uint8Array(0)), { spans: [], rejected: 0, reasons: [] });
});

test('protobuf: bytes ids, fixed64 times and int64 values decode to the same shape as JSON', () => {
  const msg = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'app' } }] },
        scopeSpans: [
          {
            scope: { name: 'instr' },
            spans: [
              {
                traceId: Buffer.from(TRACE, 'hex'),
                spanId: Buffer.from(SPAN, 'hex'),
                name: 'chat',
                kind: 3,
                startTimeUnixNano: '1718000000000000000',
                endTimeUnixNano: '1718000001200000000',
                attributes: [
                  { key: 'n', value: { intValue: '31' } },
                  { key: 'bytes', value: { bytesValue: Buffer.from('hello') } },
                  { key: 'str', value: { stringValue: '' } },
                ],
                status: { code: 2, message: 'boom' },
              },
              { traceId: Buffer.from('abcd', 'hex'), spanId: Buffer.from(SPAN, 'hex'), name: 'short-trace', startTimeUnixNano: '1', endTimeUnixNano: '2' },
            ],
          },
        ],
      },
    ],
  });
  const d = decodeProtobuf(ExportTraceServiceRequest.encode(msg).finish());
  assert.equal(d.rejected, 1);
  const s = d.spans[0];
  assert.equal(s.traceId, TRACE);
  assert.equal(s.spanId, SPAN);
  assert.equal(s.parentSpanId, null);
  assert.equal(s.startMs, 1718000000000);
  assert.equal(s.endMs - s.startMs, 1200);
  assert.deepEqual(s.attributes, { n: 31, bytes: 'aGVsbG8=', str: '' });
  assert.equal(s.statusCode, 2);
  assert.equal(s.statusMessage, 'boom');
  assert.deepEqual(s.scope, { name: 'instr', version: null });
});

test('responses encode: empty success, partial success, google.rpc.Status', () => {
  assert.equal(encodeResponse().length, 0);
  const partial = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(encodeResponse({ rejectedSpans: 2, errorMessage: 'bad' })), { longs: Number });
  assert.deepEqual(partial, { partialSuccess: { rejectedSpans: 2, errorMessage: 'bad' } });
  assert.deepEqual(RpcStatus.toObject(RpcStatus.decode(encodeStatus(3, 'nope'))), { code: 3, message: 'nope' });
});
