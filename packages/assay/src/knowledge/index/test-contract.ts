/**
 * The behaviour every KnowledgeIndex implementation must have, as one test suite that
 * sqlite.test.ts and postgres.test.ts run against their implementation. Where the stores differ by
 * design (the text arm's raw value: FTS5 bm25() on SQLite, ts_rank_cd on PostgreSQL), the suite
 * says so with `dialect`. Not part of the build (tsconfig excludes test-*.ts).
 */
import { describe, test, beforeEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AssayError } from '../../errors.js';
import { embedWithCache } from './embed-cache.js';
import type { ChunkInput, KnowledgeBase, KnowledgeIndex, Metadata, MetadataFilter, SearchHit } from './types.js';

export type ContractIndex = KnowledgeIndex & { pruneEmbeddingCache(model: string): Promise<number> };

export interface ContractStore {
  dialect: 'sqlite' | 'postgres';
  /** A new, empty index (fresh database or emptied tables). */
  fresh(): Promise<ContractIndex>;
  /** Rows in the shared chunk or vector table, optionally of one document id. */
  count(table: 'chunks' | 'vectors', documentId?: string): Promise<number>;
  /** Chunks of the base the text index still finds for any of these words. */
  textMatches(kbId: string, words: string[]): Promise<number>;
  /** What a deleted base leaves behind: its FTS5 tables (SQLite), its term counts (PostgreSQL). */
  leftovers(kbId: string): Promise<number>;
  close(): Promise<void>;
}

export function chunk(documentId: string, chunkIndex: number, text: string, vector: number[], metadata?: Metadata): ChunkInput {
  return { documentId, chunkIndex, text, embedText: text, contentHash: `h:${text}`, vector, metadata };
}

export const A = [
  chunk('a', 0, 'The quick brown fox jumps over the lazy dog', [1, 0, 0, 0]),
  chunk('a', 1, 'Postgres vector search with pgvector', [0, 1, 0, 0]),
];
export const B = [
  chunk('b', 0, 'Der schnelle braune Fuchs', [0.9, 0.1, 0, 0]),
  chunk('b', 1, 'SQLite full text search with FTS5 and bm25 ranking', [0, 0, 1, 0]),
  chunk('b', 2, 'Reciprocal rank fusion merges ranked lists', [0, 0, 0, 1], { lang: 'en' }),
];
export const texts = (hits: SearchHit[]) => hits.map((h) => `${h.documentId}${h.chunkIndex}`);

export function expectBadRequest(fn: () => Promise<unknown>, re: RegExp) {
  return assert.rejects(fn, (e: unknown) => e instanceof AssayError && e.status === 400 && re.test(e.message));
}

/** The two documents every test starts from, in base "docs" (model test-embed, 4 dims). */
export async function seed(index: KnowledgeIndex): Promise<KnowledgeBase> {
  const kb = await index.createKb({ name: 'docs', model: 'test-embed', dims: 4 });
  await index.upsertDocument(kb.id, { id: 'a', source: 'a.md', contentHash: 'ha', metadata: { lang: 'en', team: 'x' } }, A);
  await index.upsertDocument(kb.id, { id: 'b', source: 'b.md', contentHash: 'hb', metadata: { lang: 'de' } }, B);
  return kb;
}

function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

