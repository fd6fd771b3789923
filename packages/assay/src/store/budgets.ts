/** Repository for budget definitions, and the sums that seed their counters at startup. */
import { sql } from 'kysely';
import type { Budget } from '../budgets/types.js';
import type { Db } from './db.js';
import { fromJson, toJson } from './db.js';
import type { BudgetsTable } from './schema.js';

export class BudgetsRepo {
  constructor(private readonly db: Db) {}

  async list(projectId?: string): Promise<Budget[]> {
    let q = this.db.kysely.selectFrom('budgets').selectAll().orderBy('created_at').orderBy('id');
    if (projectId) q = q.where('project_id', '=', projectId);
    return (await q.execute()).map((r) => this.decode(r));
  }

  async insert(b: Budget): Promise<void> {
    await this.db.kysely.insertInto('budgets').values(this.encode(b)).execute();
  }

  async update(b: Budget): Promise<void> {
    const { id, ...rest } = this.encode(b);
    await this.db.kysely.updateTable('budgets').set(rest).where('id', '=', id).execute();
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    const r = await this.db.kysely.deleteFrom('budgets').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * What each subject has used since `from`: gateway calls (root generations and embeddings) summed
   * by key, user or tag. Ingested rows (OTLP, Langfuse) never count, so no ingest can forge spend;
   * rows from before migration 014 (origin null) count as before. Read once per budget when counters
   * are seeded, never per request.
   */
  async usageSince(projectId: string, scope: Budget['scope'], metric: Budget['metric'], from: number): Promise<Map<string, number>> {
    const value = metric === 'cost' ? sql<number>`coalesce(sum(o.cost), 0)` : sql<number>`coalesce(sum(o.total_tokens), 0)`;
    const roots = sql`o.parent_id is null and o.type in ('generation', 'embedding') and (o.origin is null or o.origin = 'gateway') and o.project_id = ${projectId} and o.start_time >= ${from}`;
    let rows: { subject: string | null; value: number }[];
    if (scope === 'tag') {
      const each =
        this.db.dialect === 'postgres'
          ? sql`jsonb_array_elements_text(case when jsonb_typeof(o.tags) = 'array' then o.tags else '[]'::jsonb end) as t(value)`
          : sql`json_each(coalesce(o.tags, '[]')) as t`;
      rows = (await sql<{ subject: string; value: number }>`select t.value as subject, ${value} as value from observations o, ${each} where ${roots} group by t.value`.execute(this.db.kysely)).rows;
    } else {
      const col = sql.ref(scope === 'key' ? 'o.key_id' : 'o.user_id');
      rows = (await sql<{ subject: string | null; value: number }>`select ${col} as subject, ${value} as value from observations o where ${roots} and ${col} is not null group by ${col}`.execute(this.db.kysely)).rows;
    }
    return new Map(rows.filter((r) => r.subject !== null).map((r) => [String(r.subject), Number(r.value)]));
  }

  private encode(b: Budget): BudgetsTable {
    return {
      id: b.id,
      project_id: b.project_id,
      name: b.name,
      scope: b.scope,
      subject: b.subject,
      metric: b.metric,
      limit_value: b.limit,
      window: b.window,
      action: b.action,
      reroute_to: b.reroute_to,
      channels: toJson(b.channels),
      enabled: b.enabled ? 1 : 0,
      created_at: b.created_at,
      updated_at: b.updated_at,
    };
  }

  private decode(r: BudgetsTable): Budget {
    return {
      id: r.id,
      project_id: r.project_id,
      name: r.name,
      scope: r.scope as Budget['scope'],
      subject: r.subject,
      metric: r.metric as Budget['metric'],
      limit: Number(r.limit_value),
      window: r.window as Budget['window'],
      action: r.action as Budget['action'],
      reroute_to: r.reroute_to,
      channels: fromJson<string[]>(this.db.dialect, r.channels) ?? [],
      enabled: Number(r.enabled) === 1,
      created_at: Number(r.created_at),
      updated_at: Number(r.updated_at),
    };
  }
}
