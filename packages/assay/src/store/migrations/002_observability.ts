import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/** Observability: richer observations (environment, prompt, cost), scores, versioned prices, budgets. */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const json = sql.raw(dialect === 'postgres' ? 'jsonb' : 'text');
  const columns: [string, string | typeof json][] = [
    ['environment', 'text'],
    ['release', 'text'],
    ['level', 'text'],
    ['prompt_name', 'text'],
    ['prompt_version', 'integer'],
    ['cached_input_tokens', 'integer'],
    ['reasoning_tokens', 'integer'],
    ['cost_details', json],
    ['price_version', 'text'],
    ['cache_hit', 'integer'],
  ];
  for (const [name, type] of columns) {
    await db.schema.alterTable('observations').addColumn(name, type as 'text').execute();
  }
  const roots = sql<boolean>`parent_id is null`;
  await db.schema
    .createIndex('obs_roots_environment_time')
    .on('observations')
    .columns(['project_id', 'environment', 'start_time', 'id'])
    .where(roots)
    .execute();
  // Metrics and retention scan by time over every observation (not only roots).
  await db.schema.createIndex('obs_type_time').on('observations').columns(['project_id', 'type', 'start_time']).execute();
  await db.schema.createIndex('obs_time').on('observations').columns(['start_time']).execute();

  await db.schema
    .createTable('scores')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('trace_id', 'text')
    .addColumn('observation_id', 'text')
    .addColumn('session_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('data_type', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('string_value', 'text')
    .addColumn('comment', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('author', 'text')
    .addColumn('config_id', 'text')
    .addColumn('environment', 'text')
    .addColumn('metadata', json)
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scores_trace').on('scores').columns(['project_id', 'trace_id']).execute();
  await db.schema.createIndex('scores_session').on('scores').columns(['project_id', 'session_id']).execute();
  await db.schema.createIndex('scores_name_time').on('scores').columns(['project_id', 'name', 'timestamp']).execute();

  // Each edit of the price table is a new immutable version; observations name the version they used.
  await db.schema
    .createTable('price_tables')
    .addColumn('version', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('entries', json, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('price_tables_seq').on('price_tables').columns(['project_id', 'seq']).unique().execute();

  await db.schema
    .createTable('budgets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('limit_value', 'double precision', (c) => c.notNull())
    .addColumn('window', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('reroute_to', 'text')
    .addColumn('channels', json)
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('budgets_name').on('budgets').columns(['project_id', 'name']).unique().execute();
}
