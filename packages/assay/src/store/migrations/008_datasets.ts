/**
 * Datasets (src/datasets, docs/datasets.md): versioned collections of test items.
 *
 *  - datasets: one row per dataset, name unique per project; `version` is the current version
 *    (0 when created), `items` the current item count, `next_position` the position the next new
 *    item gets (items keep their position when updated, so exports keep the import order).
 *  - dataset_versions: one row per version (0 = created, empty) with what the write changed.
 *  - dataset_items: one row per revision of an item, valid for the versions
 *    valid_from ≤ N < valid_to (valid_to null = still current). Version N of a dataset is the rows
 *    valid at N: immutable once written, so an experiment can re-read exactly the items it ran on.
 *    At most one current row per item id (partial unique index).
 *
 * Item bodies (input, expected, assert, metadata, source) are JSON text on both dialects, not
 * jsonb: PostgreSQL's jsonb reorders object keys, and an export must give back vars columns and
 * message keys in the order they were written (and byte for byte the same on both dialects).
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const json = dialect === 'postgres' ? 'jsonb' : 'text';
  await db.schema
    .createTable('datasets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('metadata', sql.raw(json))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('items', 'integer', (c) => c.notNull())
    .addColumn('next_position', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('datasets_project_name').on('datasets').columns(['project_id', 'name']).unique().execute();

  await db.schema
    .createTable('dataset_versions')
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    /** create, items, update, delete, import, traces. */
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('author', 'text')
    .addColumn('added', 'integer', (c) => c.notNull())
    .addColumn('updated', 'integer', (c) => c.notNull())
    .addColumn('removed', 'integer', (c) => c.notNull())
    .addColumn('items', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_versions_pk', ['dataset_id', 'version'])
    .execute();

  await db.schema
    .createTable('dataset_items')
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'integer', (c) => c.notNull())
    .addColumn('valid_to', 'integer')
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('expected', 'text')
    .addColumn('assert', 'text')
    .addColumn('metadata', 'text')
    .addColumn('source', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_items_pk', ['dataset_id', 'id', 'valid_from'])
    .execute();
  // Reading a version (any N) in item order; the current items by id.
  await db.schema.createIndex('dataset_items_position').on('dataset_items').columns(['dataset_id', 'position', 'valid_from']).execute();
  await db.schema
    .createIndex('dataset_items_current')
    .on('dataset_items')
    .columns(['dataset_id', 'id'])
    .unique()
    .where(sql<boolean>`valid_to is null`)
    .execute();
}
