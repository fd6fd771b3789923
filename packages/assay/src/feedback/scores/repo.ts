/** The score_configs table (migration 010_feedback.ts) on both dialects, through Kysely. */
import type { Kysely } from 'kysely';
import type { Db } from '../../store/db.js';
import { fromJson, toJson, withoutNul } from '../../store/json.js';
import type { ScoreCategory, ScoreConfig, ScoreDataType } from './types.js';

interface ScoreConfigsTable {
  id: string;
  project_id: string;
  name: string;
  data_type: string;
  min: number | null;
  max: number | null;
  categories: unknown;
  description: string | null;
  archived: number;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

type Tables = { score_configs: ScoreConfigsTable };

export class ScoreConfigsRepo {
  private readonly k: Kysely<Tables>;

  constructor(private readonly db: Db) {
    this.k = db.kysely.withTables<Tables>() as unknown as Kysely<Tables>;
  }

  async insert(c: ScoreConfig): Promise<void> {
    await this.k
      .insertInto('score_configs')
      .values({ ...(this.db.dialect === 'postgres' ? withoutNul(c) : c), categories: toJson(c.categories), archived: c.archived ? 1 : 0 })
      .execute();
  }

  async list(projectId: string, opts: { includeArchived?: boolean; name?: string } = {}): Promise<ScoreConfig[]> {
    let q = this.k.selectFrom('score_configs').selectAll().where('project_id', '=', projectId);
    if (!opts.includeArchived) q = q.where('archived', '=', 0);
    if (opts.name !== undefined) q = q.where('name', '=', opts.name);
    return (await q.orderBy('name').execute()).map((r) => this.decode(r));
  }

  async get(projectId: string, id: string): Promise<ScoreConfig | null> {
    const r = await this.k.selectFrom('score_configs').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return r ? this.decode(r) : null;
  }

  async getByName(projectId: string, name: string): Promise<ScoreConfig | null> {
    const r = await this.k.selectFrom('score_configs').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    return r ? this.decode(r) : null;
  }

  async update(projectId: string, id: string, patch: { description?: string | null; archived?: boolean }): Promise<void> {
    const set: Partial<ScoreConfigsTable> = { updated_at: Date.now() };
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.archived !== undefined) set.archived = patch.archived ? 1 : 0;
    await this.k.updateTable('score_configs').set(set).where('project_id', '=', projectId).where('id', '=', id).execute();
  }

  private decode(r: ScoreConfigsTable): ScoreConfig {
    return {
      ...r,
      data_type: r.data_type as ScoreDataType,
      min: r.min === null ? null : Number(r.min),
      max: r.max === null ? null : Number(r.max),
      categories: fromJson(this.db.dialect, r.categories) as ScoreCategory[] | null,
      archived: Number(r.archived) === 1,
      created_at: Number(r.created_at),
      updated_at: Number(r.updated_at),
    };
  }
}
