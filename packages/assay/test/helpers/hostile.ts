/**
 * The hostile-input corpus for test/hostile.e2e.test.ts: JSON texts a careless or malicious client
 * sends (deep nesting, lone surrogates, NUL, huge numbers and strings, duplicate and __proto__
 * keys, wrong types), raw bodies (invalid UTF-8, gzip bombs), a fast-check arbitrary that mixes
 * them, and the surfaces they are sent to, each a body template with one slot for the hostile value.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { ExportTraceServiceRequest } from '../../src/tracing/otlp/proto.js';

export type KeyName = 'admin' | 'model' | 'ingest' | 'feedback';

export interface Sent {
  /** Without a body: a GET of `path` (with the hostile value in its query). */
  body?: string | Buffer;
  path?: string;
  headers?: Record<string, string>;
  /** The trace this call writes when it is accepted (checked afterwards through GET /api/traces/:id). */
  traceId?: string;
}

export interface Surface {
  name: string;
  method: 'POST' | 'GET';
  path: string;
  key: KeyName;
  /** How many different places `build` can put the hostile value. */
  slots: number;
  /** A body with the hostile JSON text `h` in one of its slots (`slot` picks which, modulo `slots`). */
  build(h: string, slot: number): Sent;
  /** The trace id of an accepted call, from its answer, when the surface reports it there. */
  acceptedTrace?(res: Response, body: string, sent: Sent): string | null;
}

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

