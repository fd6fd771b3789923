/**
 * Where items come from, resolved to stored snapshots when they are added: traces and observations
 * (the root's or the observation's input and output), a trace-list filter, an experiment's result
 * rows, and pairs (or N-way comparisons) of the same experiment item's outputs from different
 * variants. Every snapshot carries a source key, so adding the same source twice adds it once.
 */
import { badRequest, notFound } from '../../errors.js';
import type { ItemInput } from '../../datasets/types.js';
import { itemFromTrace } from '../../datasets/traces.js';
import type { ExperimentRecord, ResultRow } from '../../evals/experiments/types.js';
import type { TraceFilter, TraceSummary } from '../../store/trace-list.js';
import type { Page } from '../../store/observations.js';
import type { ScoreMatch } from '../../store/scores.js';
import type { Observation } from '../../tracing/span.js';
import type { ItemContent, ItemKind } from './types.js';

export interface SourceDeps {
  getTrace(traceId: string, projectId: string): Promise<Observation[]>;
  listTraces(filter: TraceFilter, limit: number, cursor?: string | null): Promise<Page<TraceSummary>>;
  /** Which of these traces have a matching score. */
  scoredTraces(projectId: string, match: ScoreMatch, traceIds: readonly string[]): Promise<Set<string>>;
  experimentResults(projectId: string, ref: string): Promise<{ experiment: ExperimentRecord; rows: ResultRow[] }>;
  /** The inputs of a dataset version's items (experiments over a dataset). */
  datasetInputs(projectId: string, dataset: string, version: number | undefined): Promise<Map<string, ItemInput>>;
}

export interface Resolved {
  source_key: string;
  kind: ItemKind;
  content: ItemContent;
}

export interface Skipped {
  source: string;
  reason: string;
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));

/** A trace (its root) or one observation of it, as a single-output snapshot; throws a 400 naming it when unusable. */
export async function fromTrace(deps: SourceDeps, projectId: string, traceId: string, observationId: string | null, source: Record<string, unknown>): Promise<Resolved> {
  const obs = await deps.getTrace(traceId, projectId);
  if (!obs.length) throw notFound(`no trace ${traceId} (it may still be in the write queue for a few milliseconds)`, 'trace_not_found');
  let chosen: Observation[] = obs;
  if (observationId !== null) {
    const o = obs.find((x) => x.id === observationId);
    if (!o) throw notFound(`trace ${traceId} has no observation ${observationId}`, 'observation_not_found');
    chosen = [{ ...o, parent_id: null }];
  }
  let draft;
  try {
    draft = itemFromTrace(traceId, chosen, 'output');
  } catch (err) {
    throw badRequest(`${(err as Error).message}`, 'traces', 'trace_input_unusable');
  }
  return {
    source_key: observationId === null ? `trace:${traceId}` : `obs:${traceId}:${observationId}`,
    kind: 'single',
    content: {
      input: draft.input,
      outputs: [{ output: text(draft.expected), trace_id: traceId, variant: null }],
      trace_id: traceId,
      observation_id: observationId ?? draft.source?.observation_id ?? null,
      source,
    },
  };
}

/** Pages of the trace list looked at for a score condition (100 traces each). */
const MAX_SCORE_SCAN_PAGES = 50;

/**
 * Traces matching a trace-list filter and, when given, a score condition (newest first, at most
 * `limit`); unusable ones are skipped with the reason.
 */
