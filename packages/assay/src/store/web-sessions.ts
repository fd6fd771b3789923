/** Repository for dashboard sessions (see keys/web-sessions.ts). */
import type { Db } from './db.js';
import type { WebSessionsTable } from './schema.js';

export class WebSessionsRepo {
  constructor(private readonly db: Db) {}

  async insert(s: WebSessionsTable): Promise<void> {
    await this.db.kysely.insertInto('web_sessions').values(s).execute();
  }

  async get(tokenHash: string): Promise<WebSessionsTable | null> {
    return (await this.db.kysely.selectFrom('web_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()) ?? null;
  }

  async delete(tokenHash: string): Promise<void> {
    await this.db.kysely.deleteFrom('web_sessions').where('token_hash', '=', tokenHash).execute();
  }

  async deleteExpired(now: number): Promise<void> {
    await this.db.kysely.deleteFrom('web_sessions').where('expires_at', '<', now).execute();
  }
}
