/**
 * Trace rows set aside (tracing/dead-letters.ts): an observation or score that the database refused
 * even alone, after its batch was split, is kept here with the reason, so the rest of its batch is
 * written and the reader can see what was left out. `payload` is the row as JSON text (cleaned and
 * cut to a safe size), null when not even that could be stored.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('trace_dead_letters')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('trace_id', 'text')
    .addColumn('row_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('payload', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('trace_dead_letters_time').on('trace_dead_letters').columns(['project_id', 'created_at', 'id']).execute();
}
