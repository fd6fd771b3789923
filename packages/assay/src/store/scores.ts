/**
 * Repository for scores: judgements attached to a trace, an observation, a session or an experiment
 * item (experiment_id + experiment_item_id, migration 010), from any
 * source (API, SDK, OTel evaluation events, Langfuse ingest, annotation, evals, end-user feedback).
 * A score written again with the same id replaces the earlier one (Langfuse semantics).
 */
import type { Db } from './db.js';
import { fromJson, toJson } from './db.js';
import { withoutNul } from './json.js';
import { decodeCursor, encodeCursor, type Page } from './observations.js';
import type { Kysely } from 'kysely';
import type { Database, ScoresTable } from './schema.js';

/** Columns migration 010_feedback.ts added: the experiment item a score judges. */
interface ExperimentColumns {
  experiment_id: string | null;
  experiment_item_id: string | null;
}
type Tables = Omit<Database, 'scores'> & { scores: ScoresTable & ExperimentColumns };

export type ScoreDataType = 'NUMERIC' | 'CATEGORICAL' | 'BOOLEAN' | 'TEXT';

export interface Score extends Omit<ScoresTable, 'metadata' | 'data_type'> {
  data_type: ScoreDataType;
  experiment_id?: string | null;
  experiment_item_id?: string | null;
  metadata: Record<string, unknown> | null;
}

export interface ScoreFilter {
  projectId: string;
  traceId?: string;
  observationId?: string;
  sessionId?: string;
  experimentId?: string;
  experimentItemId?: string;
  name?: string;
  source?: string;
  from?: number;
  to?: number;
}

/** A score condition on traces: by name, with a numeric range or an exact value (number, boolean, or category label). */
export interface ScoreMatch {
  name: string;
  min?: number;
  max?: number;
  value?: number | boolean | string;
}

const UPDATE_COLUMNS = [
  'trace_id', 'observation_id', 'session_id', 'name', 'data_type', 'value', 'string_value', 'comment', 'source',
  'author', 'config_id', 'environment', 'metadata', 'timestamp', 'experiment_id', 'experiment_item_id',
] as const;

export class ScoresRepo {
  private readonly k: Kysely<Tables>;

  constructor(private readonly db: Db) {
    this.k = db.kysely as unknown as Kysely<Tables>;
  }

  async insertMany(scores: readonly Score[]): Promise<void> {
    if (scores.length === 0) return;
    for (let i = 0; i < scores.length; i += 500) {
      await this.k
        .insertInto('scores')
        .values(
          scores.slice(i, i + 500).map((score) => {
            const s = this.db.dialect === 'postgres' ? withoutNul(score) : score;
            return { ...s, experiment_id: s.experiment_id ?? null, experiment_item_id: s.experiment_item_id ?? null, metadata: toJson(s.metadata) };
          }),
        )
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => Object.fromEntries(UPDATE_COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)])) as never),
        )
        .execute();
    }
  }

  /** Which of these traces have a score named `name` whose value matches (number range, or equal value/label). */
  async tracesWithScore(projectId: string, match: ScoreMatch, traceIds: readonly string[]): Promise<Set<string>> {
    if (!traceIds.length) return new Set();
    let q = this.k.selectFrom('scores').select('trace_id').where('project_id', '=', projectId).where('name', '=', match.name).where('trace_id', 'in', [...traceIds]);
    if (match.min !== undefined) q = q.where('value', '>=', match.min);
    if (match.max !== undefined) q = q.where('value', '<=', match.max);
    if (match.value !== undefined) {
      const v = match.value;
      q = typeof v === 'string' ? q.where('string_value', '=', v) : q.where('value', '=', typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
    return new Set((await q.distinct().execute()).map((r) => r.trace_id).filter((t): t is string => t !== null));
  }

  /** Newest first, cursor-paginated. */
  async list(filter: ScoreFilter, limit: number, cursor?: string | null): Promise<Page<Score>> {
    let q = this.k.selectFrom('scores').selectAll().where('project_id', '=', filter.projectId);
    if (filter.traceId !== undefined) q = q.where('trace_id', '=', filter.traceId);
    if (filter.observationId !== undefined) q = q.where('observation_id', '=', filter.observationId);
    if (filter.sessionId !== undefined) q = q.where('session_id', '=', filter.sessionId);
    if (filter.experimentId !== undefined) q = q.where('experiment_id', '=', filter.experimentId);
    if (filter.experimentItemId !== undefined) q = q.where('experiment_item_id', '=', filter.experimentItemId);
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.source !== undefined) q = q.where('source', '=', filter.source);
    if (filter.from !== undefined) q = q.where('timestamp', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('timestamp', '<', filter.to);
    const c = cursor ? decodeCursor(cursor) : null;
    if (c) {
      q = q.where((eb) => eb(eb.refTuple('timestamp', 'id'), '<', eb.tuple(c.startTime, c.id)));
    }
    const rows = await q.orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const data = rows.slice(0, limit).map((r) => this.decode(r));
    const last = data[data.length - 1];
    return { data, next_cursor: rows.length > limit && last ? encodeCursor(last.timestamp, last.id) : null };
  }

  async get(projectId: string, id: string): Promise<Score | null> {
    const r = await this.k.selectFrom('scores').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return r ? this.decode(r) : null;
  }

  /** The stored scores with these ids (who wrote them decides whether an ingest may replace them). */
  async getMany(projectId: string, ids: readonly string[]): Promise<Score[]> {
    const out: Score[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const part = [...new Set(ids.slice(i, i + 500))];
      out.push(...(await this.k.selectFrom('scores').selectAll().where('project_id', '=', projectId).where('id', 'in', part).execute()).map((r) => this.decode(r)));
    }
    return out;
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    const r = await this.db.kysely.deleteFrom('scores').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  private decode(r: ScoresTable & Partial<ExperimentColumns>): Score {
    return {
      ...r,
      experiment_id: r.experiment_id ?? null,
      experiment_item_id: r.experiment_item_id ?? null,
      data_type: r.data_type as ScoreDataType,
      metadata: fromJson(this.db.dialect, r.metadata),
    };
  }
}
