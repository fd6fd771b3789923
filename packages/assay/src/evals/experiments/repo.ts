/**
 * The experiment tables (migration 009_experiments.ts) on both dialects: definitions with their
 * state and summary, and one result row per (item, variant, repeat). Results are written as they
 * finish, so a run's progress is readable while it goes and nothing is lost if it stops midway.
 */
import type { Kysely } from 'kysely';
import type { Db, DialectName } from '../../store/db.js';
import { fromJson, toJson, withoutNul } from '../../store/json.js';
import type { ExperimentRecord, ExperimentStatus, ResultRow } from './types.js';

type ExperimentsTable = {
  id: string;
  project_id: string;
  name: string;
  status: string;
  definition: unknown;
  dataset: string | null;
  dataset_version: number | null;
  total: number;
  done: number;
  summary: unknown;
  error: string | null;
  created_by: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
};

type ResultsTable = {
  experiment_id: string;
  item_id: string;
  variant: string;
  repeat: number;
  output: string | null;
  pass: number;
  score: number;
  assertions: unknown;
  latency_ms: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost: number | null;
  cached: number;
  trace_id: string | null;
  error: string | null;
  created_at: number;
};

type Tables = { experiments: ExperimentsTable; experiment_results: ResultsTable };

const toRecord = (d: DialectName, r: ExperimentsTable): ExperimentRecord => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  status: r.status as ExperimentStatus,
  definition: fromJson(d, r.definition) as ExperimentRecord['definition'],
  dataset: r.dataset,
  datasetVersion: r.dataset_version,
  total: Number(r.total),
  done: Number(r.done),
  summary: (fromJson(d, r.summary) as ExperimentRecord['summary']) ?? null,
  error: r.error,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
  startedAt: r.started_at === null ? null : Number(r.started_at),
  finishedAt: r.finished_at === null ? null : Number(r.finished_at),
});

const toResult = (d: DialectName, r: ResultsTable): ResultRow => ({
  itemId: r.item_id,
  variant: r.variant,
  repeat: Number(r.repeat),
  output: r.output,
  pass: Number(r.pass) === 1,
  score: Number(r.score),
  assertions: (fromJson(d, r.assertions) as ResultRow['assertions']) ?? [],
  latencyMs: r.latency_ms === null ? null : Number(r.latency_ms),
  inputTokens: r.input_tokens === null ? null : Number(r.input_tokens),
  outputTokens: r.output_tokens === null ? null : Number(r.output_tokens),
  cost: r.cost === null ? null : Number(r.cost),
  cached: Number(r.cached) === 1,
  traceId: r.trace_id,
  error: r.error,
});

export class ExperimentsRepo {
  private readonly k: Kysely<Tables>;

  constructor(private readonly db: Db) {
    this.k = db.kysely.withTables<Tables>() as unknown as Kysely<Tables>;
  }

  private clean<T>(v: T): T {
    return this.db.dialect === 'postgres' ? withoutNul(v) : v;
  }

  async insert(e: ExperimentRecord): Promise<void> {
    await this.k
      .insertInto('experiments')
      .values(this.clean({
        id: e.id, project_id: e.projectId, name: e.name, status: e.status, definition: toJson(e.definition), dataset: e.dataset,
        dataset_version: e.datasetVersion, total: e.total, done: e.done, summary: toJson(e.summary), error: e.error,
        created_by: e.createdBy, created_at: e.createdAt, started_at: e.startedAt, finished_at: e.finishedAt,
      }))
      .execute();
  }

  async update(id: string, fields: Partial<Pick<ExperimentRecord, 'status' | 'done' | 'summary' | 'error' | 'startedAt' | 'finishedAt'>>): Promise<void> {
    const set: Partial<ExperimentsTable> = {};
    if (fields.status !== undefined) set.status = fields.status;
    if (fields.done !== undefined) set.done = fields.done;
    if (fields.summary !== undefined) set.summary = toJson(this.clean(fields.summary));
    if (fields.error !== undefined) set.error = fields.error === null ? null : this.clean(fields.error);
    if (fields.startedAt !== undefined) set.started_at = fields.startedAt;
    if (fields.finishedAt !== undefined) set.finished_at = fields.finishedAt;
    await this.k.updateTable('experiments').set(set).where('id', '=', id).execute();
  }

  /** Experiments a stopped process left running or queued: failed, saying why. */
  async failInterrupted(reason: string): Promise<number> {
    const r = await this.k
      .updateTable('experiments')
      .set({ status: 'failed', error: reason, finished_at: Date.now() })
      .where('status', 'in', ['running', 'queued'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async get(projectId: string, idOrName: string): Promise<ExperimentRecord | null> {
    const r = await this.k
      .selectFrom('experiments')
      .selectAll()
      .where('project_id', '=', projectId)
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? toRecord(this.db.dialect, r) : null;
  }

  async list(projectId: string, limit: number, before?: number): Promise<ExperimentRecord[]> {
    let q = this.k.selectFrom('experiments').selectAll().where('project_id', '=', projectId);
    if (before !== undefined) q = q.where('created_at', '<', before);
    return (await q.orderBy('created_at', 'desc').limit(limit).execute()).map((r) => toRecord(this.db.dialect, r));
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    await this.k.deleteFrom('experiment_results').where('experiment_id', '=', id).execute();
    const r = await this.k.deleteFrom('experiments').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async insertResults(experimentId: string, rows: ResultRow[]): Promise<void> {
    if (!rows.length) return;
    const now = Date.now();
    await this.k
      .insertInto('experiment_results')
      .values(rows.map((r) => this.clean({
        experiment_id: experimentId, item_id: r.itemId, variant: r.variant, repeat: r.repeat, output: r.output, pass: r.pass ? 1 : 0,
        score: r.score, assertions: toJson(r.assertions), latency_ms: r.latencyMs, input_tokens: r.inputTokens, output_tokens: r.outputTokens,
        cost: r.cost, cached: r.cached ? 1 : 0, trace_id: r.traceId, error: r.error, created_at: now,
      })))
      .onConflict((oc) => oc.columns(['experiment_id', 'item_id', 'variant', 'repeat']).doNothing())
      .execute();
  }

  async results(experimentId: string): Promise<ResultRow[]> {
    const rows = await this.k
      .selectFrom('experiment_results')
      .selectAll()
      .where('experiment_id', '=', experimentId)
      .orderBy('item_id')
      .orderBy('variant')
      .orderBy('repeat')
      .execute();
    return rows.map((r) => toResult(this.db.dialect, r));
  }
}
