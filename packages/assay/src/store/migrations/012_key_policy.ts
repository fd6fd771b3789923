/**
 * A key's own policy (keys/policy.ts): tools it may add, a bound end user, rate limits. JSON, null
 * for keys created before it (no policy: the route alone decides).
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('policy', sql.raw(dialect === 'postgres' ? 'jsonb' : 'text')).execute();
}
