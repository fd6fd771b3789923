/**
 * Annotation queues (src/feedback/queues, docs/annotation.md): `annotation_queues` holds a queue's
 * questions, overlap, annotator list and sampling rules; `annotation_items` one snapshot per item
 * (input, output or outputs, traces), deduplicated by its source; `annotation_leases` who was handed
 * which item and until when; `annotations` one row per (item, annotator) with the un-blinded answers
 * and the order shown; `annotation_adjudications` the final label of a question on an item.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const json = sql.raw(dialect === 'postgres' ? 'jsonb' : 'text');
  await db.schema
    .createTable('annotation_queues')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('questions', json, (c) => c.notNull())
    .addColumn('overlap', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('annotators', json)
    .addColumn('sampling', json)
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('annotation_queues_project_name', ['project_id', 'name'])
    .execute();
  await db.schema
    .createTable('annotation_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('queue_id', 'text', (c) => c.notNull().references('annotation_queues.id').onDelete('cascade'))
    .addColumn('source_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('content', json, (c) => c.notNull())
    .addColumn('trace_id', 'text')
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('annotation_items_source', ['queue_id', 'source_key'])
    .execute();
  await db.schema.createIndex('annotation_items_queue_open').on('annotation_items').columns(['queue_id', 'done', 'created_at', 'id']).execute();
  await db.schema
    .createTable('annotation_leases')
    .addColumn('item_id', 'text', (c) => c.notNull().references('annotation_items.id').onDelete('cascade'))
    .addColumn('annotator', 'text', (c) => c.notNull())
    .addColumn('queue_id', 'text', (c) => c.notNull())
    .addColumn('shown', json)
    .addColumn('leased_until', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('annotation_leases_pk', ['item_id', 'annotator'])
    .execute();
  await db.schema.createIndex('annotation_leases_queue').on('annotation_leases').columns(['queue_id', 'annotator']).execute();
  await db.schema
    .createTable('annotations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('queue_id', 'text', (c) => c.notNull().references('annotation_queues.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull().references('annotation_items.id').onDelete('cascade'))
    .addColumn('annotator', 'text', (c) => c.notNull())
    .addColumn('annotator_name', 'text')
    .addColumn('answers', json, (c) => c.notNull())
    .addColumn('shown', json)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('annotations_item_annotator', ['item_id', 'annotator'])
    .execute();
  await db.schema.createIndex('annotations_queue_annotator').on('annotations').columns(['queue_id', 'annotator']).execute();
  await db.schema
    .createTable('annotation_adjudications')
    .addColumn('item_id', 'text', (c) => c.notNull().references('annotation_items.id').onDelete('cascade'))
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('queue_id', 'text', (c) => c.notNull())
    .addColumn('value', json, (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('author', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('annotation_adjudications_pk', ['item_id', 'question'])
    .execute();
}
