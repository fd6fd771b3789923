/**
 * OTLP trace requests (protobuf or JSON) → one normalised shape: lowercase hex ids, times in epoch
 * milliseconds, attributes as plain JS values. Structural problems (undecodable body, a list that is
 * not a list) are a 400 naming the path; a span with bad ids or missing times is rejected alone and
 * counted, so the rest of the batch is still written (OTLP partial success).
 */
import { badRequest } from '../../errors.js';
import { ExportTraceServiceRequest } from './proto.js';

export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

export interface OtlpEvent {
  /** Epoch ms (sub-ms precision). */
  timeMs: number;
  name: string;
  attributes: Attributes;
}

export interface OtlpLink {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

export interface OtlpScope {
  name: string;
  version: string | null;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Epoch ms with sub-millisecond precision. */
  startMs: number;
  endMs: number;
  attributes: Attributes;
  events: OtlpEvent[];
  links: OtlpLink[];
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
  /** Shared by every span of the same resource / scope. */
  resource: Attributes;
  scope: OtlpScope;
}

export interface DecodedTraces {
  spans: OtlpSpan[];
  /** Spans that could not be accepted, and why (the first few reasons). */
  rejected: number;
  reasons: string[];
}

const MAX_DEPTH = 32;
const MAX_REASONS = 5;
const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

type Obj = Record<string, unknown>;

/** Decode a protobuf ExportTraceServiceRequest. */
export function decodeProtobuf(body: Uint8Array): DecodedTraces {
  let message: unknown;
  try {
    message = ExportTraceServiceRequest.decode(body);
  } catch (err) {
    throw badRequest(
      `The body is not a protobuf ExportTraceServiceRequest (${(err as Error).message}); send OTLP/protobuf with Content-Type application/x-protobuf, or OTLP/JSON with application/json`,
      null,
      'invalid_protobuf',
    );
  }
  return normalise(message as Obj);
}

/** Decode an OTLP/JSON ExportTraceServiceRequest. */
export function decodeJson(text: string): DecodedTraces {
  if (text.trim() === '') {
    throw badRequest('The request body is empty: send an OTLP/JSON ExportTraceServiceRequest such as {"resourceSpans":[…]}', null, 'invalid_json');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`, null, 'invalid_json');
  }
  return decodeJsonValue(value);
}

/** An OTLP/JSON request already parsed (and checked for depth, as http/body.ts parseJson does). */
export function decodeJsonValue(value: unknown): DecodedTraces {
  if (!isObj(value)) throw badRequest('The request body must be a JSON object: an OTLP ExportTraceServiceRequest {"resourceSpans":[…]}', null, 'invalid_request');
  return normalise(value);
}

function normalise(req: Obj): DecodedTraces {
  const out: DecodedTraces = { spans: [], rejected: 0, reasons: [] };
  for (const [i, rs] of list(req, 'resourceSpans', 'resourceSpans')) {
    const rsPath = `resourceSpans[${i}]`;
    if (!isObj(rs)) throw badRequest(`${rsPath} must be an object`, rsPath, 'invalid_request');
    const resourceObj = field(rs, 'resource');
    const resource = isObj(resourceObj) ? attributes(resourceObj, 'attributes', `${rsPath}.resource.attributes`) : {};
    for (const [j, ss] of list(rs, 'scopeSpans', `${rsPath}.scopeSpans`)) {
      const ssPath = `${rsPath}.scopeSpans[${j}]`;
      if (!isObj(ss)) throw badRequest(`${ssPath} must be an object`, ssPath, 'invalid_request');
      const scopeObj = field(ss, 'scope');
      const scope: OtlpScope = isObj(scopeObj)
        ? { name: str(field(scopeObj, 'name')), version: str(field(scopeObj, 'version')) || null }
        : { name: '', version: null };
      for (const [k, span] of list(ss, 'spans', `${ssPath}.spans`)) {
        const path = `${ssPath}.spans[${k}]`;
        if (!isObj(span)) throw badRequest(`${path} must be an object`, path, 'invalid_request');
        const result = normaliseSpan(span, path, resource, scope);
        if (typeof result === 'string') {
          out.rejected++;
          if (out.reasons.length < MAX_REASONS) out.reasons.push(result);
        } else {
          out.spans.push(result);
        }
      }
    }
  }
  return out;
}

/** A span, or the reason it is rejected. */
function normaliseSpan(span: Obj, path: string, resource: Attributes, scope: OtlpScope): OtlpSpan | string {
  const name = str(field(span, 'name'));
  const label = `${path}${name ? ` ("${name}")` : ''}`;
  const traceId = id(field(span, 'traceId'), 16);
  if (!traceId) return `${label}: traceId must be 16 bytes (32 hex characters), not all zero`;
  const spanId = id(field(span, 'spanId'), 8);
  if (!spanId) return `${label}: spanId must be 8 bytes (16 hex characters), not all zero`;
  const parentRaw = field(span, 'parentSpanId');
  const parentSpanId = isEmptyId(parentRaw) ? null : id(parentRaw, 8);
  if (parentSpanId === null && !isEmptyId(parentRaw)) return `${label}: parentSpanId must be empty or 8 bytes (16 hex characters)`;
  const startMs = nanosToMs(field(span, 'startTimeUnixNano'));
  if (startMs === null) return `${label}: startTimeUnixNano is missing or not a positive integer`;
  const endMs = nanosToMs(field(span, 'endTimeUnixNano'));
  if (endMs === null) return `${label}: endTimeUnixNano is missing or not a positive integer`;
  if (endMs < startMs) return `${label}: endTimeUnixNano is before startTimeUnixNano`;

  const events: OtlpEvent[] = [];
  for (const [i, e] of list(span, 'events', `${path}.events`)) {
    if (!isObj(e)) throw badRequest(`${path}.events[${i}] must be an object`, `${path}.events[${i}]`, 'invalid_request');
    events.push({
      timeMs: nanosToMs(field(e, 'timeUnixNano')) ?? startMs,
      name: str(field(e, 'name')),
      attributes: attributes(e, 'attributes', `${path}.events[${i}].attributes`),
    });
  }
  const links: OtlpLink[] = [];
  for (const [i, l] of list(span, 'links', `${path}.links`)) {
    if (!isObj(l)) throw badRequest(`${path}.links[${i}] must be an object`, `${path}.links[${i}]`, 'invalid_request');
    const linkTrace = id(field(l, 'traceId'), 16);
    const linkSpan = id(field(l, 'spanId'), 8);
    // A link with unusable ids is kept with what was sent, so nothing is lost.
    links.push({
      traceId: linkTrace ?? String(field(l, 'traceId') ?? ''),
      spanId: linkSpan ?? String(field(l, 'spanId') ?? ''),
      attributes: attributes(l, 'attributes', `${path}.links[${i}].attributes`),
    });
  }
  const status = field(span, 'status');
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: enumValue(field(span, 'kind'), SPAN_KINDS),
    startMs,
    endMs,
    attributes: attributes(span, 'attributes', `${path}.attributes`),
    events,
    links,
    statusCode: isObj(status) ? enumValue(field(status, 'code'), STATUS_CODES) : 0,
    statusMessage: isObj(status) ? str(field(status, 'message')) : '',
    resource,
    scope,
  };
}

/** KeyValue list → flat object. Later duplicates win (as in the OTel SDKs). */
function attributes(owner: Obj, key: string, path: string): Attributes {
  const out: Attributes = {};
  for (const [i, kv] of list(owner, key, path)) {
    if (!isObj(kv) || typeof field(kv, 'key') !== 'string') {
      throw badRequest(`${path}[${i}] must be a KeyValue {"key": "…", "value": {…}}`, `${path}[${i}]`, 'invalid_request');
    }
    out[field(kv, 'key') as string] = anyValue(field(kv, 'value'), `${path}[${i}].value`, 0);
  }
  return out;
}

/** AnyValue → JS value: bytes as base64, int64 as a number when exact, else a decimal string. */
export function anyValue(v: unknown, path: string, depth: number): AttrValue {
  if (!isObj(v)) return null;
  if (depth > MAX_DEPTH) throw badRequest(`${path} is nested deeper than ${MAX_DEPTH} levels`, path, 'invalid_request');
  let x: unknown;
  if ((x = field(v, 'stringValue')) !== undefined) return str(x);
  if ((x = field(v, 'boolValue')) !== undefined) return x === true || x === 'true';
  if ((x = field(v, 'intValue')) !== undefined) return int64(x);
  if ((x = field(v, 'doubleValue')) !== undefined) return typeof x === 'number' ? x : Number(x);
  if ((x = field(v, 'bytesValue')) !== undefined) return x instanceof Uint8Array ? Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64') : str(x);
  if ((x = field(v, 'arrayValue')) !== undefined) {
    return isObj(x) ? list(x, 'values', `${path}.arrayValue.values`).map(([i, e]) => anyValue(e, `${path}.arrayValue.values[${i}]`, depth + 1)) : [];
  }
  if ((x = field(v, 'kvlistValue')) !== undefined) {
    const out: { [key: string]: AttrValue } = {};
    if (isObj(x)) {
      for (const [i, kv] of list(x, 'values', `${path}.kvlistValue.values`)) {
        if (isObj(kv) && typeof field(kv, 'key') === 'string') out[field(kv, 'key') as string] = anyValue(field(kv, 'value'), `${path}.kvlistValue.values[${i}]`, depth + 1);
      }
    }
    return out;
  }
  return null;
}

// ── ids ──────────────────────────────────────────────────────────────────────────────────────────

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function isEmptyId(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (v instanceof Uint8Array && v.length === 0);
}

/**
 * An id as lowercase hex, or null when unusable. Protobuf ids are bytes; JSON ids are hex (the OTLP
 * rule) or base64 (what plain proto3 JSON encoders send): 16 bytes are 32 hex or 24 base64 chars.
 */
export function id(v: unknown, bytes: 16 | 8): string | null {
  let hex: string | null = null;
  if (v instanceof Uint8Array) {
    if (v.length === bytes) hex = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  } else if (typeof v === 'string') {
    if (v.length === bytes * 2 && HEX.test(v)) hex = v.toLowerCase();
    else if ((v.length === Math.ceil(bytes / 3) * 4 || v.length === Math.ceil((bytes * 4) / 3)) && BASE64.test(v)) {
      const buf = Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64');
      if (buf.length === bytes) hex = buf.toString('hex');
    }
  }
  if (hex === null || /^0+$/.test(hex)) return null;
  return hex;
}

// ── scalars ──────────────────────────────────────────────────────────────────────────────────────

interface LongLike {
  low: number;
  high: number;
  toString(): string;
}

const isLong = (v: unknown): v is LongLike => typeof v === 'object' && v !== null && 'low' in v && 'high' in v;

/** An int64 as a number when it is exact, else as its decimal string. */
function int64(v: unknown): number | string {
  if (typeof v === 'number') return v;
  const s = isLong(v) ? v.toString() : str(v);
  const n = Number(s);
  if (!/^-?\d+$/.test(s)) return s;
  return Number.isSafeInteger(n) ? n : s;
}

/** Nanoseconds since the epoch (string, number or Long) → ms; null when missing, zero or not an integer. */
export function nanosToMs(v: unknown): number | null {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (isLong(v)) n = Number(v.toString());
  else if (typeof v === 'string' && /^\d+$/.test(v)) n = Number(v);
  else return null;
  if (!Number.isFinite(n) || n <= 0) return null;
  return n / 1e6;
}

function enumValue(v: unknown, names: string[]): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    return i >= 0 ? i : Number(v) || 0;
  }
  return 0;
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  try {
    return String(v);
  } catch {
    return JSON.stringify(v) ?? ''; // e.g. {"toString": […]} from JSON, which String() cannot convert
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** An own field (protobufjs keeps defaults on the prototype, so only sent fields are own). */
function field(o: Obj, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** A repeated field as [index, element] pairs; absent → empty; present but not a list → 400. */
function list(o: Obj, key: string, path: string): [number, unknown][] {
  const v = field(o, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badRequest(`${path} must be a list`, path, 'invalid_request');
  return v.map((e, i) => [i, e]);
}
