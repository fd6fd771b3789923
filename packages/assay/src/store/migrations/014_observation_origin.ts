/**
 * Who wrote an observation: 'gateway' (a /v1 call) or 'ingest' (OTLP, Langfuse). Ingest keys may not
 * change gateway rows, and budgets count gateway rows only. Null for rows written before it: those
 * are told apart by key_id alone.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('observations').addColumn('origin', 'text').execute();
}
