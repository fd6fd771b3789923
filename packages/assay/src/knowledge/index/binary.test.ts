import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryCodes, signCode } from './binary.js';

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
