/**
 * Long-term memory per end user (src/memory, docs/memory.md).
 *
 *  - memories: one row per fact, with its embedding (float32 little-endian, dims × 4 bytes) and the
 *    model that made it. `seq` is the internal row number (FTS rowid, rank-fusion id); `id` is the
 *    public id. (user_id, text_hash) is unique: the same fact is stored once per user.
 *  - memory_users: one row per user with memories: count (the per-user cap is enforced without a
 *    COUNT(*)), the model and dims every memory of the user was embedded with, and `generation`,
 *    which moves on every write so each instance's in-process vector cache knows it is behind.
 *    Generations come from one counter (a sequence on PostgreSQL), taken while the user's row is
 *    locked: they never repeat (not even after a wipe) and grow in commit order per user. Each
 *    memory row records the generation that wrote its vector (`gen`), so a cache catches up by
 *    reading only the rows newer than its own generation (plus the list of live seqs).
 *  - full text: SQLite has a contentless FTS5 table (rowid = seq) with a second column holding a
 *    per-user token, so a MATCH is restricted to one user's rows by the index itself; PostgreSQL has
 *    a tsvector column (the folded words plus the same user token) under a GIN index.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const pg = dialect === 'postgres';
  let table = db.schema.createTable('memories');
  table = pg
    ? table.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    : table.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
  table = table
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('text_hash', 'text', (c) => c.notNull())
    .addColumn('embedding', pg ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('dims', 'integer', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('metadata', sql.raw(pg ? 'jsonb' : 'text'))
    .addColumn('trace_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('gen', 'bigint', (c) => c.notNull());
  if (pg) table = table.addColumn('tsv', sql.raw('tsvector'), (c) => c.notNull());
  await table.execute();

  await db.schema.createIndex('memories_user_hash').on('memories').columns(['user_id', 'text_hash']).unique().execute();
  // Listing (newest first) and loading a user's vectors; eviction of the least recently stored.
  await db.schema.createIndex('memories_user_seq').on('memories').columns(['user_id', 'seq']).execute();
  await db.schema.createIndex('memories_user_updated').on('memories').columns(['user_id', 'updated_at', 'seq']).execute();
  // Catching a cache up: the rows written after the generation it holds.
  await db.schema.createIndex('memories_user_gen').on('memories').columns(['user_id', 'gen']).execute();

  await db.schema
    .createTable('memory_users')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('dims', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  if (pg) {
    // Vectors do not compress: store them out of line without trying (only matters above ~2 KB).
    await sql`alter table memories alter column embedding set storage external`.execute(db);
    await sql`create index memories_tsv on memories using gin (tsv)`.execute(db);
    await sql`create sequence memory_generation`.execute(db);
  } else {
    await sql`create table memory_generation (id integer primary key check (id = 1), value integer not null)`.execute(db);
    await sql`insert into memory_generation (id, value) values (1, 0)`.execute(db);
    await sql`create virtual table memory_fts using fts5(text, u, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')`.execute(db);
    // BM25 over the text column only: the user-token column weighs nothing.
    await sql`insert into memory_fts (memory_fts, rank) values ('rank', 'bm25(1.0, 0.0)')`.execute(db);
  }
}
