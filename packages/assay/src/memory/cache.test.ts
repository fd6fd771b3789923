/** The in-process vector cache: exact nearest neighbours, in-place edits, per-term counts, the LRU byte bound. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserVectors, VectorCache } from './cache.js';

function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
}

const vec = (r: () => number, dims: number) => Float32Array.from({ length: dims }, r);

function bruteForce(rows: Map<number, Float32Array>, q: Float32Array, k: number): number[] {
  const cos = (a: Float32Array, b: Float32Array) => {
    let d = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] ** 2; nb += b[i] ** 2; }
    return d / Math.sqrt(na * nb);
  };
  return [...rows].map(([seq, v]) => ({ seq, s: cos(v, q) })).sort((x, y) => y.s - x.s || x.seq - y.seq).slice(0, k).map((x) => x.seq);
}

test('nearest is the exact cosine top k, also after removals', () => {
  const r = rng(7);
  const dims = 37; // not a multiple of 4: the unrolled loop's tail
  const u = new UserVectors('m', dims, 1, 4);
  const rows = new Map<number, Float32Array>();
  for (let seq = 1; seq <= 500; seq++) {
    const v = vec(r, dims);
    rows.set(seq, v);
    u.add({ seq, id: `mem_${seq}`, text: `text ${seq}`, createdAt: seq, vector: v, terms: ['text', String(seq)] });
  }
  for (let i = 0; i < 10; i++) {
    const q = vec(r, dims);
    assert.deepEqual(u.nearest(q, 20).map((h) => h.seq), bruteForce(rows, q, 20));
  }
  for (let seq = 1; seq <= 500; seq += 3) {
    u.remove(seq);
    rows.delete(seq);
  }
  u.remove(9999);
  assert.equal(u.count, rows.size);
  const q = vec(r, dims);
  assert.deepEqual(u.nearest(q, 50).map((h) => h.seq), bruteForce(rows, q, 50));
  assert.deepEqual(u.row(2), { id: 'mem_2', text: 'text 2', createdAt: 2 });
  assert.equal(u.row(1), undefined);
  assert.equal(u.df.get('text'), rows.size);
  assert.equal(u.df.get('1'), undefined);
  assert.equal(u.nearest(q, 1000).length, rows.size);
  assert.throws(() => u.nearest(new Float32Array(3), 1), /3-dimension query/);
});

test('ties go to the older memory; similarity is in [-1, 1]', () => {
  const u = new UserVectors('m', 2, 1);
  for (const seq of [5, 3, 9]) u.add({ seq, id: `m${seq}`, text: '', createdAt: 0, vector: Float32Array.of(1, 0), terms: [] });
  u.add({ seq: 1, id: 'm1', text: '', createdAt: 0, vector: Float32Array.of(-1, 0), terms: [] });
  const hits = u.nearest([2, 0], 4);
  assert.deepEqual(hits.map((h) => h.seq), [3, 5, 9, 1]);
  assert.equal(hits[0].similarity, 1);
  assert.equal(hits[3].similarity, -1);
});

test('the LRU keeps the total under its byte bound', () => {
  const make = (n: number) => {
    const u = new UserVectors('m', 100, 1, n);
    for (let i = 0; i < n; i++) u.add({ seq: i, id: `id${i}`, text: 'x', createdAt: 0, vector: new Float32Array(100).fill(1), terms: [] });
    return u;
  };
  const one = make(100).bytes;
  const cache = new VectorCache(one * 2.5);
  cache.set('a', make(100));
  cache.set('b', make(100));
  assert.ok(cache.get('a', 1)); // a is now the most recent
  cache.set('c', make(100));
  assert.equal(cache.get('b', 1), undefined, 'b was the least recently used');
  assert.ok(cache.get('a', 1) && cache.get('c', 1));
  assert.ok(cache.info().bytes <= cache.maxBytes);
  assert.equal(cache.get('a', 2), undefined, 'an older generation is dropped');
  cache.set('huge', make(300));
  assert.equal(cache.peek('huge'), undefined, 'larger than the whole cache: not kept');
  const c = cache.peek('c')!;
  const before = c.bytes;
  for (let i = 100; i < 400; i++) c.add({ seq: i, id: `id${i}`, text: 'x', createdAt: 0, vector: new Float32Array(100), terms: [] });
  cache.resized('c', before);
  assert.equal(cache.peek('c'), undefined, 'grown past the bound: dropped');
  assert.ok(cache.info().bytes >= 0 && cache.info().bytes <= cache.maxBytes);
});
