/**
 * Where the retrieval benchmark's knowledge base lives: a temporary SQLite file (WAL, as the
 * store opens it) or a temporary PostgreSQL schema migrated like the store's (dropped afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PgKnowledgeIndex, SqliteKnowledgeIndex, type KnowledgeIndex } from '../../packages/assay/src/knowledge/index/index.js';
import { openDb } from '../../packages/assay/src/store/db.js';

export interface BenchStore {
  index: KnowledgeIndex;
  /** For the report: what the store is. */
  describe: string;
  /** Run after the build, before the queries: what the database does on its own soon after a bulk load. */
  settle?: { what: string; run(): Promise<void> };
  /** A chunk's text by id (checks that ids follow insert order). */
  chunkText(id: number): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function openBenchStore(kind: 'sqlite' | 'postgres', opts: { pgUrl?: string; schema: string }): Promise<BenchStore> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'assay-bench-retrieval-'));
    const db = new Database(join(dir, 'kb.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    return {
      index: new SqliteKnowledgeIndex(db),
      describe: 'SQLite (file, WAL)',
      chunkText: async (id) => db.prepare('SELECT text FROM knowledge_chunks WHERE id = ?').pluck().get(id) as string | undefined,
      close: async () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (!opts.pgUrl) throw new Error('--store postgres needs ASSAY_TEST_POSTGRES_URL or --pg-url postgres://…');
  const db = await openDb({ dialect: 'postgres', target: opts.pgUrl, schema: opts.schema });
  const pool = db.pool!;
  const version = (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
  return {
    index: new PgKnowledgeIndex(pool),
    describe: `PostgreSQL ${version} (local, temporary schema; no extensions)`,
    // Autovacuum analyzes (planner statistics) and vacuums (visibility map: index-only scans of
    // the sign codes and metadata) a freshly loaded table within about a minute.
    settle: {
      what: 'VACUUM ANALYZE after the build (autovacuum does it within about a minute)',
      run: async () => {
        await pool.query('VACUUM ANALYZE knowledge_bases, knowledge_documents, knowledge_chunks, knowledge_vectors, knowledge_terms');
      },
    },
    chunkText: async (id) => (await pool.query<{ text: string }>('SELECT text FROM knowledge_chunks WHERE id = $1', [id])).rows[0]?.text,
    close: async () => {
      await db.close();
      const client = new pg.Client({ connectionString: opts.pgUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${opts.schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
