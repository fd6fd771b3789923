import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const json = dialect === 'postgres' ? 'jsonb' : 'text';
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', sql.raw(json), (c) => c.notNull())
    .addColumn('models', sql.raw(json))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('observations')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('trace_id', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text')
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('model', 'text')
    .addColumn('route', 'text')
    .addColumn('provider', 'text')
    .addColumn('key_id', 'text')
    .addColumn('user_id', 'text')
    .addColumn('session_id', 'text')
    .addColumn('tags', sql.raw(json))
    .addColumn('input_tokens', 'integer')
    .addColumn('output_tokens', 'integer')
    .addColumn('total_tokens', 'integer')
    .addColumn('usage', sql.raw(json))
    .addColumn('cost', 'double precision')
    .addColumn('latency_ms', 'double precision')
    .addColumn('ttft_ms', 'double precision')
    .addColumn('input', sql.raw(json))
    .addColumn('output', sql.raw(json))
    .addColumn('metadata', sql.raw(json))
    .addPrimaryKeyConstraint('observations_pk', ['trace_id', 'id'])
    .execute();

  // The trace list reads root observations newest first; every filter has an index that keeps that order.
  const roots = sql<boolean>`parent_id is null`;
  await db.schema.createIndex('obs_roots_time').on('observations').columns(['project_id', 'start_time', 'id']).where(roots).execute();
  for (const col of ['model', 'route', 'key_id', 'user_id', 'session_id', 'status']) {
    await db.schema
      .createIndex(`obs_roots_${col}_time`)
      .on('observations')
      .columns(['project_id', col, 'start_time', 'id'])
      .where(roots)
      .execute();
  }
}
