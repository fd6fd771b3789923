import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paretoFrontier } from './frontier.js';

test('frontier on 5 variants by hand', () => {
  const points = [
    { id: 'big', quality: 0.9, cost: 10 }, // best quality: on
    { id: 'mid', quality: 0.85, cost: 4 }, // nothing cheaper is as good: on
    { id: 'old', quality: 0.8, cost: 5 }, // mid is better and cheaper: off
    { id: 'tiny', quality: 0.6, cost: 1 }, // cheapest: on
    { id: 'tiny2', quality: 0.6, cost: 2 }, // tiny is as good and cheaper: off
  ];
  assert.deepEqual(paretoFrontier(points), ['tiny', 'mid', 'big']); // by cost ascending
});

test('frontier ties and edges', () => {
  // exact ties do not dominate each other: both on
  assert.deepEqual(
    paretoFrontier([
      { id: 'a', quality: 0.8, cost: 1 },
      { id: 'b', quality: 0.8, cost: 1 },
      { id: 'c', quality: 0.8, cost: 2 },
    ]),
    ['a', 'b'],
  );
  // same cost, lower quality: off; a tie on the dominated point stays off
  assert.deepEqual(
    paretoFrontier([
      { id: 'x', quality: 0.7, cost: 3 },
      { id: 'y', quality: 0.9, cost: 3 },
      { id: 'z', quality: 0.7, cost: 3 },
    ]),
    ['y'],
  );
  // one variant dominating all
  assert.deepEqual(
    paretoFrontier([
      { id: 'p', quality: 0.5, cost: 2 },
      { id: 'q', quality: 0.95, cost: 0 },
    ]),
    ['q'],
  );
  // unknown cost is left out
  assert.deepEqual(
    paretoFrontier([
      { id: 'known', quality: 0.5, cost: 2 },
      { id: 'unknown', quality: 0.99, cost: NaN },
    ]),
    ['known'],
  );
  assert.deepEqual(paretoFrontier([]), []);
});

test('frontier property: no frontier point is dominated, every other point is', () => {
  let s = 11;
  const next = () => (s = (s * 48271) % 2147483647) / 2147483647;
  for (let t = 0; t < 100; t++) {
    const pts = Array.from({ length: 2 + (t % 9) }, (_, i) => ({ id: `v${i}`, quality: Math.round(next() * 5) / 5, cost: Math.round(next() * 5) }));
    const front = new Set(paretoFrontier(pts));
    for (const p of pts) {
      const dominated = pts.some((o) => o.quality >= p.quality && o.cost <= p.cost && (o.quality > p.quality || o.cost < p.cost));
      assert.equal(front.has(p.id), !dominated, `trial ${t}, ${p.id}`);
    }
  }
});
