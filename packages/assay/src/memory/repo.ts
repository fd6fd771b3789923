/**
 * The memory tables (migration 006_memory.ts) on both dialects, through Kysely. The two differ only
 * in the full-text side: SQLite keeps a contentless FTS5 table in step with the rows (same
 * transaction), PostgreSQL a tsvector column.
 *
 * Every write locks the user's row first, then takes a fresh generation from one counter and stores
 * it on the user's row and on the rows it writes (`gen`). So per user, generations grow in commit
 * order: a reader that saw generation G has seen every row with gen ≤ G, and a cache at G catches up
 * with the rows where gen > G plus the list of live seqs (deletions). Seqs are never reused.
 */
import { sql, type Generated, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Db } from '../store/db.js';
import { fromJson, toJson, withoutNul } from '../store/json.js';
import { LEGACY_NAMESPACE, OWNER_SEPARATOR } from './owner.js';
import { ftsUserMatch, tsqueryLiterals, tsvectorLiteral } from './text.js';
import { modelMismatch, type Memory, type MemorySource, type MemoryUser, type Page } from './types.js';

type MemoriesTable = {
  seq: Generated<number>;
  id: string;
  user_id: string;
  text: string;
  text_hash: string;
  embedding: Uint8Array;
  dims: number;
  model: string;
  source: string;
  metadata: unknown;
  trace_id: string | null;
  created_at: number;
  updated_at: number;
  gen: number;
  /** PostgreSQL only. */
  tsv: Generated<string>;
};

type MemoryUsersTable = {
  user_id: string;
  count: number;
  generation: number;
  model: string;
  dims: number;
  updated_at: number;
};

type Tables = {
  memories: MemoriesTable;
  memory_users: MemoryUsersTable;
};

type Tx = Transaction<Tables>;

export interface UserState extends MemoryUser {
  generation: number;
}

export interface NewMemory {
  id: string;
  text: string;
  hash: string;
  vector: Float32Array;
  source: MemorySource;
  metadata: Record<string, unknown> | null;
  traceId: string | null;
}

export interface WriteInput {
  items: NewMemory[];
  /** Hashes of facts already stored: their updated time is refreshed. */
  touch: string[];
  model: string;
  dims: number;
  maxPerUser: number;
  now: number;
  /** The user's full-text token (text.ts userToken). */
  token: string;
}

export interface WriteOutcome {
  /** The user's generation before and after the write (equal when nothing was added or dropped). */
  before: number;
  after: number;
  /** Rows added, by text hash. */
  inserted: Map<string, number>;
  /** Facts that were there already, by text hash → public id. */
  existing: Map<string, string>;
  /** Seqs dropped by the per-user cap. */
  evicted: number[];
}

export interface LoadedRow {
  seq: number;
  id: string;
  text: string;
  createdAt: number;
  vector: Float32Array;
}

/** A float32 blob as a Float32Array (a view when aligned, else a copy). */
function blobVector(b: Uint8Array, dims: number): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, Math.min(dims, b.byteLength >>> 2));
  const out = new Float32Array(dims);
  new Uint8Array(out.buffer).set(b.subarray(0, dims * 4));
  return out;
}

const WRITE_BATCH = 500;
const toBlob = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const cursorOf = (v: string | number) => Buffer.from(String(v)).toString('base64url');
const fromCursor = (c: string) => Buffer.from(c, 'base64url').toString('utf8');

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

export class MemoryRepo {
  private readonly k: Kysely<Tables>;
  private readonly pg: boolean;

  constructor(private readonly db: Db) {
    this.k = db.kysely.withTables<Tables>() as unknown as Kysely<Tables>;
    this.pg = db.dialect === 'postgres';
  }

  /** Queries go over the network (PostgreSQL), not into an in-process file. */
  get remote(): boolean {
    return this.pg;
  }

  async state(userId: string): Promise<UserState | null> {
    const r = await this.k.selectFrom('memory_users').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return r ? toState(r) : null;
  }

  /** Public ids of the facts (by text hash) the user has stored already. */
  async findByHashes(userId: string, hashes: string[]): Promise<Map<string, string>> {
    if (hashes.length === 0) return new Map();
    const rows = await this.k.selectFrom('memories').select(['text_hash', 'id']).where('user_id', '=', userId).where('text_hash', 'in', hashes).execute();
    return new Map(rows.map((r) => [r.text_hash, r.id]));
  }

