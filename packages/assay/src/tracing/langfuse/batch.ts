/**
 * One Langfuse ingestion batch: validate each event on its own, merge the observation events in batch
 * order and then over the stored rows, write them (and the scores) durably, and report per event:
 * 201 when applied, 400 naming the field when the event is wrong, 500 when the store failed (the SDK
 * retries those). Envelope ids already applied are acknowledged without applying them again.
 */
import type { Score } from '../../store/scores.js';
import type { Observation } from '../span.js';
import { observationPatch, scoreFromEvent, traceCreatePatch, type MapContext, type ObservationPatch } from './map.js';
import { applyPatch, finalize, inheritTraceFields } from './merge.js';
import { RecentIds } from './recent-ids.js';
import { EVENT_TYPES, EventError, envelopeSchema, parseOrExplain } from './schemas.js';
import { TraceLock } from './trace-lock.js';
import { observationRefusal, type Writer } from '../ownership.js';

/** What the batch writes through (TraceIngest in the server). */
export interface IngestTarget {
  /** Resolve with the rows the store set aside as dead letters (refused even alone). */
  observations(rows: Observation[], mode: 'ignore' | 'replace', source: 'langfuse'): Promise<SetAside[]>;
  stored(projectId: string, refs: readonly { trace_id: string; id: string }[]): Promise<Observation[]>;
  scoreBatch(scores: Score[], source: 'langfuse'): Promise<SetAside[]>;
}

type SetAside = { trace_id: string | null; id: string; reason: string };

export interface IngestionSuccess {
  id: string;
  status: number;
}
export interface IngestionError {
  id: string;
  status: number;
  message: string;
}
export interface IngestionResult {
  successes: IngestionSuccess[];
  errors: IngestionError[];
}

/** The key sending the batch; only an admin key may change rows it did not write (tracing/ownership.ts). */
export type Caller = Writer;

interface Outcome {
  id: string;
  status: number;
  message?: string;
}

const OBSERVATION_EVENTS = new Set([
  'span-create',
  'span-update',
  'generation-create',
  'generation-update',
  'event-create',
  'observation-create',
  'observation-update',
]);

