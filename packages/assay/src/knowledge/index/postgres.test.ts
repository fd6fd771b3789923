import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../../store/db.js';
import { postgresSkip, postgresStore, type TestStore } from '../../../test/helpers/stores.js';
import { PgKnowledgeIndex } from './postgres.js';
import { chunk, expectBadRequest, knowledgeIndexContract, seed, texts, type ContractStore } from './test-contract.js';
import type { KnowledgeBase } from './types.js';

const TABLES = 'knowledge_embedding_cache, knowledge_terms, knowledge_vectors, knowledge_chunks, knowledge_documents, knowledge_bases';

/** A fresh schema migrated by the store (migration 005_knowledge), dropped afterwards. */
async function openSchema(): Promise<{ t: TestStore; db: Db; pool: NonNullable<Db['pool']>; close(): Promise<void> }> {
  const t = postgresStore();
  const db = await openDb(t.location);
  return {
    t, db, pool: db.pool!,
    close: async () => {
      await db.close();
      await t.cleanup();
    },
  };
}

knowledgeIndexContract('PgKnowledgeIndex', async (): Promise<ContractStore> => {
  const s = await openSchema();
  const count = async (sql: string, params: unknown[] = []) => Number((await s.pool.query(sql, params)).rows[0].n);
  return {
    dialect: 'postgres',
    fresh: async () => {
      await s.pool.query(`TRUNCATE ${TABLES} RESTART IDENTITY`);
      return new PgKnowledgeIndex(s.pool);
    },
    count: (table, documentId) =>
      table === 'chunks'
        ? count('SELECT count(*) AS n FROM knowledge_chunks WHERE $1::text IS NULL OR document_id = $1', [documentId ?? null])
        : count('SELECT count(*) AS n FROM knowledge_vectors'),
    textMatches: (kbId, words) =>
      count(`SELECT count(*) AS n FROM knowledge_chunks WHERE kb_id = $1 AND tsv @@ $2::tsquery`, [kbId, words.map((w) => `'${w}'`).join(' | ')]),
    leftovers: (kbId) =>
      count(
        `SELECT (SELECT count(*) FROM knowledge_terms WHERE kb_id = $1) + (SELECT count(*) FROM knowledge_documents WHERE kb_id = $1)
              + (SELECT count(*) FROM knowledge_chunks WHERE kb_id = $1) + (SELECT count(*) FROM knowledge_vectors WHERE kb_id = $1) AS n`,
        [kbId],
      ),
    close: s.close,
  };
}, postgresSkip);