  /** Adds facts and refreshes known ones in one transaction; enforces the per-user cap (least recently stored go first). */
  async write(userId: string, w: WriteInput): Promise<WriteOutcome> {
    return this.k.transaction().execute(async (trx) => {
      // Creates or locks the user's row: on PostgreSQL, writers of one user queue here.
      const { rows } = await sql<MemoryUsersTable>`
        insert into memory_users (user_id, count, generation, model, dims, updated_at)
        values (${userId}, 0, 0, ${w.model}, ${w.dims}, ${w.now})
        on conflict (user_id) do update set updated_at = excluded.updated_at
        returning user_id, count, generation, model, dims, updated_at`.execute(trx);
      const user = toState(rows[0]);
      if (user.count > 0 && (user.model !== w.model || user.dims !== w.dims)) throw modelMismatch(userId, user, { model: w.model, dims: w.dims });
      const g = await this.nextGeneration(trx);
      const inserted = new Map<string, number>();
      for (const batch of chunks(w.items, WRITE_BATCH)) {
        const added = await trx
          .insertInto('memories')
          .values(
            batch.map((m) => ({
              id: m.id, user_id: userId, text: m.text, text_hash: m.hash, embedding: toBlob(m.vector), dims: w.dims, model: w.model,
              source: m.source, metadata: toJson(this.pg ? withoutNul(m.metadata) : m.metadata), trace_id: m.traceId,
              created_at: w.now, updated_at: w.now, gen: g,
              ...(this.pg ? { tsv: sql<string>`${tsvectorLiteral(m.text, w.token)}::tsvector` } : {}),
            })),
          )
          .onConflict((oc) => oc.columns(['user_id', 'text_hash']).doNothing())
          .returning(['seq', 'text_hash'])
          .execute();
        for (const r of added) inserted.set(r.text_hash, Number(r.seq));
        if (!this.pg && added.length) {
          const byHash = new Map(batch.map((m) => [m.hash, m]));
          const values = added.map((r) => sql`(${Number(r.seq)}, ${byHash.get(r.text_hash)!.text}, ${w.token})`);
          await sql`insert into memory_fts (rowid, text, u) values ${sql.join(values)}`.execute(trx);
        }
      }
      // Known facts, and any another writer added since the caller looked: refresh them.
      const again = [...w.touch, ...w.items.filter((m) => !inserted.has(m.hash)).map((m) => m.hash)];
      const existing = new Map<string, string>();
      for (const batch of chunks(again, WRITE_BATCH)) {
        const touched = await trx
          .updateTable('memories')
          .set({ updated_at: w.now })
          .where('user_id', '=', userId)
          .where('text_hash', 'in', batch)
          .returning(['text_hash', 'id'])
          .execute();
        for (const r of touched) existing.set(r.text_hash, r.id);
      }
      let count = user.count + inserted.size;
      let evicted: number[] = [];
      if (count > w.maxPerUser) {
        const { rows: gone } = await sql<{ seq: number }>`
          delete from memories where seq in (
            select seq from memories where user_id = ${userId} order by updated_at, seq limit ${count - w.maxPerUser}
          ) returning seq`.execute(trx);
        evicted = gone.map((r) => Number(r.seq));
        await this.ftsDelete(trx, evicted);
        count -= evicted.length;
      }
      const changed = inserted.size > 0 || evicted.length > 0;
      if (count === 0) await trx.deleteFrom('memory_users').where('user_id', '=', userId).execute();
      else {
        await trx
          .updateTable('memory_users')
          .set({ count, model: w.model, dims: w.dims, ...(changed ? { generation: g } : {}) })
          .where('user_id', '=', userId)
          .execute();
      }
      const before = user.generation; // 0 for a row created just now: no cache holds that
      return { before, after: changed ? g : before, inserted, existing, evicted };
    });
  }

