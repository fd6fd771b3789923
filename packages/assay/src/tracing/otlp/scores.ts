/**
 * `gen_ai.evaluation.result` span events → Assay scores. The score id is a hash of the project,
 * trace, span and event index, so an exporter resending the batch rewrites the same score.
 */
import { createHash } from 'node:crypto';
import type { Score } from '../../store/scores.js';
import type { Observation } from '../span.js';
import { asNumber, asString, maybeJson } from './attrs.js';
import { EVALUATION } from './conventions.js';
import type { OtlpEvent, OtlpSpan } from './decode.js';
import type { IngestKey } from './map.js';

export function scoreId(projectId: string, traceId: string, spanId: string, eventIndex: number): string {
  return createHash('sha256').update(`otel\n${projectId}\n${traceId}\n${spanId}\n${eventIndex}`).digest('hex').slice(0, 32);
}

export function evaluationScores(
  span: OtlpSpan,
  observation: Observation,
  events: readonly { index: number; event: OtlpEvent }[],
  key: IngestKey,
  now: number,
): Score[] {
  return events.map(({ index, event }) => {
    const attrs = event.attributes;
    const value = asNumber(attrs[EVALUATION.value] ?? null);
    const label = asString(attrs[EVALUATION.label] ?? null);
    const metadata: Record<string, unknown> = {};
    for (const k in attrs) {
      if (k !== EVALUATION.name && k !== EVALUATION.value && k !== EVALUATION.label && k !== EVALUATION.explanation) metadata[k] = maybeJson(attrs[k]);
    }
    let dataType: Score['data_type'];
    let numeric = value;
    if (value !== null) dataType = 'NUMERIC';
    else if (label !== null && /^(true|false)$/i.test(label)) {
      dataType = 'BOOLEAN';
      numeric = label.toLowerCase() === 'true' ? 1 : 0;
    } else dataType = label !== null ? 'CATEGORICAL' : 'NUMERIC';
    if (value === null && label === null) metadata.note = 'the evaluation event had no gen_ai.evaluation.score.value or .label';
    return {
      id: scoreId(key.project_id, span.traceId, span.spanId, index),
      project_id: key.project_id,
      trace_id: span.traceId,
      observation_id: span.spanId,
      session_id: observation.session_id,
      name: asString(attrs[EVALUATION.name] ?? null) ?? 'evaluation',
      data_type: dataType,
      value: numeric,
      string_value: label,
      comment: asString(attrs[EVALUATION.explanation] ?? null),
      source: 'otel',
      author: key.id,
      config_id: null,
      environment: observation.environment,
      metadata: Object.keys(metadata).length > 0 ? metadata : null,
      timestamp: Math.floor(event.timeMs),
      created_at: now,
    };
  });
}
