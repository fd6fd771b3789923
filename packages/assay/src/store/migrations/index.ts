/**
 * Migrations run at startup, in name order, on both dialects. Each takes the dialect so a column
 * type can differ (jsonb on PostgreSQL, text on SQLite) while the schema stays one.
 */
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import * as m001 from './001_initial.js';
import * as m002 from './002_observability.js';
import * as m003 from './003_alerts.js';
import * as m004 from './004_web_sessions.js';
import * as m005 from './005_knowledge.js';
import * as m006 from './006_memory.js';
import * as m007 from './007_prompts.js';
import * as m008 from './008_datasets.js';
import * as m009 from './009_experiments.js';
import * as m010 from './010_feedback.js';
import * as m011 from './011_annotation.js';
import * as m012 from './012_key_policy.js';
import * as m013 from './013_trace_dead_letters.js';
import * as m014 from './014_observation_origin.js';

export interface MigrationContext {
  dialect: 'sqlite' | 'postgres';
}

/**
 * The PostgreSQL schema the migration tables live in. Kysely looks for its tables in every schema
 * unless told which, so a second Assay schema in the same database would be taken as migrated.
 */
async function currentSchema(db: Kysely<unknown>, ctx: MigrationContext): Promise<string | undefined> {
  if (ctx.dialect !== 'postgres') return undefined;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema;
}

type MigrationModule = { up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> };

const modules: Record<string, MigrationModule> = {
  '001_initial': m001,
  '002_observability': m002,
  '003_alerts': m003,
  '004_web_sessions': m004,
  '005_knowledge': m005,
  '006_memory': m006,
  '007_prompts': m007,
  '008_datasets': m008,
  '009_experiments': m009,
  '010_feedback': m010,
  '011_annotation': m011,
  '012_key_policy': m012,
  '013_trace_dead_letters': m013,
  '014_observation_origin': m014,
};

/**
 * Kysely's migrator lists the tables of every schema in the database (`has_schema_privilege` on
 * each name); a schema another process drops at that moment fails the listing with "schema … does
 * not exist" although ours is fine (seen when test runs drop their schemas side by side). Such a
 * failure is retried a few times; any other failure stops the start.
 */
const CONCURRENT_DROP = /schema "([^"]+)" does not exist/;
const MIGRATE_ATTEMPTS = 4;

export async function migrate(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const schema = await currentSchema(db, ctx);
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(db, ctx, schema);
    } catch (err) {
      const dropped = CONCURRENT_DROP.exec((err as Error).message)?.[1];
      if (ctx.dialect !== 'postgres' || !dropped || dropped === schema || attempt >= MIGRATE_ATTEMPTS) throw err;
    }
  }
}

async function migrateOnce(db: Kysely<unknown>, ctx: MigrationContext, schema: string | undefined): Promise<void> {
  const migrations: Record<string, Migration> = {};
  for (const [name, mod] of Object.entries(modules)) migrations[name] = { up: (d) => mod.up(d, ctx) };
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'assay_migrations',
    migrationLockTableName: 'assay_migrations_lock',
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? error}`);
  }
}