const refKey = (traceId: string, id: string) => `${traceId}\u0000${id}`;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class LangfuseIngestor {
  private readonly recent: RecentIds;
  private readonly lock = new TraceLock();

  private readonly checkScore: ((score: Score) => Promise<Score>) | undefined;
  private readonly foreignScores: ((caller: Caller, scores: Score[]) => Promise<Map<string, string>>) | undefined;

  constructor(
    private readonly target: IngestTarget,
    opts: {
      recentIds?: number;
      checkScore?: (score: Score) => Promise<Score>;
      /** Score ids this caller may not replace, with the reason (tracing/ownership.ts). */
      foreignScores?: (caller: Caller, scores: Score[]) => Promise<Map<string, string>>;
    } = {},
  ) {
    this.recent = new RecentIds(opts.recentIds ?? 100_000);
    this.checkScore = opts.checkScore;
    this.foreignScores = opts.foreignScores;
  }

  async process(batch: readonly unknown[], caller: Caller): Promise<IngestionResult> {
    const outcomes: Outcome[] = new Array(batch.length);
    const firstOf = new Map<string, number>();
    const duplicates: [index: number, first: number][] = [];
    const patches: { index: number; patch: ObservationPatch }[] = [];
    const scores: { index: number; score: Score }[] = [];
    const applied: number[] = [];
    const traceOf = new Map<string, string>();

    for (let i = 0; i < batch.length; i++) {
      const raw = batch[i];
      const id = isObject(raw) && typeof raw.id === 'string' && raw.id ? raw.id : `batch[${i}]`;
      const type = isObject(raw) && (EVENT_TYPES as readonly unknown[]).includes(raw.type) ? `${raw.type as string}: ` : '';
      try {
        if (!isObject(raw)) throw new EventError(`batch[${i}]: each event must be an object {id, type, timestamp, body}`);
        const env = parseOrExplain(envelopeSchema, raw, '');
        const seen = firstOf.get(env.id);
        if (seen !== undefined) {
          duplicates.push([i, seen]);
          continue;
        }
        firstOf.set(env.id, i);
        if (this.recent.has(this.recentKey(caller, env.id))) {
          outcomes[i] = { id, status: 201 };
          continue;
        }
        const ctx: MapContext = {
          projectId: caller.projectId,
          keyId: caller.keyId,
          timestamp: env.timestamp ?? Date.now(),
          traceOf: (obsId) => traceOf.get(obsId),
        };
        if (env.type === 'trace-create') {
          patches.push({ index: i, patch: traceCreatePatch(env.body, ctx) });
        } else if (OBSERVATION_EVENTS.has(env.type)) {
          const patch = observationPatch(env.type, env.body, ctx);
          if (!traceOf.has(patch.id)) traceOf.set(patch.id, patch.trace_id);
          patches.push({ index: i, patch });
        } else if (env.type === 'score-create') {
          scores.push({ index: i, score: scoreFromEvent(env.body, env.id, ctx) });
        } else if (env.type === 'sdk-log') {
          outcomes[i] = { id, status: 201 }; // SDK diagnostics: acknowledged, nothing to store
          applied.push(i);
        } else {
          throw new EventError(`type: unknown event type "${env.type}"; supported: ${EVENT_TYPES.join(', ')}`);
        }
      } catch (err) {
        if (!(err instanceof EventError)) throw err;
        outcomes[i] = { id, status: err.status, message: type + err.message };
      }
    }

    // Scores with a score config are checked against it: one that does not fit fails alone (400).
    if (this.checkScore) {
      for (let k = scores.length - 1; k >= 0; k--) {
        try {
          scores[k] = { ...scores[k], score: await this.checkScore(scores[k].score) };
        } catch (err) {
          const e = err as { status?: number; message?: string };
          if (e.status !== 400) throw err;
          const raw = batch[scores[k].index] as { id?: unknown };
          outcomes[scores[k].index] = { id: typeof raw?.id === 'string' ? raw.id : `batch[${scores[k].index}]`, status: 400, message: `score-create: ${e.message}` };
          scores.splice(k, 1);
        }
      }
    }
    await this.refuseForeignScores(scores, caller, batch, outcomes);
    const setAside = new Map<string, string>();
    const refused = new Map<number, string>();
    const [obsOk, scoresOk] = await Promise.all([this.writeObservations(patches, caller, setAside, refused), this.writeScores(scores, setAside)]);
    for (const [entries, failure] of [[patches, obsOk], [scores, scoresOk]] as const) {
      for (const e of entries) {
        const id = (batch[e.index] as { id: string }).id;
        const aside = setAside.get('patch' in e ? refKey(e.patch.trace_id, e.patch.id) : e.score.id);
        const why = refused.get(e.index);
        if (why !== undefined) {
          outcomes[e.index] = { id, status: 403, message: why };
        } else if (aside !== undefined) {
          outcomes[e.index] = { id, status: 422, message: `could not be stored (${aside}); kept as a trace dead letter` };
        } else if (failure === null) {
          outcomes[e.index] = { id, status: 201 };
          applied.push(e.index);
        } else {
          outcomes[e.index] = { id, status: 500, message: `could not be stored, retry: ${failure}` };
        }
      }
    }
    for (const i of applied) this.recent.add(this.recentKey(caller, (batch[i] as { id: string }).id));
    for (const [i, first] of duplicates) outcomes[i] = { ...outcomes[first] };

    const result: IngestionResult = { successes: [], errors: [] };
    for (const o of outcomes) {
      if (o.status < 300) result.successes.push({ id: o.id, status: o.status });
      else result.errors.push({ id: o.id, status: o.status, message: o.message ?? 'failed' });
    }
    return result;
  }

  private recentKey(caller: Caller, id: string): string {
    return `${caller.projectId}\u0000${id}`;
  }

  /**
   * Merge and write; null on success, else the store's error message. Creates are applied before
   * updates (in batch order otherwise): SDKs may queue an update ahead of its create.
   */
  private async writeObservations(
    entries: { index: number; patch: ObservationPatch }[],
    caller: Caller,
    setAside: Map<string, string>,
    refused: Map<number, string>,
  ): Promise<string | null> {
    if (entries.length === 0) return null;
    const ordered = [...entries.filter((e) => e.patch.create), ...entries.filter((e) => !e.patch.create)];
    const traceIds = new Set(ordered.map(({ patch }) => patch.trace_id));
    const release = await this.lock.acquire([...traceIds].map((t) => `${caller.projectId}\u0000${t}`));
    try {
      const refs = new Map<string, { trace_id: string; id: string }>();
      for (const t of traceIds) refs.set(refKey(t, t), { trace_id: t, id: t });
      for (const { patch } of ordered) refs.set(refKey(patch.trace_id, patch.id), { trace_id: patch.trace_id, id: patch.id });
      const stored = new Map<string, Observation>();
      for (const o of await this.target.stored(caller.projectId, [...refs.values()])) stored.set(refKey(o.trace_id, o.id), o);
      // An event on a row the caller may not change (the gateway's, another key's) is refused alone.
      const patches = ordered.filter(({ index, patch }) => {
        const row = stored.get(refKey(patch.trace_id, patch.id));
        const why = row ? observationRefusal(row, caller) : null;
        if (why) refused.set(index, why);
        return why === null;
      });

      const merged = new Map<string, Observation>();
      for (const { patch } of patches) {
        const k = refKey(patch.trace_id, patch.id);
        merged.set(k, applyPatch(merged.get(k) ?? stored.get(k) ?? null, patch, caller));
      }
      for (const o of merged.values()) {
        const rootKey = refKey(o.trace_id, o.trace_id);
        const root = merged.get(rootKey) ?? stored.get(rootKey);
        if (root) inheritTraceFields(o, root);
        finalize(o);
      }
      for (const b of await this.target.observations([...merged.values()], 'replace', 'langfuse')) setAside.set(refKey(b.trace_id ?? '', b.id), b.reason);
      return null;
    } catch (err) {
      console.error('[assay] langfuse ingestion: writing observations failed:', err);
      return (err as Error).message ?? String(err);
    } finally {
      release();
    }
  }

  /** Scores whose id names a score this caller may not replace fail alone (403); the rest go on. */
  private async refuseForeignScores(scores: { index: number; score: Score }[], caller: Caller, batch: readonly unknown[], outcomes: Outcome[]): Promise<void> {
    if (!this.foreignScores || scores.length === 0) return;
    const foreign = await this.foreignScores(caller, scores.map((s) => s.score));
    for (let k = scores.length - 1; k >= 0; k--) {
      const why = foreign.get(scores[k].score.id);
      if (why === undefined) continue;
      outcomes[scores[k].index] = { id: (batch[scores[k].index] as { id: string }).id, status: 403, message: `score-create: ${why}` };
      scores.splice(k, 1);
    }
  }

  private async writeScores(scores: { score: Score }[], setAside: Map<string, string>): Promise<string | null> {
    if (scores.length === 0) return null;
    // The same score id twice in one batch: the later one wins (one statement cannot upsert a row twice).
    const byId = new Map(scores.map(({ score }) => [score.id, score]));
    try {
      for (const b of await this.target.scoreBatch([...byId.values()], 'langfuse')) setAside.set(b.id, b.reason);
      return null;
    } catch (err) {
      return (err as Error).message ?? String(err);
    }
  }
}
