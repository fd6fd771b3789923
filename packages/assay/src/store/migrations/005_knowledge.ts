import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

// Filled in by the knowledge work of issue 5.
export async function up(_db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {}