  /**
   * The user's rows written after generation `after` up to `upTo` (a generation the caller read from
   * the user's row): with after = 0, every row as of `upTo`. Rows of another model exist only while
   * a re-embed runs (refused by the caller anyway) and are skipped.
   */
  async vectors(userId: string, model: string, dims: number, after: number, upTo: number): Promise<LoadedRow[]> {
    let q = this.k
      .selectFrom('memories')
      .select(['seq', 'id', 'text', 'created_at', 'embedding', 'dims'])
      .where('user_id', '=', userId)
      .where('model', '=', model)
      .where('dims', '=', dims)
      .where('gen', '<=', upTo);
    if (after > 0) q = q.where('gen', '>', after);
    const rows = await q.execute(); // unordered: sorting 10k rows with their vectors costs more than reading them
    return rows.map((r) => ({ seq: Number(r.seq), id: r.id, text: r.text, createdAt: Number(r.created_at), vector: blobVector(r.embedding, r.dims) }));
  }

  /** Seqs of the user's memories (what a catching-up cache keeps). */
  async seqs(userId: string): Promise<number[]> {
    const rows = await this.k.selectFrom('memories').select('seq').where('user_id', '=', userId).execute();
    return rows.map((r) => Number(r.seq));
  }

  /** Seqs of the user's memories matching any of the terms, best first (BM25 on SQLite, ts_rank on PostgreSQL). */
  async textSearch(userId: string, token: string, terms: readonly string[], limit: number): Promise<number[]> {
    if (terms.length === 0) return [];
    if (this.pg) {
      const q = tsqueryLiterals(terms, token);
      const { rows } = await sql<{ seq: number }>`
        select seq from memories where user_id = ${userId} and tsv @@ ${q.match}::tsquery
        order by ts_rank(tsv, ${q.rank}::tsquery) desc, seq limit ${limit}`.execute(this.k);
      return rows.map((r) => Number(r.seq));
    }
    const { rows } = await sql<{ seq: number }>`select rowid as seq from memory_fts where memory_fts match ${ftsUserMatch(terms, token)} order by rank limit ${limit}`.execute(this.k);
    return rows.map((r) => Number(r.seq));
  }

  /** Newest first. */
  async list(userId: string, limit: number, cursor?: string | null): Promise<Page<Memory>> {
    let q = this.k.selectFrom('memories').select(MEMORY_COLUMNS).where('user_id', '=', userId);
    if (cursor) {
      const seq = Number(fromCursor(cursor));
      if (Number.isFinite(seq)) q = q.where('seq', '<', seq);
    }
    const rows = await q.orderBy('seq', 'desc').limit(limit + 1).execute();
    const data = rows.slice(0, limit);
    return { data: data.map((r) => this.toMemory(r)), next_cursor: rows.length > limit ? cursorOf(data[data.length - 1].seq) : null };
  }

  async get(userId: string, id: string): Promise<Memory | null> {
    const r = await this.k.selectFrom('memories').select(MEMORY_COLUMNS).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    return r ? this.toMemory(r) : null;
  }

  /** Deletes one memory; null when the user has no such memory. */
  async delete(userId: string, id: string): Promise<{ seq: number; before: number; after: number } | null> {
    return this.k.transaction().execute(async (trx) => {
      const user = await this.lockUser(trx, userId);
      if (!user) return null;
      const g = await this.nextGeneration(trx);
      const gone = await trx.deleteFrom('memories').where('user_id', '=', userId).where('id', '=', id).returning('seq').executeTakeFirst();
      if (!gone) return null;
      const seq = Number(gone.seq);
      await this.ftsDelete(trx, [seq]);
      if (user.count <= 1) await trx.deleteFrom('memory_users').where('user_id', '=', userId).execute();
      else await trx.updateTable('memory_users').set({ count: user.count - 1, generation: g }).where('user_id', '=', userId).execute();
      return { seq, before: user.generation, after: g };
    });
  }

  /** Deletes every memory of the user and the user's row; returns how many memories there were. */
  async wipe(userId: string): Promise<number> {
    return this.k.transaction().execute(async (trx) => {
      let n: number;
      if (this.pg) {
        const r = await trx.deleteFrom('memories').where('user_id', '=', userId).executeTakeFirst();
        n = Number(r.numDeletedRows);
      } else {
        const gone = await trx.deleteFrom('memories').where('user_id', '=', userId).returning('seq').execute();
        await this.ftsDelete(trx, gone.map((r) => Number(r.seq)));
        n = gone.length;
      }
      await trx.deleteFrom('memory_users').where('user_id', '=', userId).execute();
      return n;
    });
  }

