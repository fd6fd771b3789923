/**
 * Score configs and experiment-item scores (issue 7, docs/feedback.md): `score_configs` holds the
 * definition a score name is validated against (type, range or categories); `scores` gains
 * `experiment_id` and `experiment_item_id` so a judgement can attach to one experiment item.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const json = sql.raw(dialect === 'postgres' ? 'jsonb' : 'text');
  await db.schema
    .createTable('score_configs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('data_type', 'text', (c) => c.notNull())
    .addColumn('min', 'double precision')
    .addColumn('max', 'double precision')
    .addColumn('categories', json)
    .addColumn('description', 'text')
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('score_configs_name').on('score_configs').columns(['project_id', 'name']).unique().execute();

  await db.schema.alterTable('scores').addColumn('experiment_id', 'text').execute();
  await db.schema.alterTable('scores').addColumn('experiment_item_id', 'text').execute();
  await db.schema.createIndex('scores_experiment').on('scores').columns(['project_id', 'experiment_id', 'experiment_item_id']).execute();
}
