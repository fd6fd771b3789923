/** The knowledge index for the store's dialect: SQLite (sqlite.ts) or PostgreSQL (postgres.ts). */
import type { Db } from '../../store/db.js';
import { PgKnowledgeIndex } from './postgres.js';
import { SqliteKnowledgeIndex } from './sqlite.js';
import type { KnowledgeIndex, Rerank } from './types.js';

export async function openKnowledgeIndex(db: Db, opts: { rerank?: Rerank } = {}): Promise<KnowledgeIndex> {
  if (db.dialect === 'sqlite') {
    if (!db.sqlite) throw new Error('openKnowledgeIndex: the SQLite store has no driver handle');
    return new SqliteKnowledgeIndex(db.sqlite, opts);
  }
  if (!db.pool) throw new Error('openKnowledgeIndex: the PostgreSQL store has no pool');
  // The tables come from the store's migrations (005_knowledge), which openDb has run.
  return new PgKnowledgeIndex(db.pool, opts);
}
