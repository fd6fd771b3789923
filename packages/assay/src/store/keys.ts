/** Repository for API keys. Stores only hashes; the key service keeps them cached in memory. */
import type { Db } from './db.js';
import { fromJson, toJson } from './db.js';
import type { KeyPolicy } from '../keys/policy.js';

export interface ApiKeyRecord {
  id: string;
  project_id: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: string[];
  models: string[] | null;
  /** What the admin set for this key alone (keys/policy.ts); null: none. */
  policy: KeyPolicy | null;
  created_at: number;
  revoked_at: number | null;
}

export class KeysRepo {
  constructor(private readonly db: Db) {}

  async insert(key: ApiKeyRecord): Promise<void> {
    await this.db.kysely
      .insertInto('api_keys')
      .values({ ...key, scopes: toJson(key.scopes), models: toJson(key.models), policy: toJson(key.policy) })
      .execute();
  }

  async list(opts: { includeRevoked?: boolean } = {}): Promise<ApiKeyRecord[]> {
    let q = this.db.kysely.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').orderBy('id');
    if (!opts.includeRevoked) q = q.where('revoked_at', 'is', null);
    return (await q.execute()).map((r) => this.decode(r));
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const r = await this.db.kysely.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? this.decode(r) : null;
  }

  async getByHash(hash: string): Promise<ApiKeyRecord | null> {
    const r = await this.db.kysely.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    return r ? this.decode(r) : null;
  }

  /** Marks the key revoked; returns false when there was no such active key. */
  async revoke(id: string, at: number): Promise<boolean> {
    const res = await this.db.kysely
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Sets a key's policy and model list; returns the updated record, or null when there is no such key. */
  async update(id: string, patch: { policy?: KeyPolicy | null; models?: string[] | null; name?: string }): Promise<ApiKeyRecord | null> {
    const set: Record<string, unknown> = {};
    if (patch.policy !== undefined) set.policy = toJson(patch.policy);
    if (patch.models !== undefined) set.models = toJson(patch.models);
    if (patch.name !== undefined) set.name = patch.name;
    if (Object.keys(set).length > 0) await this.db.kysely.updateTable('api_keys').set(set).where('id', '=', id).execute();
    return this.get(id);
  }

  async countActiveWithScope(scope: string): Promise<number> {
    return (await this.list()).filter((k) => k.scopes.includes(scope)).length;
  }

  private decode(r: Record<string, unknown>): ApiKeyRecord {
    return {
      ...(r as unknown as ApiKeyRecord),
      scopes: fromJson<string[]>(this.db.dialect, r.scopes) ?? [],
      models: fromJson<string[]>(this.db.dialect, r.models),
      policy: fromJson<KeyPolicy>(this.db.dialect, r.policy) ?? null,
    };
  }
}