export async function fromFilter(deps: SourceDeps, filter: TraceFilter, limit: number, score?: ScoreMatch): Promise<{ items: Resolved[]; skipped: Skipped[] }> {
  const items: Resolved[] = [];
  const skipped: Skipped[] = [];
  let cursor: string | null = null;
  for (let pages = 0; items.length + skipped.length < limit && (!score || pages < MAX_SCORE_SCAN_PAGES); pages++) {
    const page: Page<TraceSummary> = await deps.listTraces(filter, score ? 100 : Math.min(100, limit - items.length - skipped.length), cursor);
    const keep = score ? await deps.scoredTraces(filter.projectId ?? 'default', score, page.data.map((t) => t.trace_id)) : null;
    for (const t of page.data) {
      if (keep && !keep.has(t.trace_id)) continue;
      if (items.length + skipped.length >= limit) break;
      try {
        items.push(await fromTrace(deps, filter.projectId ?? 'default', t.trace_id, null, { type: 'filter' }));
      } catch (err) {
        skipped.push({ source: `trace:${t.trace_id}`, reason: (err as Error).message });
      }
    }
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return { items, skipped };
}

async function experimentInputs(deps: SourceDeps, projectId: string, e: ExperimentRecord): Promise<Map<string, ItemInput>> {
  if (e.definition.items) {
    return new Map(e.definition.items.map((it) => [it.id, (it.messages ? { messages: it.messages } : { vars: it.vars ?? {} }) as ItemInput]));
  }
  if (e.dataset) return deps.datasetInputs(projectId, e.dataset, e.datasetVersion ?? undefined);
  return new Map();
}

/** Each result row of an experiment (optionally one variant) as a single-output item. */
export async function fromExperiment(deps: SourceDeps, projectId: string, ref: string, variant?: string): Promise<{ items: Resolved[]; skipped: Skipped[] }> {
  const { experiment: e, rows } = await deps.experimentResults(projectId, ref);
  if (variant !== undefined && !e.definition.variants.some((v) => v.id === variant)) {
    throw badRequest(`experiment ${e.name} has no variant "${variant}" (it has ${e.definition.variants.map((v) => v.id).join(', ')})`, 'experiment.variant');
  }
  const inputs = await experimentInputs(deps, projectId, e);
  const items: Resolved[] = [];
  const skipped: Skipped[] = [];
  for (const r of rows) {
    if (variant !== undefined && r.variant !== variant) continue;
    const key = `exp:${e.id}:${r.itemId}:${r.variant}:${r.repeat}`;
    if (r.error !== null || r.output === null) {
      skipped.push({ source: key, reason: `the call failed: ${r.error ?? 'no output'}` });
      continue;
    }
    items.push({
      source_key: key,
      kind: 'single',
      content: {
        input: inputs.get(r.itemId) ?? null,
        outputs: [{ output: r.output, trace_id: r.traceId, variant: r.variant }],
        trace_id: r.traceId,
        observation_id: null,
        source: { type: 'experiment', experiment: e.id, item: r.itemId, variant: r.variant, repeat: r.repeat },
      },
    });
  }
  return { items, skipped };
}

/** The same experiment item's outputs from two (or more) variants (first repeat) as one multi-output item. */
export async function fromComparison(deps: SourceDeps, projectId: string, ref: string, variants: string[]): Promise<{ items: Resolved[]; skipped: Skipped[] }> {
  const { experiment: e, rows } = await deps.experimentResults(projectId, ref);
  const known = new Set(e.definition.variants.map((v) => v.id));
  for (const v of variants) {
    if (!known.has(v)) throw badRequest(`experiment ${e.name} has no variant "${v}" (it has ${[...known].join(', ')})`, 'pairs');
  }
  if (new Set(variants).size !== variants.length) throw badRequest('the variants to compare must differ', 'pairs');
  const inputs = await experimentInputs(deps, projectId, e);
  const byItem = new Map<string, Map<string, ResultRow>>();
  for (const r of rows) {
    let m = byItem.get(r.itemId);
    if (!m) byItem.set(r.itemId, (m = new Map()));
    const prev = m.get(r.variant);
    if (!prev || r.repeat < prev.repeat) m.set(r.variant, r);
  }
  const items: Resolved[] = [];
  const skipped: Skipped[] = [];
  for (const [itemId, m] of byItem) {
    const key = `cmp:${e.id}:${itemId}:${variants.join('|')}`;
    const picked = variants.map((v) => m.get(v));
    const missing = variants.filter((_, i) => !picked[i] || picked[i]?.output === null || picked[i]?.error !== null);
    if (missing.length) {
      skipped.push({ source: key, reason: `no output from ${missing.join(', ')}` });
      continue;
    }
    items.push({
      source_key: key,
      kind: 'multi',
      content: {
        input: inputs.get(itemId) ?? null,
        outputs: picked.map((r) => ({ output: r!.output, trace_id: r!.traceId, variant: r!.variant })),
        trace_id: null,
        observation_id: null,
        source: { type: variants.length === 2 ? 'pair' : 'comparison', experiment: e.id, item: itemId, variants },
      },
    });
  }
  return { items, skipped };
}
