/**
 * Experiments (src/evals/experiments, docs/evals.md): a dataset version × variants × repeats, run
 * through the gateway. `experiments` holds the definition, its state and the computed summary;
 * `experiment_results` one row per (item, variant, repeat) with the output, every assertion's
 * result, latency, tokens, cost and the trace of the call.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const json = sql.raw(dialect === 'postgres' ? 'jsonb' : 'text');
  await db.schema
    .createTable('experiments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('definition', json, (c) => c.notNull())
    .addColumn('dataset', 'text')
    .addColumn('dataset_version', 'integer')
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('summary', json)
    .addColumn('error', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('experiments_project_created').on('experiments').columns(['project_id', 'created_at']).execute();
  await db.schema
    .createTable('experiment_results')
    .addColumn('experiment_id', 'text', (c) => c.notNull().references('experiments.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('variant', 'text', (c) => c.notNull())
    .addColumn('repeat', 'integer', (c) => c.notNull())
    .addColumn('output', 'text')
    .addColumn('pass', 'integer', (c) => c.notNull())
    .addColumn('score', 'double precision', (c) => c.notNull())
    .addColumn('assertions', json, (c) => c.notNull())
    .addColumn('latency_ms', 'double precision')
    .addColumn('input_tokens', 'integer')
    .addColumn('output_tokens', 'integer')
    .addColumn('cost', 'double precision')
    .addColumn('cached', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('trace_id', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_results_pk', ['experiment_id', 'item_id', 'variant', 'repeat'])
    .execute();
}
