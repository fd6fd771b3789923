/**
 * The one way observations and scores from outside the gateway (OTLP, Langfuse, SDK, API) reach
 * the store: each row is prepared (redacted, priced: tracing/prepare.ts) and written before the
 * promise resolves, so an ingest endpoint acknowledges only what is durably stored.
 */
import type { Store } from '../store/index.js';
import type { ConflictMode } from '../store/observations.js';
import type { Score } from '../store/scores.js';
import type { Observation } from './span.js';
import type { Preparer } from './prepare.js';

export class TraceIngest {
  /** Totals for /health and benchmarks. */
  readonly stats = { observations: 0, scores: 0 };

  constructor(
    private readonly store: Store,
    private readonly prepare: Preparer,
  ) {}

  /**
   * Write observations now. `ignore` keeps rows already stored (an exporter resending a batch is
   * idempotent on trace and span id); `replace` is for callers that merged an update into the
   * stored row themselves (see `stored`).
   */
  async observations(rows: Observation[], mode: ConflictMode = 'ignore'): Promise<void> {
    if (rows.length === 0) return;
    await this.store.observations.insertMany(rows.map((o) => this.prepare.observation(o)), mode);
    this.stats.observations += rows.length;
  }

  /** The stored rows for these (trace, id) pairs, so an update can be merged at ingest time. */
  stored(projectId: string, refs: readonly { trace_id: string; id: string }[]): Promise<Observation[]> {
    return this.store.observations.getMany(projectId, refs);
  }

  async scores(scores: Score[]): Promise<void> {
    if (scores.length === 0) return;
    await this.store.scores.insertMany(scores.map((s) => this.prepare.score(s)));
    this.stats.scores += scores.length;
  }
}
