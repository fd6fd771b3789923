import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { AssayError } from '../../errors.js';
import { SqliteKnowledgeIndex } from './sqlite.js';
import { embedWithCache } from './embed-cache.js';
import { ftsTable } from './schema.js';
import type { ChunkInput, KnowledgeBase, Metadata, MetadataFilter, SearchHit } from './types.js';

function chunk(documentId: string, chunkIndex: number, text: string, vector: number[], metadata?: Metadata): ChunkInput {
  return { documentId, chunkIndex, text, embedText: text, contentHash: `h:${text}`, vector, metadata };
}

const A = [
  chunk('a', 0, 'The quick brown fox jumps over the lazy dog', [1, 0, 0, 0]),
  chunk('a', 1, 'Postgres vector search with pgvector', [0, 1, 0, 0]),
];
const B = [
  chunk('b', 0, 'Der schnelle braune Fuchs', [0.9, 0.1, 0, 0]),
  chunk('b', 1, 'SQLite full text search with FTS5 and bm25 ranking', [0, 0, 1, 0]),
  chunk('b', 2, 'Reciprocal rank fusion merges ranked lists', [0, 0, 0, 1], { lang: 'en' }),
];
const texts = (hits: SearchHit[]) => hits.map((h) => `${h.documentId}${h.chunkIndex}`);

function expectBadRequest(fn: () => Promise<unknown>, re: RegExp) {
  return assert.rejects(fn, (e: unknown) => e instanceof AssayError && e.status === 400 && re.test(e.message));
}

