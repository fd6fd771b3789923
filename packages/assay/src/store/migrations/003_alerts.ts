import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/** Alerts: rules (with their current state), their transition history, and notification channels. */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const json = sql.raw(dialect === 'postgres' ? 'jsonb' : 'text');
  await db.schema
    .createTable('alert_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('config', json, (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_reason', 'text')
    .addColumn('last_delivery_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_channels_project').on('alert_channels').columns(['project_id', 'created_at']).execute();

  await db.schema
    .createTable('alert_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('filters', json, (c) => c.notNull())
    .addColumn('window_s', 'integer', (c) => c.notNull())
    .addColumn('operator', 'text', (c) => c.notNull())
    .addColumn('warning', 'double precision')
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('no_data', 'text', (c) => c.notNull())
    .addColumn('renotify_s', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('channel_ids', json, (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_since', 'bigint', (c) => c.notNull())
    .addColumn('episode_start', 'bigint')
    .addColumn('last_value', 'double precision')
    .addColumn('last_evaluated_at', 'bigint')
    .addColumn('last_notified_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_rules_project').on('alert_rules').columns(['project_id', 'created_at']).execute();

  await db.schema
    .createTable('alert_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('from_state', 'text', (c) => c.notNull())
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('message', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_events_rule_time').on('alert_events').columns(['rule_id', 'at', 'id']).execute();
}
