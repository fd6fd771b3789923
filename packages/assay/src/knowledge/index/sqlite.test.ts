import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ensureSchema, ftsTable, SQLITE_SCHEMA_STATEMENTS } from './schema.js';
import { SqliteKnowledgeIndex } from './sqlite.js';
import { knowledgeIndexContract, seed, type ContractStore } from './test-contract.js';

knowledgeIndexContract('SqliteKnowledgeIndex', async (): Promise<ContractStore> => {
  let db: Database.Database | null = null;
  const count = (sql: string, ...params: unknown[]) => db!.prepare(sql).pluck().get(...params) as number;
  return {
    dialect: 'sqlite',
    fresh: async () => {
      db?.close();
      db = new Database(':memory:');
      db.pragma('foreign_keys = ON');
      return new SqliteKnowledgeIndex(db);
    },
    count: async (table, documentId) =>
      table === 'chunks'
        ? count(`SELECT count(*) FROM knowledge_chunks WHERE ? IS NULL OR document_id = ?`, documentId ?? null, documentId ?? null)
        : count('SELECT count(*) FROM knowledge_vectors'),
    textMatches: async (kbId, words) => {
      const fts = ftsTable(kbId);
      return count(`SELECT count(*) FROM ${fts} WHERE ${fts} MATCH ?`, words.join(' OR '));
    },
    leftovers: async (kbId) => count('SELECT count(*) FROM sqlite_master WHERE name LIKE ?', `${ftsTable(kbId)}%`),
    close: async () => {
      db?.close();
    },
  };
});

test('SQLite: the schema statements are idempotent, and the index opens on a migrated database', async () => {
  const db = new Database(':memory:');
  for (const s of SQLITE_SCHEMA_STATEMENTS) db.exec(s);
  ensureSchema(db);
  const index = new SqliteKnowledgeIndex(db);
  const kb = await seed(index);
  assert.equal((await index.search(kb.id, { text: 'fox' })).length, 1);
  db.close();
});
