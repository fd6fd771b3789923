/**
 * A local stand-in for Assay in SDK unit tests: an HTTP server that accepts OTLP/JSON at
 * /v1/traces (decoding spans into plain objects) and scores at /api/scores, and records every request.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  status: { code: number; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  startNs: bigint;
  endNs: bigint;
}

export interface Collector {
  url: string;
  spans: CollectedSpan[];
  requests: { path: string; headers: IncomingHttpHeaders; body: unknown }[];
  /** What the next requests to a path answer (status and JSON body); default 200 / 201. */
  respond: Map<string, { status: number; body: unknown }>;
  span(name: string): CollectedSpan;
  close(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
};

function decodeValue(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

const decodeAttributes = (attrs: { key: string; value: AnyValue }[] = []): Record<string, unknown> =>
  Object.fromEntries(attrs.map((a) => [a.key, decodeValue(a.value)]));

export async function startCollector(): Promise<Collector> {
  const spans: CollectedSpan[] = [];
  const requests: Collector['requests'] = [];
  const respond = new Map<string, { status: number; body: unknown }>();
  let scoreCount = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? JSON.parse(text) : undefined;
    const path = req.url ?? '';
    requests.push({ path, headers: req.headers, body });
    const override = respond.get(path);
    if (override) {
      res.writeHead(override.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(override.body));
      return;
    }
    if (path === '/v1/traces') {
      for (const rs of body.resourceSpans ?? []) {
        const resource = decodeAttributes(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              status: s.status ?? { code: 0 },
              attributes: decodeAttributes(s.attributes),
              resource,
              startNs: BigInt(s.startTimeUnixNano),
              endNs: BigInt(s.endTimeUnixNano),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      return;
    }
    if (path === '/api/scores') {
      scoreCount++;
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `score-${scoreCount}`, ...body }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${path}`, code: 'not_found' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    respond,
    span(name) {
      const found = spans.filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span named "${name}", found ${found.length} (spans: ${spans.map((s) => s.name).join(', ')})`);
      return found[0];
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
