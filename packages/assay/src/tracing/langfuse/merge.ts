/**
 * Ingest-time merge: a patch applied over the stored (or earlier in the batch) observation. Fields the
 * event sent overwrite, metadata merges shallowly, tags are a union; start time, type and trace id
 * are fixed by the first write. One exception: SDKs send create and update concurrently (or reorder
 * them in a batch), so an update may be written first, with its envelope time standing in for the
 * start; a create event that arrives later with an earlier startTime then sets the real start. Derived columns (latency, ttft, status, tokens) are recomputed from
 * the merged row, and a computed cost is cleared so the pricer prices the merged usage again.
 */
import { emptyObservation, type Observation } from '../span.js';
import { isModelCall, type ObservationPatch } from './map.js';
import { mergeUsage, tokenColumns } from './usage.js';

export interface RowContext {
  projectId: string;
  keyId: string;
}

/** The first write of an observation: defaults for everything the patch does not set. */
function newRow(p: ObservationPatch, ctx: RowContext): Observation {
  return emptyObservation({
    id: p.id,
    trace_id: p.trace_id,
    parent_id: p.parent_id !== undefined ? p.parent_id : p.default_parent,
    project_id: ctx.projectId,
    key_id: ctx.keyId,
    origin: 'ingest',
    type: p.type,
    name: p.root ? 'trace' : p.type,
    start_time: p.start_time ?? p.fallback_time,
  });
}

export function applyPatch(row: Observation | null, p: ObservationPatch, ctx: RowContext): Observation {
  const o: Observation = row ? { ...row } : newRow(p, ctx);
  if (row && p.parent_id !== undefined && !p.root) o.parent_id = p.parent_id;
  if (row && p.create && p.start_time !== undefined && p.start_time < o.start_time) {
    if (o.ttft_ms !== null) o.ttft_ms += o.start_time - p.start_time;
    o.start_time = p.start_time;
  }
  Object.assign(o, p.set);
  if (p.metadata) o.metadata = { ...(o.metadata ?? {}), ...p.metadata };
  if (p.tags?.length) o.tags = [...new Set([...(o.tags ?? []), ...p.tags])];
  if (p.usage) {
    if (isModelCall(o.type)) {
      o.usage = mergeUsage(o.usage, p.usage);
      Object.assign(o, tokenColumns(o.usage as Record<string, number | string>));
    } else {
      const prev = (o.metadata?.usage ?? null) as Record<string, unknown> | null;
      o.metadata = { ...(o.metadata ?? {}), usage: mergeUsage(prev, p.usage) };
    }
  }
  if (p.cost) {
    if (isModelCall(o.type)) {
      o.cost = p.cost.cost;
      o.cost_details = p.cost.cost_details;
      o.price_version = null;
    } else {
      o.metadata = { ...(o.metadata ?? {}), cost: p.cost.cost_details };
    }
  }
  if (p.completion_start_time !== undefined) {
    const ttft = p.completion_start_time - o.start_time;
    o.ttft_ms = ttft >= 0 ? ttft : null;
  }
  return o;
}

/** Columns that follow from others; run once on each row before it is written. */
export function finalize(o: Observation): Observation {
  if (o.type === 'event') o.end_time = o.start_time;
  o.latency_ms = o.end_time !== null && o.end_time >= o.start_time ? o.end_time - o.start_time : null;
  if (o.level === 'ERROR') {
    o.status = 'error';
    const msg = o.metadata?.status_message;
    o.error = typeof msg === 'string' && msg ? msg : (o.error ?? 'level ERROR');
  } else if (o.level !== null) {
    o.status = 'ok';
    o.error = null;
  }
  if (!isModelCall(o.type)) {
    Object.assign(o, tokenColumns(null));
  }
  // A computed cost is recomputed by the pricer from the merged usage; a reported one is kept.
  if ((o.cost_details as { source?: unknown } | null)?.source !== 'provider') {
    o.cost = null;
    o.cost_details = null;
    o.price_version = null;
  }
  return o;
}

/**
 * Trace-level fields of the trace's root (its trace-create) copied onto an observation of the same
 * trace, so metrics grouped by user, session, tag, environment or release see them.
 */
export function inheritTraceFields(o: Observation, root: Observation): void {
  if (o.id === root.id) return;
  if (root.user_id) o.user_id = root.user_id;
  if (root.session_id) o.session_id = root.session_id;
  if (root.release) o.release = root.release;
  if (root.environment && !o.environment) o.environment = root.environment;
  if (root.tags?.length) o.tags = [...new Set([...(o.tags ?? []), ...root.tags])];
}
