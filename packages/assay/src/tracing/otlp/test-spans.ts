/** Span fixtures for the mapping tests: a decoded OTLP span with defaults, and one-span mapping. */
import type { Observation } from '../span.js';
import type { Attributes, OtlpSpan } from './decode.js';
import { mapSpans } from './map.js';

export const KEY = { id: 'key_1', project_id: 'proj' };
export const TRACE = '5b8efff798038103d269b633813fc60c';
let n = 0;

export function span(attributes: Attributes, over: Partial<OtlpSpan> = {}): OtlpSpan {
  n++;
  return {
    traceId: TRACE,
    spanId: n.toString(16).padStart(16, '0'),
    parentSpanId: null,
    name: 'op',
    kind: 3,
    startMs: 1718000000000.25,
    endMs: 1718000001200.75,
    attributes,
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: { 'service.name': 'app' },
    scope: { name: 'instr', version: '1.0' },
    ...over,
  };
}

export const one = (s: OtlpSpan): Observation => mapSpans([s], KEY).observations[0];
export const attrs = (o: Observation) => (o.metadata?.attributes ?? {}) as Record<string, unknown>;