describe('SqliteKnowledgeIndex', () => {
  let db: Database.Database;
  let index: SqliteKnowledgeIndex;
  let kb: KnowledgeBase;
  beforeEach(async () => {
    db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    index = new SqliteKnowledgeIndex(db);
    kb = await index.createKb({ name: 'docs', model: 'test-embed', dims: 4 });
    await index.upsertDocument(kb.id, { id: 'a', source: 'a.md', contentHash: 'ha', metadata: { lang: 'en', team: 'x' } }, A);
    await index.upsertDocument(kb.id, { id: 'b', source: 'b.md', contentHash: 'hb', metadata: { lang: 'de' } }, B);
  });

  test('knowledge bases: lookup by id or name, names unique, validated', async () => {
    assert.equal((await index.getKb('docs'))?.id, kb.id);
    assert.deepEqual(await index.getKb(kb.id), kb);
    await expectBadRequest(() => index.createKb({ name: 'docs', model: 'm', dims: 4 }), /exists already/);
    await expectBadRequest(() => index.createKb({ name: 'x', model: 'm', dims: 0 }), /dims must be an integer/);
    await assert.rejects(() => index.search('nope', { text: 'x' }), (e: unknown) => e instanceof AssayError && e.status === 404);
  });

  test('vector arm ranks by cosine distance, ties by chunk id', async () => {
    const hits = await index.search(kb.id, { vector: [1, 0, 0, 0], k: 3 });
    assert.deepEqual(texts(hits), ['a0', 'b0', 'a1']);
    assert.equal(hits[0].vectorDistance, 0);
    assert.equal(hits[0].score, 1);
    assert.ok(Math.abs(hits[1].vectorDistance! - (1 - 0.9 / Math.sqrt(0.82))) < 1e-6);
    assert.ok(Math.abs(hits[2].vectorDistance! - 1) < 1e-6);
    assert.deepEqual(hits.map((h) => h.vectorRank), [1, 2, 3]);
    assert.equal(hits[0].source, 'a.md');
    assert.deepEqual(hits[0].metadata, { lang: 'en', team: 'x' });
    assert.equal(hits[0].textRank, undefined);
  });

  test('text arm ranks keyword matches by BM25', async () => {
    const hits = await index.search(kb.id, { text: 'bm25 search', arms: 'text' });
    assert.deepEqual(texts(hits), ['b1', 'a1']); // b1 holds both words, a1 only "search"
    assert.ok(hits[0].bm25! < hits[1].bm25! && hits[1].bm25! < 0);
    assert.deepEqual(hits.map((h) => h.textRank), [1, 2]);
    assert.equal(hits[0].score, -hits[0].bm25!);
    // FTS5 syntax in the text is taken literally; diacritics and case are folded.
    assert.deepEqual(texts(await index.search(kb.id, { text: 'NEAR("FÖX" jumping) *:' })), ['a0']);
    assert.deepEqual(await index.search(kb.id, { text: '!!!' }), []);
  });

  test('hybrid fuses both arms with reciprocal rank fusion, k = 60', async () => {
    // vector ranks: b1 (1), b2 (2), then distance-1 ties by chunk id: a0 (3), a1 (4), b0 (5); text "fox": a0 (1).
    const hits = await index.search(kb.id, { vector: [0, 0, 1, 0.5], text: 'fox', k: 5 });
    assert.deepEqual(texts(hits), ['a0', 'b1', 'b2', 'a1', 'b0']);
    const expected = [1 / 63 + 1 / 61, 1 / 61, 1 / 62, 1 / 64, 1 / 65];
    hits.forEach((h, i) => assert.ok(Math.abs(h.score - expected[i]) < 1e-12, `${i}: ${h.score} vs ${expected[i]}`));
    assert.equal(hits[0].vectorRank, 3);
    assert.equal(hits[0].textRank, 1);
    assert.ok(hits[0].bm25! < 0);
    assert.equal(hits[1].textRank, undefined);
    assert.equal((await index.search(kb.id, { vector: [0, 0, 1, 0.5], text: 'fox', k: 2 })).length, 2);
  });

  test('filters: equality, lists, chunk metadata overlays the document, types are strict', async () => {
    const en = await index.search(kb.id, { vector: [1, 0, 0, 0], filter: { lang: 'en' } });
    assert.deepEqual(texts(en), ['a0', 'a1', 'b2']);
    const de = await index.search(kb.id, { vector: [1, 0, 0, 0], filter: { lang: ['de', 'fr'] } });
    assert.deepEqual(texts(de), ['b0', 'b1']);
    assert.deepEqual(texts(await index.search(kb.id, { text: 'search', filter: { team: 'x' } })), ['a1']);
    assert.deepEqual(texts(await index.search(kb.id, { text: 'search', vector: [0, 0, 1, 0], filter: { lang: 'de', team: 'x' } })), []);
    assert.deepEqual(await index.search(kb.id, { vector: [1, 0, 0, 0], filter: { lang: 1 } }), []);
    await index.upsertDocument(kb.id, { id: 'c', source: 'c.md', contentHash: 'hc', metadata: { n: 2, ok: true, gone: null } }, [chunk('c', 0, 'numbers', [1, 1, 0, 0])]);
    for (const filter of [{ n: 2 }, { n: [1, 2] }, { ok: true }, { gone: null }] as MetadataFilter[]) {
      assert.deepEqual(texts(await index.search(kb.id, { vector: [1, 0, 0, 0], filter })), ['c0'], JSON.stringify(filter));
    }
    assert.deepEqual(await index.search(kb.id, { vector: [1, 0, 0, 0], filter: { n: '2' } }), []);
    await expectBadRequest(() => index.search(kb.id, { text: 'x', filter: { 'a"b': 1 } }), /filter key/);
    await expectBadRequest(() => index.search(kb.id, { text: 'x', filter: { a: [] } }), /1 to 256 values/);
  });

  test('re-ingesting a document replaces its chunks atomically', async () => {
    const r = await index.upsertDocument(kb.id, { id: 'a', source: 'a.md', contentHash: 'ha2' }, [chunk('a', 0, 'zebras only now', [0, 1, 1, 0])]);
    assert.deepEqual(r, { documentId: 'a', version: 2, chunks: 1, replaced: 2 });
    assert.deepEqual(await index.search(kb.id, { text: 'fox' }), []);
    assert.deepEqual(texts(await index.search(kb.id, { text: 'zebras' })), ['a0']);
    assert.deepEqual(texts(await index.search(kb.id, { vector: [1, 0, 0, 0], filter: { team: 'x' } })), []);
    const doc = await index.getDocument(kb.id, 'a');
    assert.equal(doc?.version, 2);
    assert.equal(doc?.contentHash, 'ha2');
    assert.equal(db.prepare("SELECT count(*) FROM knowledge_chunks WHERE document_id = 'a'").pluck().get(), 1);
    assert.equal(db.prepare('SELECT count(*) FROM knowledge_vectors').pluck().get(), 4);
    // A bad chunk leaves the previous version in place.
    await expectBadRequest(() => index.upsertDocument(kb.id, { id: 'a', source: 'a.md', contentHash: 'h3' }, [chunk('a', 0, 'x', [1, 2, 3])]), /3 dimensions/);
    assert.deepEqual(texts(await index.search(kb.id, { text: 'zebras' })), ['a0']);
  });

  test('deleting a document removes it from chunks, vectors and the FTS index', async () => {
    assert.equal(await index.deleteDocument(kb.id, 'b'), true);
    assert.equal(await index.deleteDocument(kb.id, 'b'), false);
    const fts = ftsTable(kb.id);
    assert.equal(db.prepare(`SELECT count(*) FROM ${fts} WHERE ${fts} MATCH 'bm25 OR fuchs OR fusion'`).pluck().get(), 0);
    assert.equal(db.prepare("SELECT count(*) FROM knowledge_chunks WHERE document_id = 'b'").pluck().get(), 0);
    assert.equal(db.prepare('SELECT count(*) FROM knowledge_vectors').pluck().get(), 2);
    assert.deepEqual(texts(await index.search(kb.id, { vector: [0, 0, 1, 0], k: 10 })), ['a0', 'a1']);
    assert.equal(await index.getDocument(kb.id, 'b'), null);
    assert.deepEqual((await index.listDocuments(kb.id)).map((d) => d.id), ['a']);
    assert.equal(await index.deleteKb(kb.id), true);
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name LIKE ?").pluck().get(`${fts}%`), 0);
    assert.equal(db.prepare('SELECT count(*) FROM knowledge_chunks').pluck().get(), 0);
  });

  test('dimension mismatches name both dimensions and the model', async () => {
    await expectBadRequest(
      () => index.upsertDocument(kb.id, { id: 'd', source: 'd', contentHash: 'hd' }, [chunk('d', 0, 't', [1, 2, 3])]),
      /chunk 0 of document d has 3 dimensions but knowledge base "docs" \(model test-embed\) has 4/,
    );
    await expectBadRequest(() => index.search(kb.id, { vector: [1, 2, 3, 4, 5] }), /query vector has 5 dimensions .* has 4/);
    await expectBadRequest(() => index.search(kb.id, { vector: [0, 0, 0, 0] }), /all zeros/);
    await expectBadRequest(() => index.search(kb.id, { vector: [1, 0, 0, 0], arms: 'hybrid' }), /needs a non-empty query text/);
    await expectBadRequest(() => index.search(kb.id, { text: 'x', k: 0 }), /k must be/);
    await expectBadRequest(() => index.upsertDocument(kb.id, { id: 'd', source: 'd', contentHash: 'hd' }, [chunk('e', 0, 't', [1, 0, 0, 0])]), /every chunk must belong to d/);
  });

  test('embedding cache: ingested chunks are cached, a text is embedded once', async () => {
    const cached = await index.cachedEmbeddings('test-embed', ['h:Der schnelle braune Fuchs', 'h:missing']);
    assert.deepEqual([...cached.keys()], ['h:Der schnelle braune Fuchs']);
    assert.deepEqual(Array.from(cached.get('h:Der schnelle braune Fuchs')!), Array.from(Float32Array.from([0.9, 0.1, 0, 0])));
    assert.equal((await index.cachedEmbeddings('other-model', ['h:Der schnelle braune Fuchs'])).size, 0);
    const sent: string[][] = [];
    const embed = async (batch: string[]) => {
      sent.push(batch);
      return batch.map((t) => [t.length, 1, 0, 0]);
    };
    const items = [
      { contentHash: 'h:Der schnelle braune Fuchs', embedText: 'Der schnelle braune Fuchs' },
      { contentHash: 'h:new', embedText: 'new' },
      { contentHash: 'h:new', embedText: 'new' },
    ];
    const first = await embedWithCache(index, 'test-embed', items, embed);
    assert.deepEqual(sent, [['new']]);
    assert.deepEqual({ cached: first.cached, embedded: first.embedded }, { cached: 1, embedded: 1 });
    assert.deepEqual(Array.from(first.vectors[2]), [3, 1, 0, 0]);
    const second = await embedWithCache(index, 'test-embed', items, embed);
    assert.equal(sent.length, 1);
    assert.deepEqual({ cached: second.cached, embedded: second.embedded }, { cached: 3, embedded: 0 });
    await index.deleteDocument(kb.id, 'b');
    assert.equal(await index.pruneEmbeddingCache('test-embed'), 4); // b's three chunks and "new"
  });

  test('rerank hook sees the fused pool and its order is kept', async () => {
    let seen = 0;
    const hits = await index.search(kb.id, { vector: [1, 0, 0, 0], k: 2 }, {
      rerank: (_q, results) => {
        seen = results.length;
        return [...results].reverse();
      },
    });
    assert.equal(seen, 5); // pool 4·k = 8, capped by the 5 chunks
    assert.equal(hits.length, 2);
    assert.deepEqual(texts(hits), ['b2', 'b1']);
  });
});
