import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { BinaryCodes, signCode } from './binary.js';
import { SqliteKnowledgeIndex } from './sqlite.js';

function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

test('sign codes and Hamming nearest with ties by id and a mask', () => {
  assert.deepEqual(Array.from(signCode([1, -1, 0, 2, ...new Array(30).fill(-1), 3])), [0b1001, 0b100]);
  const vs = [[1, 1, 1, 1], [1, 1, 1, -1], [1, 1, -1, -1], [-1, -1, -1, -1], [1, 1, 1, -1]];
  const codes = new BinaryCodes(Float64Array.from([5, 6, 7, 8, 9]), Uint32Array.from(vs.flatMap((v) => Array.from(signCode(v)))), 1);
  const q = signCode([1, 1, 1, 1]);
  assert.deepEqual(codes.nearest(q, 1), [5]);
  assert.deepEqual(codes.nearest(q, 2), [5, 6]); // 6 and 9 tie at distance 1: lower id first
  assert.deepEqual(codes.nearest(q, 3).sort(), [5, 6, 9]);
  assert.deepEqual(codes.nearest(q, 10).sort(), [5, 6, 7, 8, 9]);
  const mask = codes.positionsOf([8, 7, 42]);
  assert.deepEqual(codes.nearest(q, 1, mask), [7]);
  assert.deepEqual(codes.nearest(q, 10, mask), [7, 8]);
});

test('vector arm on 3,000 clustered chunks finds the exact top 10, with and without a filter', async () => {
  const dims = 64;
  const rand = rng(7);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centers = Array.from({ length: 30 }, () => Array.from({ length: dims }, gauss));
  const vecs = Array.from({ length: 3000 }, (_, i) => centers[i % 30].map((c) => c + 0.5 * gauss()));
  const index = new SqliteKnowledgeIndex(new Database(':memory:'));
  const kb = await index.createKb({ name: 'big', model: 'm', dims });
  for (let d = 0; d < 30; d++) {
    const chunks = vecs.slice(d * 100, d * 100 + 100).map((v, j) => ({
      documentId: `d${d}`, chunkIndex: j, text: `chunk ${d}/${j}`, embedText: '', contentHash: `${d}/${j}`, vector: v, metadata: { part: (d * 100 + j) % 2 },
    }));
    await index.upsertDocument(kb.id, { id: `d${d}`, source: `s${d}`, contentHash: `h${d}` }, chunks);
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
      const hits = await index.search(kb.id, { vector: q, k: 10, filter });
      assert.equal(hits.length, 10);
      if (filter) assert.ok(hits.every((h) => h.metadata.part === 1));
      found += hits.filter((h) => exact.has(h.text)).length;
      total += 10;
    }
  }
  // The data and the RNG are fixed, so this is deterministic; 400 of 3,000 (or 1,500) are rescored.
  assert.ok(found / total >= 0.95, `recall ${found / total}`);
});
