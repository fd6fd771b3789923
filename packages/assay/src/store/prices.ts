/** Repository for price table versions: each edit of the custom entries is a new immutable row. */
import type { PriceEntry } from '../tracing/prices/types.js';
import type { Db } from './db.js';
import { fromJson, toJson } from './db.js';

export interface PriceVersion {
  version: string;
  seq: number;
  note: string | null;
  entries: PriceEntry[];
  created_at: number;
}

export class PricesRepo {
  constructor(private readonly db: Db) {}

  async latest(projectId: string): Promise<PriceVersion | null> {
    const r = await this.db.kysely
      .selectFrom('price_tables')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? this.decode(r) : null;
  }

  async get(projectId: string, version: string): Promise<PriceVersion | null> {
    const r = await this.db.kysely
      .selectFrom('price_tables')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('version', '=', version)
      .executeTakeFirst();
    return r ? this.decode(r) : null;
  }

  async list(projectId: string): Promise<Omit<PriceVersion, 'entries'>[]> {
    const rows = await this.db.kysely
      .selectFrom('price_tables')
      .select(['version', 'seq', 'note', 'created_at'])
      .where('project_id', '=', projectId)
      .orderBy('seq', 'desc')
      .execute();
    return rows;
  }

  /** Store a new version; returns its id (`v<seq>`). */
  async insertVersion(projectId: string, entries: PriceEntry[], note: string | null): Promise<string> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom('price_tables')
        .select('seq')
        .where('project_id', '=', projectId)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const seq = (last?.seq ?? 0) + 1;
      const version = projectId === 'default' ? `v${seq}` : `${projectId}-v${seq}`;
      await trx
        .insertInto('price_tables')
        .values({ version, project_id: projectId, seq, note, entries: toJson(entries), created_at: Date.now() })
        .execute();
      return version;
    });
  }

  private decode(r: { version: string; seq: number; note: string | null; entries: unknown; created_at: number }): PriceVersion {
    return { ...r, entries: fromJson<PriceEntry[]>(this.db.dialect, r.entries) ?? [] };
  }
}