describe('PgKnowledgeIndex on PostgreSQL only', { skip: postgresSkip }, () => {
  let s: Awaited<ReturnType<typeof openSchema>>;
  let index: PgKnowledgeIndex;
  let kb: KnowledgeBase;
  const terms = async (kbId: string) =>
    Object.fromEntries((await s.pool.query('SELECT term, docs FROM knowledge_terms WHERE kb_id = $1', [kbId])).rows.map((r) => [r.term, r.docs]));
  const kbState = async (kbId: string) =>
    (await s.pool.query('SELECT generation::int AS generation, chunk_count::int AS chunks FROM knowledge_bases WHERE id = $1', [kbId])).rows[0];

  before(async () => {
    s = await openSchema();
  });
  after(async () => {
    await s?.close();
  });
  beforeEach(async () => {
    await s.pool.query(`TRUNCATE ${TABLES} RESTART IDENTITY`);
    index = new PgKnowledgeIndex(s.pool);
    kb = await seed(index);
  });

  test('word counts per base follow ingest, re-ingest and delete', async () => {
    const before = await terms(kb.id);
    assert.equal(before.search, 2);
    assert.equal(before.fox, 1);
    assert.equal(before.fuchs, 1);
    assert.deepEqual(await kbState(kb.id), { generation: 2, chunks: 5 });
    await index.upsertDocument(kb.id, { id: 'a', source: 'a.md', contentHash: 'ha2' }, [chunk('a', 0, 'zebras search zebras', [0, 1, 1, 0])]);
    const after = await terms(kb.id);
    assert.equal(after.fox, undefined); // counted down to 0: the row is gone
    assert.equal(after.zebras, 1); // a chunk counts once however often it holds the word
    assert.equal(after.search, 2);
    assert.deepEqual(await kbState(kb.id), { generation: 3, chunks: 4 });
    await index.deleteDocument(kb.id, 'b');
    assert.deepEqual(await terms(kb.id), { zebras: 1, search: 1 });
    assert.deepEqual(await kbState(kb.id), { generation: 4, chunks: 1 });
    assert.equal(await index.deleteDocument(kb.id, 'b'), false);
    assert.equal((await kbState(kb.id)).generation, 4); // nothing changed: no reload for anyone
  });

  test('deletes cascade: a document row takes its chunks and vectors, a base everything', async () => {
    await s.pool.query("DELETE FROM knowledge_documents WHERE kb_id = $1 AND id = 'b'", [kb.id]);
    const n = async (table: string) => Number((await s.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    assert.equal(await n('knowledge_chunks'), 2);
    assert.equal(await n('knowledge_vectors'), 2);
    await s.pool.query('DELETE FROM knowledge_bases WHERE id = $1', [kb.id]);
    for (const t of ['knowledge_documents', 'knowledge_chunks', 'knowledge_vectors', 'knowledge_terms']) assert.equal(await n(t), 0, t);
    assert.equal(await n('knowledge_embedding_cache'), 5); // the cache outlives bases (pruneEmbeddingCache)
  });

  test('U+0000 in ids, text, metadata and filters is stored as U+FFFD', async () => {
    const id = 'nul\u0000doc';
    await index.upsertDocument(kb.id, { id, source: 's\u0000', contentHash: 'h\u0000', metadata: { 'k\u0000': 'v\u0000' } }, [
      { ...chunk(id, 0, 'zero\u0000byte text', [0, 1, 0, 0], { tag: 'x\u0000y' }), contentHash: 'c\u0000' },
    ]);
    const doc = await index.getDocument(kb.id, id);
    assert.equal(doc?.id, 'nul\uFFFDdoc');
    assert.equal(doc?.source, 's\uFFFD');
    assert.deepEqual(doc?.metadata, { 'k\uFFFD': 'v\uFFFD' });
    const [hit] = await index.search(kb.id, { text: 'byte', filter: { tag: 'x\u0000y' } });
    assert.equal(hit.text, 'zero\uFFFDbyte text');
    assert.equal(hit.documentId, 'nul\uFFFDdoc');
    assert.deepEqual(texts(await index.search(kb.id, { text: 'zero' })), [`${'nul\uFFFDdoc'}0`]);
    assert.ok((await index.cachedEmbeddings('test-embed', ['c\u0000'])).has('c\u0000'));
    assert.equal(await index.getKb('docs\u0000'), null);
    assert.equal(await index.deleteDocument(kb.id, id), true);
  });

  test('query text with tsquery syntax is taken literally', async () => {
    await index.upsertDocument(kb.id, { id: 'q', source: 'q', contentHash: 'hq' }, [
      chunk('q', 0, 'a and b', [0, 0, 1, 1]),
      chunk('q', 1, 'only c here', [0, 1, 1, 1]),
      chunk('q', 2, "it's \\ back:slash", [1, 1, 1, 1]),
    ]);
    const hits = await index.search(kb.id, { text: `a & b | !c:* ' " <-> (` });
    assert.deepEqual(texts(hits), ['q0', 'q1']);
    assert.deepEqual(await index.search(kb.id, { text: `& | ! :* ' " \\` }), []);
    assert.deepEqual(texts(await index.search(kb.id, { text: "IT'S \\back" })), ['q2']);
    assert.deepEqual(texts(await index.search(kb.id, { text: 'a', vector: [0, 0, 1, 1], filter: { x: "'}" } })), []);
  });

  test('a huge chunk is indexed within tsvector limits', async () => {
    const words = Array.from({ length: 20_000 }, (_, i) => (i === 19_999 ? 'lastword' : `w${i % 300}`));
    const text = `${'x'.repeat(3000)} ${words.join(' ')}`;
    await index.upsertDocument(kb.id, { id: 'huge', source: 'h', contentHash: 'hh' }, [{ ...chunk('huge', 0, text, [1, 1, 0, 0]), contentHash: 'huge' }]);
    assert.deepEqual(texts(await index.search(kb.id, { text: 'lastword w7' })), ['huge0']);
    assert.deepEqual(await index.search(kb.id, { text: 'x'.repeat(3000) }), []); // over 2,047 bytes: not indexed
  });

  test('two instances on one schema: codes are rebuilt after the other one writes', async () => {
    const other = await openDb(s.t.location);
    try {
      const b = new PgKnowledgeIndex(other.pool!, { codesBatch: 2 });
      assert.deepEqual(texts(await index.search(kb.id, { vector: [0, 0, 1, 1], k: 2 })), ['b1', 'b2']); // A's codes built
      assert.deepEqual(texts(await b.search(kb.id, { vector: [0, 0, 1, 1], k: 2 })), ['b1', 'b2']); // B's, loaded 2 per batch
      await b.upsertDocument(kb.id, { id: 'n', source: 'n', contentHash: 'hn' }, [chunk('n', 0, 'new', [0, 0, 1, 1])]);
      assert.deepEqual(texts(await index.search(kb.id, { vector: [0, 0, 1, 1], k: 2 })), ['n0', 'b1']);
      await index.deleteDocument(kb.id, 'n');
      await index.deleteDocument(kb.id, 'b');
      assert.deepEqual(texts(await b.search(kb.id, { vector: [0, 0, 1, 1], k: 2 })), ['a0', 'a1']);
      assert.equal(await b.deleteKb('docs'), true);
      await assert.rejects(() => index.search(kb.id, { vector: [0, 0, 1, 1] }), /does not exist/);
      await assert.rejects(() => index.upsertDocument(kb.id, { id: 'z', source: 'z', contentHash: 'z' }, []), /does not exist/);
    } finally {
      await other.close();
    }
  });

  test('concurrent writers of one base queue on its row lock; searches run meanwhile', async () => {
    const writes = Array.from({ length: 8 }, (_, i) =>
      index.upsertDocument(kb.id, { id: `c${i % 4}`, source: 'c', contentHash: `h${i}` }, [chunk(`c${i % 4}`, 0, `parallel ${i}`, [1, 0, 1, 0]), chunk(`c${i % 4}`, 1, 'common', [0, 1, 0, 1])]),
    );
    const searches = Array.from({ length: 4 }, () => index.search(kb.id, { vector: [1, 0, 1, 0], text: 'parallel', k: 5 }));
    const results = await Promise.all(writes);
    await Promise.all(searches);
    assert.deepEqual(results.map((r) => r.version).sort(), [1, 1, 1, 1, 2, 2, 2, 2]);
    assert.equal((await kbState(kb.id)).chunks, 5 + 8);
    assert.equal((await terms(kb.id)).common, 4);
    assert.equal((await terms(kb.id)).parallel, 4);
    assert.equal((await index.search(kb.id, { text: 'parallel', k: 10 })).length, 4);
  });

  test('errors: unknown base, dims, model in the message, bad cache input', async () => {
    await expectBadRequest(
      () => index.search(kb.id, { vector: [1, 0, 0] }),
      /the query vector has 3 dimensions but knowledge base "docs" \(model test-embed\) has 4: embed with test-embed/,
    );
    await expectBadRequest(() => index.storeEmbeddings('', [{ contentHash: 'h', vector: [1] }]), /model must be a non-empty string/);
    await expectBadRequest(() => index.createKb({ name: 'bad name', model: 'm', dims: 4 }), /knowledge base name/);
    await assert.rejects(() => index.getDocument('missing', 'a'), /knowledge base "missing" does not exist/);
    assert.equal(await index.deleteKb('missing'), false);
  });
});