export function knowledgeIndexContract(name: string, open: () => Promise<ContractStore>, skip: string | false = false): void {
  describe(name, { skip }, () => {
    let store: ContractStore;
    let index: ContractIndex;
    let kb: KnowledgeBase;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store?.close();
    });
    beforeEach(async () => {
      index = await store.fresh();
      kb = await seed(index);
    });

    test('knowledge bases: lookup by id or name, names unique, validated', async () => {
      assert.equal((await index.getKb('docs'))?.id, kb.id);
      assert.deepEqual(await index.getKb(kb.id), kb);
      assert.deepEqual(await index.listKbs(), [kb]);
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

    test('text arm ranks chunks holding more query words first', async () => {
      const hits = await index.search(kb.id, { text: 'bm25 search', arms: 'text' });
      assert.deepEqual(texts(hits), ['b1', 'a1']); // b1 holds both words, a1 only "search"
      assert.deepEqual(hits.map((h) => h.textRank), [1, 2]);
      assert.ok(hits[0].score > hits[1].score);
      if (store.dialect === 'sqlite') {
        assert.ok(hits[0].bm25! < hits[1].bm25! && hits[1].bm25! < 0);
        assert.equal(hits[0].score, -hits[0].bm25!);
      } else {
        assert.ok(hits[1].score > 0); // ts_rank_cd: positive, higher is better; no bm25 value
        assert.equal(hits[0].bm25, undefined);
      }
      // Query syntax in the text is taken literally; diacritics and case are folded.
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
      if (store.dialect === 'sqlite') assert.ok(hits[0].bm25! < 0);
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
      await index.upsertDocument(kb.id, { id: 'c', source: 'c.md', contentHash: 'hc', metadata: { n: 2, ok: true, gone: null, tags: ['t'] } }, [chunk('c', 0, 'numbers', [1, 1, 0, 0])]);
      for (const filter of [{ n: 2 }, { n: [1, 2] }, { ok: true }, { gone: null }] as MetadataFilter[]) {
        assert.deepEqual(texts(await index.search(kb.id, { vector: [1, 0, 0, 0], filter })), ['c0'], JSON.stringify(filter));
      }
      for (const filter of [{ n: '2' }, { ok: 'true' }, { missing: null }, { tags: 't' }] as MetadataFilter[]) {
        assert.deepEqual(await index.search(kb.id, { vector: [1, 0, 0, 0], filter }), [], JSON.stringify(filter));
      }
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
      assert.equal(doc?.chunkCount, 1);
      assert.equal(await store.count('chunks', 'a'), 1);
      assert.equal(await store.count('vectors'), 4);
      // A bad chunk leaves the previous version in place.
      await expectBadRequest(() => index.upsertDocument(kb.id, { id: 'a', source: 'a.md', contentHash: 'h3' }, [chunk('a', 0, 'x', [1, 2, 3])]), /3 dimensions/);
      assert.deepEqual(texts(await index.search(kb.id, { text: 'zebras' })), ['a0']);
      assert.equal((await index.getDocument(kb.id, 'a'))?.version, 2);
    });

    test('deleting a document removes it from chunks, vectors and the text index', async () => {
      assert.equal(await index.deleteDocument(kb.id, 'b'), true);
      assert.equal(await index.deleteDocument(kb.id, 'b'), false);
      assert.equal(await store.textMatches(kb.id, ['bm25', 'fuchs', 'fusion']), 0);
      assert.equal(await store.count('chunks', 'b'), 0);
      assert.equal(await store.count('vectors'), 2);
      assert.deepEqual(texts(await index.search(kb.id, { vector: [0, 0, 1, 0], k: 10 })), ['a0', 'a1']);
      assert.equal(await index.getDocument(kb.id, 'b'), null);
      assert.deepEqual((await index.listDocuments(kb.id)).map((d) => d.id), ['a']);
      assert.equal(await index.deleteKb(kb.id), true);
      assert.equal(await index.deleteKb(kb.id), false);
      assert.equal(await store.leftovers(kb.id), 0);
      assert.equal(await store.count('chunks'), 0);
      assert.equal(await store.count('vectors'), 0);
      assert.equal(await index.getKb('docs'), null);
    });

    test('documents list in id order with a cursor', async () => {
      for (const id of ['Z', 'c', 'B_', 'é']) await index.upsertDocument(kb.id, { id, source: id, contentHash: id }, []);
      const all = (await index.listDocuments(kb.id)).map((d) => d.id);
      assert.deepEqual(all, ['B_', 'Z', 'a', 'b', 'c', 'é']); // bytewise, on both stores
      assert.deepEqual((await index.listDocuments(kb.id, { limit: 2, after: 'Z' })).map((d) => d.id), ['a', 'b']);
      await expectBadRequest(() => index.listDocuments(kb.id, { limit: 0 }), /limit must be/);
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
      assert.equal(await index.getDocument(kb.id, 'd'), null);
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
      await index.storeEmbeddings('test-embed', [{ contentHash: 'h:new', vector: [9, 9] }, { contentHash: 'h:new', vector: [7, 7, 7] }]);
      assert.deepEqual(Array.from((await index.cachedEmbeddings('test-embed', ['h:new'])).get('h:new')!), [7, 7, 7]);
      await expectBadRequest(() => index.storeEmbeddings('test-embed', [{ contentHash: 'h', vector: [NaN] }]), /finite numbers/);
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

    test('vector arm on 3,000 clustered chunks finds the exact top 10, with and without a filter', async () => {
      const dims = 64;
      const rand = rng(7);
      const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
      const centers = Array.from({ length: 30 }, () => Array.from({ length: dims }, gauss));
      const vecs = Array.from({ length: 3000 }, (_, i) => centers[i % 30].map((c) => c + 0.5 * gauss()));
      const big = await index.createKb({ name: 'big', model: 'm', dims });
      for (let d = 0; d < 30; d++) {
        const chunks = vecs.slice(d * 100, d * 100 + 100).map((v, j) => ({
          documentId: `d${d}`, chunkIndex: j, text: `chunk ${d}/${j}`, embedText: '', contentHash: `${d}/${j}`, vector: v, metadata: { part: (d * 100 + j) % 2 },
        }));
        await index.upsertDocument(big.id, { id: `d${d}`, source: `s${d}`, contentHash: `h${d}` }, chunks);
      }
      const cos = (a: number[], b: number[]) => {
        let ab = 0, aa = 0, bb = 0;
        for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        return 1 - ab / Math.sqrt(aa * bb);
      };
      let found = 0;
      let total = 0;
      for (let t = 0; t < 10; t++) {
        const q = centers[(t * 7) % 30].map((c) => c + 0.5 * gauss());
        for (const filter of [undefined, { part: 1 }]) {
          const pool = vecs.map((v, i) => ({ i, d: cos(q, v) })).filter((x) => !filter || x.i % 2 === 1);
          const exact = new Set(pool.sort((a, b) => a.d - b.d).slice(0, 10).map((x) => `chunk ${Math.floor(x.i / 100)}/${x.i % 100}`));
          const hits = await index.search(big.id, { vector: q, k: 10, filter });
          assert.equal(hits.length, 10);
          if (filter) assert.ok(hits.every((h) => h.metadata.part === 1));
          found += hits.filter((h) => exact.has(h.text)).length;
          total += 10;
        }
      }
      // The data and the RNG are fixed, so this is deterministic; 400 of 3,000 (or 1,500) are rescored.
      assert.ok(found / total >= 0.95, `recall ${found / total}`);
      // The other base is untouched by this one's chunks.
      assert.deepEqual(texts(await index.search(kb.id, { vector: [1, 0, 0, 0], k: 3 })), ['a0', 'b0', 'a1']);
      assert.deepEqual(await index.search(kb.id, { text: 'chunk' }), []);
    });
  });
}
