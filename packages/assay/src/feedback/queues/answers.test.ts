/** Answer validation per question kind, blind orders, un-blinding, the line diff. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAnswer, comparable, lineDiff, shownOrder } from './answers.js';
import { questionSchema, type ItemContent, type Question } from './types.js';

const single: ItemContent = { input: { messages: [{ role: 'user', content: 'hi' }] }, outputs: [{ output: 'a\nb\nc', trace_id: 't', variant: null }], trace_id: 't', observation_id: null, source: {} };
const pair: ItemContent = { ...single, outputs: [{ output: 'X', trace_id: null, variant: 'x' }, { output: 'Y', trace_id: null, variant: 'y' }], trace_id: null };
const q = (v: unknown) => questionSchema.parse(v) as Question;

test('rating, categorical, boolean, text: values checked with messages naming the question', () => {
  const r = q({ id: 'r', kind: 'rating', prompt: 'p', min: 1, max: 3 });
  assert.equal(checkAnswer(r, 3, single, null), 3);
  assert.throws(() => checkAnswer(r, 2.5, single, null), /question "r" \(rating\): must be a whole number from 1 to 3/);
  const c = q({ id: 'c', kind: 'categorical', prompt: 'p', options: ['a', 'b'] });
  assert.throws(() => checkAnswer(c, 'z', single, null), /must be one of "a", "b", got "z"/);
  assert.throws(() => checkAnswer(q({ id: 'b', kind: 'boolean', prompt: 'p' }), 1, single, null), /true or false/);
  assert.equal(checkAnswer(q({ id: 't', kind: 'text', prompt: 'p' }), 'free', single, null), 'free');
  assert.equal(comparable(q({ id: 't', kind: 'text', prompt: 'p' }), 'free'), null);
});

test('correction: the text and a line diff against the output', () => {
  const fix = q({ id: 'f', kind: 'correction', prompt: 'p' });
  const a = checkAnswer(fix, 'a\nB\nc', single, null) as { diff: unknown; changed: boolean };
  assert.equal(a.changed, true);
  assert.deepEqual(a.diff, [{ op: ' ', line: 'a' }, { op: '-', line: 'b' }, { op: '+', line: 'B' }, { op: ' ', line: 'c' }]);
  assert.throws(() => checkAnswer(fix, 'x', pair, [0, 1]), /needs an item with one output/);
  assert.deepEqual(lineDiff('same', 'same'), [{ op: ' ', line: 'same' }]);
});

test('pairwise: left/right un-blinded through the order shown; tie and strength rules', () => {
  const p = q({ id: 'p', kind: 'pairwise', prompt: 'p', allow_tie: false, strength: true });
  assert.deepEqual(checkAnswer(p, { choice: 'left', strength: 3 }, pair, [1, 0]), { winner: 'b', variant: 'y', choice: 'left', strength: 3 });
  assert.deepEqual(checkAnswer(p, { choice: 'left', strength: 1 }, pair, [0, 1]), { winner: 'a', variant: 'x', choice: 'left', strength: 1 });
  assert.throws(() => checkAnswer(p, { choice: 'tie' }, pair, [0, 1]), /choice must be "left", "right"/);
  assert.throws(() => checkAnswer(p, 'left', pair, [0, 1]), /strength is required/);
  assert.throws(() => checkAnswer(p, 'left', single, null), /needs a pair item/);
  const t = q({ id: 't', kind: 'pairwise', prompt: 'p' });
  assert.deepEqual(checkAnswer(t, 'tie', pair, [1, 0]), { winner: 'tie', variant: null, choice: 'tie', strength: null });
  assert.throws(() => checkAnswer(t, { choice: 'left', strength: 2 }, pair, [0, 1]), /does not ask for a strength/);
});

test('ranking: shown positions → output indices; a permutation is required', () => {
  const r = q({ id: 'r', kind: 'ranking', prompt: 'p' });
  assert.deepEqual(checkAnswer(r, [2, 1], pair, [1, 0]), [0, 1]);
  assert.throws(() => checkAnswer(r, [1, 1], pair, [0, 1]), /shown positions 1…2/);
});

test('shown order: a permutation, stable per (item, annotator), varying across annotators', () => {
  const o = shownOrder('item-1', 'alice', 5);
  assert.deepEqual([...o].sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual(shownOrder('item-1', 'alice', 5), o);
  const firsts = new Set(Array.from({ length: 40 }, (_, i) => shownOrder(`item-${i}`, 'bob', 2)[0]));
  assert.equal(firsts.size, 2, 'both orders occur');
});
