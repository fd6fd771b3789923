import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agreementReport, type Annotation } from './report.js';
import { judgeAgreement, positionBias } from './judge.js';
import { interpretAlpha, interpretKappa } from './interpret.js';

const close = (actual: number | null, expected: number, tol = 1e-12, msg = '') =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${msg} expected ${expected}, got ${actual}`);

function annotations(table: Record<string, (string | null)[]>): Annotation[] {
  const out: Annotation[] = [];
  for (const [annotator, values] of Object.entries(table)) {
    values.forEach((value, i) => out.push({ item: `item-${i + 1}`, annotator, value }));
  }
  return out;
}

test('agreementReport: balanced 4 items × 3 annotators (same table as the Fleiss test)', () => {
  // ann:    1 2 3 4
  //   amy:  a a b a
  //   bob:  a a b b
  //   cal:  a b b b
  const r = agreementReport(annotations({ amy: ['a', 'a', 'b', 'a'], bob: ['a', 'a', 'b', 'b'], cal: ['a', 'b', 'b', 'b'] }), { level: 'nominal' });
  assert.equal(r.items, 4);
  assert.deepEqual(r.annotators, ['amy', 'bob', 'cal']);
  assert.equal(r.annotations, 12);
  close(r.fleiss?.kappa ?? null, 1 / 3);
  // α by hand: each unit has m = 3; units 2 and 4 (two of one, one of the other) give o_ab = o_ba = 2·1/2 = 1 each,
  //   so Σ off-diagonal = 4 over n = 12; n_a = n_b = 6.
  //   D_o = 4/12 = 1/3; D_e = 2·36/(12·11) = 6/11; α = 1 − (1/3)/(6/11) = 1 − 11/18 = 7/18 = 0.3888889
  close(r.alpha.alpha, 7 / 18);
  // Pairs: amy–bob agree on 3 of 4: p_o = 3/4; marginals amy a3 b1, bob a2 b2: p_e = (3·2 + 1·2)/16 = 0.5; κ = 0.5
  //        amy–cal agree on 2 of 4: p_o = 0.5; cal a1 b3: p_e = (3·1 + 1·3)/16 = 0.375; κ = 0.125/0.625 = 0.2
  //        bob–cal agree on 3 of 4: p_o = 0.75; p_e = (2·1 + 2·3)/16 = 0.5; κ = 0.5
  assert.deepEqual(r.pairs.map((p) => [p.a, p.b, p.n]), [['amy', 'cal', 4], ['amy', 'bob', 4], ['bob', 'cal', 4]]);
  close(r.pairs[0].kappa, 0.2);
  close(r.pairs[1].kappa, 0.5);
  close(r.pairs[2].kappa, 0.5);
  close(r.pairs[0].agreement, 0.5);
  assert.equal(r.weights, 'none');
  assert.match(r.interpretation, /unreliable/);
  assert.match(r.interpretation, /Weakest pair: amy and cal/);
});

test('agreementReport: unbalanced data has no Fleiss, pairs need 2 shared items, duplicates keep the last', () => {
  const anns: Annotation[] = [
    { item: 'q1', annotator: 'amy', value: 1 },
    { item: 'q1', annotator: 'bob', value: 1 },
    { item: 'q2', annotator: 'amy', value: 2 },
    { item: 'q2', annotator: 'bob', value: 3 },
    { item: 'q2', annotator: 'bob', value: 2 }, // re-submitted: replaces 3
    { item: 'q3', annotator: 'amy', value: 3 },
    { item: 'q3', annotator: 'bob', value: 3 },
    { item: 'q3', annotator: 'cal', value: 3 },
    { item: 'q4', annotator: 'cal', value: null }, // no value: ignored
  ];
  const r = agreementReport(anns, { level: 'ordinal' });
  assert.equal(r.duplicates, 1);
  assert.equal(r.items, 3);
  assert.equal(r.fleiss, null);
  assert.match(r.fleissReason as string, /different numbers of ratings \(2, 3\)/);
  assert.equal(r.weights, 'linear');
  // cal shares only q3 with each of the others: no pair for cal.
  assert.deepEqual(r.pairs.map((p) => `${p.a}-${p.b}`), ['amy-bob']);
  close(r.pairs[0].kappa, 1);
  close(r.alpha.alpha, 1);
  assert.equal(r.alpha.n, 7);
  assert.ok(!JSON.stringify(r).includes('NaN'));
});

test('agreementReport: nothing to agree on gives nulls and reasons, not NaN', () => {
  const r = agreementReport([{ item: 'x', annotator: 'amy', value: 'good' }], { level: 'nominal' });
  assert.equal(r.alpha.alpha, null);
  assert.equal(r.fleiss, null);
  assert.match(r.fleissReason as string, /single rating/);
  assert.deepEqual(r.pairs, []);
  assert.match(r.interpretation, /undefined: fewer than 2 pairable values/);
  assert.equal(agreementReport([], { level: 'nominal' }).fleissReason, 'no annotations');
});

test('judgeAgreement: exact match, κ, α and the verdict by hand', () => {
  // 10 items, human vs judge (pass/fail):
  //   human: P P P P P F F F F F
  //   judge: P P P P F F F F F P   → 8 of 10 match, accuracy 0.8
  // κ: rows human P5 F5, cols judge P5 F5: p_e = 0.5, κ = (0.8 − 0.5)/0.5 = 0.6
  // α (nominal, 2 raters): o_PF = o_FP = 2, n_P = n_F = 10, n = 20
  //   D_o = 4/20 = 0.2; D_e = 2·100/(20·19) = 10/19; α = 1 − 0.2·19/10 = 0.62 → below 0.667: flagged
  const h = 'PPPPPFFFFF'.split('').map((value, i) => ({ item: `i${i}`, value }));
  const j = 'PPPPFFFFFP'.split('').map((value, i) => ({ item: `i${i}`, value }));
  const r = judgeAgreement(h, j, { level: 'nominal' });
  assert.equal(r.n, 10);
  close(r.accuracy, 0.8);
  close(r.kappa, 0.6);
  close(r.alpha, 0.62);
  assert.equal(r.verdict, 'flagged');
  assert.deepEqual(r.thresholds, { trusted: 0.8, tentative: 0.667, minItems: 10 });
  assert.deepEqual(r.confusion, { categories: ['F', 'P'], matrix: [[4, 1], [1, 4]] });
  // Lower thresholds make the same judge tentative; then trusted.
  assert.equal(judgeAgreement(h, j, { level: 'nominal', thresholds: { tentative: 0.6 } }).verdict, 'tentative');
  assert.equal(judgeAgreement(h, j, { level: 'nominal', thresholds: { trusted: 0.6, tentative: 0.5 } }).verdict, 'trusted');
});

test('judgeAgreement: perfect judge is trusted; unmatched items are counted; too few items or no variation are flagged', () => {
  const h = Array.from({ length: 12 }, (_, i) => ({ item: `i${i}`, value: (i % 5) + 1 }));
  const j = [...h.slice(0, 11), { item: 'extra', value: 3 }];
  const r = judgeAgreement(h, j, { level: 'interval' });
  assert.equal(r.n, 11);
  assert.equal(r.humanOnly, 1);
  assert.equal(r.judgeOnly, 1);
  close(r.alpha, 1);
  close(r.kappa, 1);
  assert.equal(r.verdict, 'trusted');
  assert.equal(r.details.cohen.weights, 'quadratic');
  const few = judgeAgreement(h.slice(0, 3), j.slice(0, 3), { level: 'interval' });
  assert.equal(few.verdict, 'flagged');
  assert.match(few.reason, /only 3 items/);
  const flat = Array.from({ length: 10 }, (_, i) => ({ item: `i${i}`, value: 'ok' }));
  const same = judgeAgreement(flat, flat, { level: 'nominal' });
  assert.equal(same.alpha, null);
  assert.equal(same.kappa, null);
  assert.equal(same.verdict, 'flagged');
  assert.match(same.reason, /undefined/);
  assert.ok(!JSON.stringify(same).includes('NaN'));
  assert.throws(() => judgeAgreement([{ item: 'a', value: 1 }, { item: 'a', value: 2 }], [], { level: 'nominal' }), /twice/);
});

test('positionBias: a flip is a verdict that does not mirror when A and B swap', () => {
  const r = positionBias([
    { item: '1', verdictAB: 'A', verdictBA: 'B' }, // consistent: the first answer wins both times
    { item: '2', verdictAB: 'tie', verdictBA: 'tie' }, // consistent
    { item: '3', verdictAB: 'A', verdictBA: 'A' }, // flip: whatever is shown first wins
    { item: '4', verdictAB: 'B', verdictBA: 'B' }, // flip: whatever is shown second wins
    { item: '5', verdictAB: 'A', verdictBA: 'tie' }, // flip: preference → tie
  ]);
  // 3 flips of 5 → 0.6
  assert.deepEqual(r, { flipRate: 0.6, n: 5, flips: 3, favorsFirst: 1, favorsSecond: 1, tieFlips: 1 });
  assert.deepEqual(positionBias([]), { flipRate: null, n: 0, flips: 0, favorsFirst: 0, favorsSecond: 0, tieFlips: 0 });
  assert.throws(() => positionBias([{ verdictAB: 'A', verdictBA: 'C' as 'A' }]), /verdict/);
});

test('interpretKappa and interpretAlpha: Landis & Koch bands and Krippendorff thresholds', () => {
  const bands = [[-0.1, 'poor'], [0, 'slight'], [0.2, 'slight'], [0.21, 'fair'], [0.4, 'fair'], [0.41, 'moderate'],
    [0.6, 'moderate'], [0.61, 'substantial'], [0.8, 'substantial'], [0.81, 'almost perfect'], [1, 'almost perfect']] as const;
  for (const [k, band] of bands) assert.equal(interpretKappa(k).band, band, `κ = ${k}`);
  assert.equal(interpretKappa(null).band, 'undefined');
  assert.equal(interpretKappa(0.4).text, 'κ = 0.400: fair agreement (Landis & Koch 0.21–0.40)');
  assert.equal(interpretAlpha(0.8).band, 'reliable');
  assert.equal(interpretAlpha(0.7999).band, 'tentative');
  assert.equal(interpretAlpha(0.667).band, 'tentative');
  assert.equal(interpretAlpha(0.6669).band, 'unreliable');
  assert.equal(interpretAlpha(null).band, 'undefined');
  assert.equal(interpretAlpha(Number.NaN).band, 'undefined');
});
