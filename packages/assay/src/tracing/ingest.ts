/**
 * The one way observations and scores reach the store, from the gateway's recorder or from outside
 * (OTLP, Langfuse, SDK, API): each row is cleaned (tracing/sanitize.ts), prepared (redacted, priced:
 * tracing/prepare.ts) and written before the promise resolves, so an ingest endpoint acknowledges
 * only what is durably stored. A row the database refuses even alone is set aside as a dead letter
 * (tracing/dead-letters.ts) and the rest is written; a transient failure (the database away)
 * rejects, with nothing set aside, for the caller to retry.
 */
import { AssayError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { ConflictMode } from '../store/observations.js';
import type { Score } from '../store/scores.js';
import type { DeadLetterRepo, TraceSource } from './dead-letters.js';
import { writeIsolating } from './isolate.js';
import type { Observation } from './span.js';
import type { Preparer } from './prepare.js';
import { Sanitizer } from './sanitize.js';

/** A row that was not stored, and why. */
export interface SetAside {
  trace_id: string | null;
  id: string;
  reason: string;
}

export interface TraceIngestOptions {
  deadLetters: DeadLetterRepo;
  sanitizer?: Sanitizer;
  log?: (msg: string) => void;
}

export class TraceIngest {
  /** Totals for /health and benchmarks. */
  readonly stats = { observations: 0, scores: 0, setAside: 0, lastSetAside: null as { reason: string; at: string } | null };
  readonly sanitizer: Sanitizer;
  readonly deadLetters: DeadLetterRepo;

  constructor(
    private readonly store: Store,
    private readonly prepare: Preparer,
    private readonly opts: TraceIngestOptions,
  ) {
    this.sanitizer = opts.sanitizer ?? new Sanitizer();
    this.deadLetters = opts.deadLetters;
  }

  /**
   * Write observations now. `ignore` keeps rows already stored (an exporter resending a batch is
   * idempotent on trace and span id); `replace` is for callers that merged an update into the
   * stored row themselves (see `stored`). Returns the rows set aside.
   */
  async observations(rows: Observation[], mode: ConflictMode = 'ignore', source: TraceSource = 'ingest'): Promise<SetAside[]> {
    for (const o of rows) this.sanitizer.observation(o);
    return this.write(rows, mode, source);
  }

  /** The recorder's batches: cleaned already when recorded. */
  recorded(rows: Observation[]): Promise<SetAside[]> {
    return this.write(rows, 'ignore', 'gateway');
  }

  private async write(rows: Observation[], mode: ConflictMode, source: TraceSource): Promise<SetAside[]> {
    if (rows.length === 0) return [];
    const prepared = rows.map((o) => this.prepare.observation(o));
    const { bad, transient } = await writeIsolating(prepared, (part) => this.store.observations.insertMany(part, mode));
    if (transient) throw transient;
    const setAside = await this.setAside('observation', source, bad.map(({ row, reason }) => ({ row, trace_id: row.trace_id, id: row.id, project_id: row.project_id, reason })));
    this.stats.observations += rows.length - setAside.length;
    return setAside;
  }

  /** The stored rows for these (trace, id) pairs, so an update can be merged at ingest time. */
  stored(projectId: string, refs: readonly { trace_id: string; id: string }[]): Promise<Observation[]> {
    return this.store.observations.getMany(projectId, refs);
  }

  /**
   * Write scores now, for callers that store them one request at a time (API, feedback, queues):
   * a score the database refuses is set aside and answered as a 422 naming the reason.
   */
  async scores(scores: Score[]): Promise<void> {
    const [bad] = await this.scoreBatch(scores, 'ingest');
    if (bad) {
      throw new AssayError({ status: 422, code: 'score_not_stored', message: `Score ${bad.id} could not be stored (${bad.reason}); it was kept as a trace dead letter` });
    }
  }

  /** Write scores now (cleaned and redacted); returns the scores set aside, the rest is written. */
  async scoreBatch(scores: Score[], source: TraceSource): Promise<SetAside[]> {
    if (scores.length === 0) return [];
    for (const s of scores) this.sanitizer.score(s);
    const prepared = scores.map((s) => this.prepare.score(s));
    const { bad, transient } = await writeIsolating(prepared, (part) => this.store.scores.insertMany(part));
    if (transient) throw transient;
    const setAside = await this.setAside('score', source, bad.map(({ row, reason }) => ({ row, trace_id: row.trace_id, id: row.id, project_id: row.project_id, reason })));
    this.stats.scores += scores.length - setAside.length;
    return setAside;
  }

  /** What /health shows of the trace path's safety net. */
  health(): { set_aside: number; last_set_aside: { reason: string; at: string } | null; truncated: number; repaired: number } {
    const { truncated, repaired } = this.sanitizer.stats;
    return { set_aside: this.stats.setAside, last_set_aside: this.stats.lastSetAside, truncated, repaired };
  }

  private async setAside(
    kind: 'observation' | 'score',
    source: TraceSource,
    bad: { row: object; trace_id: string | null; id: string; project_id: string; reason: string }[],
  ): Promise<SetAside[]> {
    if (bad.length === 0) return [];
    await this.deadLetters.add(bad.map((b) => ({ project_id: b.project_id, kind, source, trace_id: b.trace_id, row_id: b.id, reason: b.reason, row: b.row })));
    for (const b of bad) {
      this.opts.log?.(`trace ${kind} ${b.id} of trace ${b.trace_id ?? '-'} (${source}) set aside as a dead letter: ${b.reason}`);
    }
    this.stats.setAside += bad.length;
    this.stats.lastSetAside = { reason: bad.at(-1)!.reason, at: new Date().toISOString() };
    return bad.map(({ trace_id, id, reason }) => ({ trace_id, id, reason }));
  }
}
