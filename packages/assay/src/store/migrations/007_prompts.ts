/**
 * The prompt registry (src/prompts, docs/prompts.md).
 *
 *  - prompts: one row per prompt name and project: its type (all versions share it), tags (shared by
 *    all versions, as in Langfuse) and the newest version number. Writers lock this row first, so
 *    version numbers are handed out one at a time.
 *  - prompt_versions: immutable versions 1, 2, 3 …: the template (a JSON string for text prompts, a
 *    JSON array of messages for chat prompts), the config, the commit message, who made it and when.
 *  - prompt_labels: which version a label (production, staging, custom) points at. Moving a label
 *    updates this table, never a version. `latest` is not stored: it is always the newest version.
 *  - prompts_state: one row whose generation moves on every write, so each Assay instance can tell
 *    with one cheap read whether its in-memory copy of the registry is behind.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const json = sql.raw(dialect === 'postgres' ? 'jsonb' : 'text');
  await db.schema
    .createTable('prompts')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('tags', json, (c) => c.notNull())
    .addColumn('latest_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('prompts_pk', ['project_id', 'name'])
    .execute();

  await db.schema
    .createTable('prompt_versions')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('prompt', json, (c) => c.notNull())
    .addColumn('config', json, (c) => c.notNull())
    .addColumn('commit_message', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('prompt_versions_pk', ['project_id', 'name', 'version'])
    .execute();

  await db.schema
    .createTable('prompt_labels')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('prompt_labels_pk', ['project_id', 'name', 'label'])
    .execute();

  await db.schema
    .createTable('prompts_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into prompts_state (id, generation) values (1, 0)`.execute(db);
}