/** Fixed hostile JSON values (as text), each with a name for the report. */
export const FIXED_VALUES: [string, string][] = [
  ['deep array 10k', deep(10_000)],
  ['deep array 50k', deep(50_000)],
  ['deep object 20k', deepObject(20_000)],
  ['lone surrogate', '"a\\ud800b"'],
  ['lone low surrogate', '"\\udc00"'],
  ['NUL', '"a\\u0000b"'],
  ['1e400', '1e400'],
  ['-1e400', '-1e400'],
  ['2**64 as text', '18446744073709551616'],
  ['huge string', JSON.stringify('x'.repeat(900_000))],
  ['duplicate keys', '{"a":1,"a":"two","a":{"a":[]}}'],
  ['toString/valueOf keys', '{"toString":[1],"valueOf":{"a":1}}'],
  ['__proto__ key', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'],
  ['wrong type: array', '[1,"two",null,{}]'],
  ['wrong type: null', 'null'],
  ['wrong type: bool', 'true'],
  ['wrong type: number', '-0'],
];

/** Raw bodies that are not JSON text at all, sent with the surface's content type. */
export const RAW_BODIES: [string, Buffer][] = [
  ['invalid UTF-8', Buffer.concat([Buffer.from('{"model":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1]), Buffer.from('"}')])],
  ['truncated JSON', Buffer.from('{"a":[1,2')],
  ['binary noise', randomBytes(4096)],
  ['empty', Buffer.alloc(0)],
];

/** A gzip body that inflates to `mib` MiB of zeros: one compressed MiB repeated as gzip members (1 GiB ≈ 1 MB sent). */
export function gzipBomb(mib: number): Buffer {
  const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
  return Buffer.concat(Array.from({ length: mib }, () => member));
}

const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'a', 'a', '', '\u0000', 'model', 'messages', 'metadata', 'id', 'name'];

/** Strings as JSON text, including lone surrogates (JSON.stringify escapes them) and control characters. */
const jsonString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\u202e"', `"${'é'.repeat(50)}"`),
);
const jsonNumber = fc.oneof(
  fc.double().map((d) => (Number.isFinite(d) ? String(d) : '1e999')),
  fc.constantFrom('1e400', '-1e400', '18446744073709551616', '-9223372036854775809', '0.0000000000000000000001', '-0', '1E+2'),
  fc.bigInt().map(String),
);

/** Hostile JSON text: any mix of the above, nested, with duplicate and __proto__ keys. */
export const hostileJson: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    jsonString,
    jsonNumber,
    fc.constantFrom('true', 'false', 'null'),
    fc.array(tie('value'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
    fc
      .array(fc.tuple(fc.constantFrom(...KEYS), tie('value')), { maxLength: 4 })
      .map((kv) => `{${kv.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    fc.integer({ min: 100, max: 20_000 }).map((n) => deep(n)),
  ),
})).value;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const json = { 'content-type': 'application/json' };

const traceHeader = (res: Response) => res.headers.get('x-assay-trace-id');

/** The OTLP/JSON export of one span with hostile values in its name, attributes and event. */
function otlpJson(h: string, slot: number, traceId: string): string {
  const attr = (v: string) => `{"key":"k","value":{"stringValue":${v}}}`;
  const name = slot % 4 === 0 ? h : '"span"';
  const attrs = slot % 4 === 1 ? `[${attr(h)}]` : slot % 4 === 2 ? h : `[${attr('"v"')},{"key":"m","value":{"kvlistValue":{"values":[{"key":"x","value":${h}}]}}}]`;
  return `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[{"traceId":"${traceId}","spanId":"${hex(8)}","name":${name},"kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000","attributes":${attrs}}]}]}]}`;
}

/** The same as protobuf: hostile JS values (parsed leniently from the text) in a string attribute and the name. */
function otlpProtobuf(h: string, slot: number, traceId: string): Buffer {
  let text: string;
  try {
    const v: unknown = JSON.parse(h);
    text = typeof v === 'string' ? v : h.slice(0, 100_000);
  } catch {
    text = h.slice(0, 100_000);
  }
  const span = {
    traceId: Buffer.from(traceId, 'hex'),
    spanId: randomBytes(8),
    name: slot % 2 ? text : 'span',
    kind: 1,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000001000000000',
    attributes: [{ key: slot % 2 ? 'k' : text, value: { stringValue: text } }],
  };
  const msg = ExportTraceServiceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
  return Buffer.from(ExportTraceServiceRequest.encode(msg).finish());
}

const varint = (n: number): Buffer => {
  const out: number[] = [];
  for (; n > 127; n = Math.floor(n / 128)) out.push((n % 128) | 128);
  out.push(n);
  return Buffer.from(out);
};
/** A length-delimited protobuf field. */
const field = (no: number, bytes: Buffer) => Buffer.concat([varint((no << 3) | 2), varint(bytes.length), bytes]);

/**
 * An OTLP/protobuf export whose one span has an attribute nested `levels` deep (AnyValue →
 * kvlist_value → KeyValue → value …), written by hand: encoders recurse and would overflow first.
 */
export function deepProtobuf(levels: number, traceId: string): Buffer {
  let value = field(1, Buffer.from('leaf')); // AnyValue.string_value
  for (let i = 0; i < levels; i++) value = field(6, field(1, Buffer.concat([field(1, Buffer.from('k')), field(2, value)])));
  const fixed64 = (ms: number) => {
    const b = Buffer.alloc(9);
    b[0] = (7 << 3) | 1;
    b.writeBigUInt64LE(BigInt(ms) * 1_000_000n, 1);
    return b;
  };
  const end = fixed64(1_700_000_001_000);
  end[0] = (8 << 3) | 1;
  const span = Buffer.concat([
    field(1, Buffer.from(traceId, 'hex')), field(2, randomBytes(8)), field(5, Buffer.from('deep')),
    fixed64(1_700_000_000_000), end, field(9, Buffer.concat([field(1, Buffer.from('deep')), field(2, value)])),
  ]);
  return field(1, field(2, field(2, span)));
}

function langfuseBatch(h: string, slot: number, traceId: string): string {
  const body = [
    `{"id":"${traceId}","name":${h}}`,
    `{"id":"${traceId}","name":"t","metadata":${h}}`,
    `{"id":"${traceId}","name":"t","input":${h},"output":${h}}`,
    `{"id":"${traceId}","name":"t","tags":${h}}`,
  ][slot % 4];
  return `{"batch":[{"id":"ev-${hex(6)}","type":"trace-create","timestamp":"2026-01-01T00:00:00.000Z","body":${body}}]}`;
}

/** Every surface the corpus is sent to. */
export function surfaces(): Surface[] {
  const chatBodies = [
    (h: string) => `{"model":"up/m","messages":[{"role":"user","content":${h}}]}`,
    (h: string) => `{"model":"up/m","messages":[{"role":"user","content":"hi"}],"metadata":${h}}`,
    (h: string) => `{"model":"up/m","messages":[{"role":"user","content":"hi"}],"extra_field":${h}}`,
    (h: string) => `{"model":"up/m","messages":[{"role":"user","content":"hi"}],"user":${h}}`,
    (h: string) => `{"model":"up/m","messages":[{"role":"user","content":"hi"}],"max_tokens":${h},"temperature":${h}}`,
    (h: string) => `{"model":${h},"messages":${h}}`,
    (h: string) => `{"model":"up/m","messages":[{"role":"user","content":"hi"}],"assay":${h}}`,
    (h: string) => h,
  ];
  return [
    {
      name: 'chat', slots: chatBodies.length, method: 'POST', path: '/v1/chat/completions', key: 'model',
      build: (h, slot) => ({ body: chatBodies[slot % chatBodies.length](h), headers: json }),
      acceptedTrace: traceHeader,
    },
    {
      name: 'embeddings', slots: 3, method: 'POST', path: '/v1/embeddings', key: 'model',
      build: (h, slot) => ({ body: [`{"model":"up/e","input":${h}}`, `{"model":"up/e","input":"hi","user":${h}}`, h][slot % 3], headers: json }),
      acceptedTrace: traceHeader,
    },
    {
      name: 'otlp json', slots: 4, method: 'POST', path: '/v1/traces', key: 'ingest',
      build: (h, slot) => {
        const traceId = hex(16);
        return { body: otlpJson(h, slot, traceId), headers: json, traceId };
      },
      acceptedTrace: (_res, body, sent) => (body.includes('rejectedSpans') ? null : sent.traceId ?? null),
    },
    {
      name: 'otlp protobuf', slots: 2, method: 'POST', path: '/v1/traces', key: 'ingest',
      build: (h, slot) => {
        const traceId = hex(16);
        return { body: otlpProtobuf(h, slot, traceId), headers: { 'content-type': 'application/x-protobuf' }, traceId };
      },
      acceptedTrace: (res, _body, sent) => (res.headers.get('content-type')?.includes('protobuf') ? sent.traceId ?? null : null),
    },
    {
      name: 'langfuse ingestion', slots: 4, method: 'POST', path: '/api/public/ingestion', key: 'ingest',
      build: (h, slot) => {
        const traceId = `lf-${hex(8)}`;
        return { body: langfuseBatch(h, slot, traceId), headers: json, traceId };
      },
      acceptedTrace: (res, body, sent) => (res.status === 207 && (JSON.parse(body) as { errors: unknown[] }).errors.length === 0 ? sent.traceId ?? null : null),
    },
    { name: 'datasets', slots: 2, method: 'POST', path: '/api/datasets', key: 'admin', build: (h, s) => ({ body: [`{"name":${h}}`, `{"name":"ds-${hex(4)}","metadata":${h},"description":${h}}`][s % 2], headers: json }) },
    { name: 'dataset items', slots: 2, method: 'POST', path: '/api/datasets/hostile/items', key: 'admin', build: (h, s) => ({ body: [`{"items":[{"input":${h},"expected_output":${h}}]}`, `{"items":${h}}`][s % 2], headers: json }) },
    { name: 'prompts', slots: 3, method: 'POST', path: '/api/prompts', key: 'admin', build: (h, s) => ({ body: [`{"name":"p-${hex(4)}","prompt":${h}}`, `{"name":${h},"prompt":"x"}`, `{"name":"p-${hex(4)}","messages":${h},"config":${h}}`][s % 3], headers: json }) },
    { name: 'scores', slots: 2, method: 'POST', path: '/api/scores', key: 'admin', build: (h, s) => ({ body: [`{"trace_id":"t-${hex(4)}","name":"q","value":${h}}`, `{"trace_id":${h},"name":${h},"value":1,"metadata":${h}}`][s % 2], headers: json }) },
    { name: 'kb', slots: 1, method: 'POST', path: '/api/kb', key: 'admin', build: (h) => ({ body: `{"name":${h},"description":${h}}`, headers: json }) },
    { name: 'memory', slots: 1, method: 'POST', path: '/api/memory/u1', key: 'admin', build: (h) => ({ body: `{"content":${h},"metadata":${h}}`, headers: json }) },
    { name: 'score configs', slots: 2, method: 'POST', path: '/api/score-configs', key: 'admin', build: (h, s) => ({ body: [`{"name":${h},"data_type":${h}}`, `{"name":"c-${hex(4)}","data_type":"NUMERIC","min_value":${h},"max_value":${h},"categories":${h}}`][s % 2], headers: json }) },
    { name: 'alerts', slots: 2, method: 'POST', path: '/api/alerts', key: 'admin', build: (h, s) => ({ body: [`{"name":${h},"metric":${h},"threshold":${h}}`, h][s % 2], headers: json }) },
    { name: 'channels', slots: 2, method: 'POST', path: '/api/channels', key: 'admin', build: (h, s) => ({ body: [`{"name":"ch","type":"webhook","config":{"url":${h},"headers":${h}}}`, `{"name":${h},"type":${h},"config":${h}}`][s % 2], headers: json }) },
    { name: 'budgets', slots: 1, method: 'POST', path: '/api/budgets', key: 'admin', build: (h) => ({ body: `{"name":${h},"limit_usd":${h},"window":${h},"scope":${h}}`, headers: json }) },
    { name: 'queues', slots: 2, method: 'POST', path: '/api/queues', key: 'admin', build: (h, s) => ({ body: [`{"name":${h},"questions":${h}}`, `{"name":"q-${hex(4)}","questions":[{"id":"x","kind":"boolean","prompt":${h}}],"annotators":${h}}`][s % 2], headers: json }) },
    { name: 'keys', slots: 2, method: 'POST', path: '/api/keys', key: 'admin', build: (h, s) => ({ body: [`{"name":${h},"scopes":${h}}`, `{"name":"k","scopes":["model"],"models":${h},"policy":${h}}`][s % 2], headers: json }) },
    { name: 'kb search', slots: 1, method: 'POST', path: '/api/kb/none/search', key: 'admin', build: (h) => ({ body: `{"query":${h},"top_k":${h}}`, headers: json }) },
    {
      // Free text (q) is searched once, in its own test: each search reads every stored body.
      name: 'trace list query', slots: 4, method: 'GET', path: '/api/traces', key: 'admin',
      build: (h, s) => ({ path: `/api/traces?${['limit', 'user', 'from', 'tag'][s % 4]}=${encodeURIComponent(h.slice(0, 4000))}&cursor=${encodeURIComponent(h.slice(0, 200))}` }),
    },
    { name: 'metrics query', slots: 1, method: 'GET', path: '/api/metrics', key: 'admin', build: (h) => ({ path: `/api/metrics?group_by=${encodeURIComponent(h.slice(0, 4000))}&from=${encodeURIComponent(h.slice(0, 100))}` }) },
    {
      name: 'feedback', slots: 2, method: 'POST', path: '/api/public/feedback', key: 'feedback',
      build: (h, s) => ({ body: [`{"trace_id":"t-1","value":${h},"comment":${h}}`, `{"trace_id":${h},"value":"up","metadata":${h}}`][s % 2], headers: json }),
    },
  ];
}