  /** Users with memories (of one namespace when given: memory/owner.ts), by owner id. */
  async users(limit: number, cursor?: string | null, namespace?: string): Promise<Page<MemoryUser>> {
    let q = this.k.selectFrom('memory_users').selectAll().where('count', '>', 0);
    if (namespace === LEGACY_NAMESPACE) q = q.where('user_id', 'not like', `%${OWNER_SEPARATOR}%`);
    else if (namespace !== undefined) {
      const prefix = namespace + OWNER_SEPARATOR;
      q = q.where(sql<string>`substr(user_id, 1, ${prefix.length})`, '=', prefix);
    }
    if (cursor) q = q.where('user_id', '>', fromCursor(cursor));
    const rows = await q.orderBy('user_id').limit(limit + 1).execute();
    const data = rows.slice(0, limit).map((r) => {
      const { generation: _, ...u } = toState(r);
      return u;
    });
    return { data, next_cursor: rows.length > limit ? cursorOf(data[data.length - 1].userId) : null };
  }

  /** Memories not embedded with (model, dims), oldest first (re-embedding). */
  async stale(userId: string, model: string, dims: number, limit: number): Promise<{ seq: number; text: string }[]> {
    const rows = await this.k
      .selectFrom('memories')
      .select(['seq', 'text'])
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('model', '<>', model), eb('dims', '<>', dims)]))
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ seq: Number(r.seq), text: r.text }));
  }

  /** Replaces vectors; with `done`, also records (model, dims) as the user's. */
  async replaceVectors(userId: string, rows: { seq: number; vector: Float32Array }[], model: string, dims: number, done: boolean): Promise<void> {
    await this.k.transaction().execute(async (trx) => {
      if (!(await this.lockUser(trx, userId))) return;
      const g = await this.nextGeneration(trx);
      for (const r of rows) {
        await trx.updateTable('memories').set({ embedding: toBlob(r.vector), model, dims, gen: g }).where('user_id', '=', userId).where('seq', '=', r.seq).execute();
      }
      await trx
        .updateTable('memory_users')
        .set({ generation: g, ...(done ? { model, dims } : {}) })
        .where('user_id', '=', userId)
        .execute();
    });
  }

  /** A fresh generation number, never handed out before. */
  private async nextGeneration(trx: Tx): Promise<number> {
    const { rows } = this.pg
      ? await sql<{ g: number }>`select nextval('memory_generation') as g`.execute(trx)
      : await sql<{ g: number }>`update memory_generation set value = value + 1 where id = 1 returning value as g`.execute(trx);
    return Number(rows[0].g);
  }

  private async lockUser(trx: Tx, userId: string): Promise<UserState | null> {
    const { rows } = this.pg
      ? await sql<MemoryUsersTable>`select * from memory_users where user_id = ${userId} for update`.execute(trx)
      : await sql<MemoryUsersTable>`select * from memory_users where user_id = ${userId}`.execute(trx);
    return rows[0] ? toState(rows[0]) : null;
  }

  private async ftsDelete(trx: Tx, seqs: number[]): Promise<void> {
    if (this.pg || seqs.length === 0) return;
    for (const batch of chunks(seqs, 5_000)) {
      await sql`delete from memory_fts where rowid in (select value from json_each(${JSON.stringify(batch)}))`.execute(trx);
    }
  }

  private toMemory(r: Pick<Selectable<MemoriesTable>, (typeof MEMORY_COLUMNS)[number]>): Memory {
    return {
      id: r.id, userId: r.user_id, text: r.text, source: r.source as MemorySource, metadata: fromJson(this.db.dialect, r.metadata),
      traceId: r.trace_id, model: r.model, dims: r.dims, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
    };
  }
}

const MEMORY_COLUMNS = ['seq', 'id', 'user_id', 'text', 'source', 'metadata', 'trace_id', 'model', 'dims', 'created_at', 'updated_at'] as const;

function toState(r: MemoryUsersTable): UserState {
  return {
    userId: r.user_id, count: Number(r.count), generation: Number(r.generation), model: r.model, dims: Number(r.dims), updatedAt: Number(r.updated_at),
  };
}
