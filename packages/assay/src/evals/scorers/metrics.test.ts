import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileAssertion } from './registry.js';
import { levenshtein, lcsLength, MetricInputError, rougeL, rougeN, sentenceBleu, tokenize } from './text-metrics.js';
import { both, run } from './test-helpers.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

// Shared example. Candidate C = "the cat sat on the mat", reference R = "the cat is on the mat" (6 tokens each).
const C = 'The cat sat on the mat.';
const R = 'the cat is on the mat';

describe('text metrics (values worked out by hand)', () => {
  test('tokenize: lowercase words, punctuation dropped, CJK per character', () => {
    assert.deepEqual(tokenize(C), ['the', 'cat', 'sat', 'on', 'the', 'mat']);
    assert.deepEqual(tokenize("Don't stop — 2024!"), ['don', 't', 'stop', '2024']);
    assert.deepEqual(tokenize('東京 is big'), ['東', '京', 'is', 'big']);
  });

  test('levenshtein', () => {
    // kitten → sitten (k→s) → sittin (e→i) → sitting (+g): 3
    assert.equal(levenshtein('kitten', 'sitting'), 3);
    assert.equal(levenshtein('', 'abc'), 3);
    assert.equal(levenshtein('flaw', 'lawn'), 2); // delete f, append n
    assert.equal(levenshtein('héllo🙂', 'hello🙂'), 1); // code points: é→e, the emoji is one unit
    assert.equal(levenshtein('same', 'same'), 0);
  });

  test('ROUGE-N recall, precision, F1', () => {
    // unigrams: C = {the:2, cat, sat, on, mat}, R = {the:2, cat, is, on, mat}
    // clipped overlap = the 2 + cat 1 + on 1 + mat 1 = 5 → recall 5/6, precision 5/6
    const r1 = rougeN(C, R, 1);
    close(r1.recall, 5 / 6);
    close(r1.precision, 5 / 6);
    // bigrams: C = the cat, cat sat, sat on, on the, the mat; R = the cat, cat is, is on, on the, the mat
    // overlap = the cat, on the, the mat = 3 → 3/5
    close(rougeN(C, R, 2).recall, 3 / 5);
    // "the the the" against R: the-count clipped to 2 → recall 2/6, precision 2/3, F1 = 2·(2/3·1/3)/(2/3+1/3) = 4/9
    const clipped = rougeN('the the the', R, 1);
    close(clipped.recall, 2 / 6);
    close(clipped.precision, 2 / 3);
    close(clipped.f1, 4 / 9);
    assert.throws(() => rougeN('x', 'one', 2), MetricInputError);
  });

  test('ROUGE-L', () => {
    // LCS(C, R) = the cat on the mat = 5 → P = R = 5/6 → F1 = 5/6
    assert.equal(lcsLength(tokenize(C), tokenize(R)), 5);
    close(rougeL(C, R).f1, 5 / 6);
    // candidate "the mat" : LCS 2 → P = 1, R = 2/6 → F1 = 2·(1·1/3)/(1+1/3) = 0.5
    close(rougeL('the mat', R).f1, 0.5);
    // β = 2 weighs recall: F = (1+4)·P·R / (R + 4P) = 5·(1/3)/(1/3 + 4) = 5/13
    close(rougeL('the mat', R, 2).f1, 5 / 13);
  });

  test('sentence BLEU-4 with exp smoothing and effective order', () => {
    // p1 = 5/6, p2 = 3/5, p3 = 1/4 (only "on the mat"), p4: no match → exp smoothing 1/(2·3) = 1/6
    // BP = 1 (equal lengths) → BLEU = (5/6 · 3/5 · 1/4 · 1/6)^(1/4) = (1/48)^(1/4) ≈ 0.379918
    const b = sentenceBleu(C, [R]);
    close(b.score, Math.pow(1 / 48, 0.25));
    assert.deepEqual(b.precisions.map((p) => Math.round(p * 1e6) / 1e6), [0.833333, 0.6, 0.25, 0.166667]);
    // identical → 1
    close(sentenceBleu(R, [R]).score, 1);
    // "the cat" vs R: effective order 2 (no 3-/4-grams in the candidate); p1 = p2 = 1;
    // BP = exp(1 − 6/2) = e^−2 ≈ 0.135335
    close(sentenceBleu('the cat', [R]).score, Math.exp(-2));
    // no unigram in common → 0
    assert.equal(sentenceBleu('dogs bark loudly', [R]).score, 0);
    // two references: counts clip to the max over references; the closest reference length wins
    // C vs ["the cat is on the mat", "a cat sat on a mat"]: p1 = 6/6 (the:2 from R1, sat from R2),
    // p2: the cat, cat sat, sat on, on the, the mat all appear in one of them → 5/5;
    // p3: "cat sat on" (R2), "on the mat" (R1) → 2/4; p4: none → 1/(2·3) → (1·1·1/2·1/6)^(1/4) = (1/12)^(1/4)
    close(sentenceBleu(C, [R, 'a cat sat on a mat']).score, Math.pow(1 / 12, 0.25));
  });
});

describe('metric assertions', () => {
  test('levenshtein: threshold = max distance (default 5); score = 1 − d / longer length', async () => {
    const [r] = await both({ type: 'levenshtein', value: 'sitting' }, 'kitten', true);
    close(r.score, 1 - 3 / 7);
    await both({ type: 'levenshtein', value: 'sitting', threshold: 2 }, 'kitten', false);
    await both({ type: 'levenshtein', value: '' }, '', true);
    assert.throws(() => compileAssertion({ type: 'levenshtein', value: 'x', threshold: 1.5 }, {}), /an integer/);
  });

  test('rouge-n: recall by default, config.n and config.measure, threshold default 0.75', async () => {
    const [r] = await both({ type: 'rouge-n', value: R }, C, true); // 5/6 ≥ 0.75
    close(r.score, 5 / 6);
    const [r2] = await both({ type: 'rouge-n', value: R, config: { n: 2 } }, C, false); // 3/5 < 0.75
    close(r2.score, 0.6);
    const [p] = await both({ type: 'rouge-n', value: R, config: { measure: 'precision' }, threshold: 0.6 }, 'the the the', true);
    close(p.score, 2 / 3);
    // a list of references: the best one counts
    const [best] = await both({ type: 'rouge-n', value: ['dogs bark', R] }, C, true);
    close(best.score, 5 / 6);
    assert.throws(() => compileAssertion({ type: 'rouge-n', value: R, config: { n: 5 } }, {}), /config\.n/);
    assert.throws(() => compileAssertion({ type: 'rouge-n', value: R, threshold: 2 }, {}), /threshold must be between 0 and 1/);
  });

  test('rouge-l', async () => {
    const [r] = await both({ type: 'rouge-l', value: R }, C, true);
    close(r.score, 5 / 6);
    await both({ type: 'rouge-l', value: R }, 'the mat', false); // 0.5
  });

  test('bleu: threshold default 0.5; multiple references', async () => {
    const [r] = await both({ type: 'bleu', value: R }, C, false); // 0.3799 < 0.5
    close(r.score, Math.pow(1 / 48, 0.25));
    await both({ type: 'bleu', value: R, threshold: 0.35 }, C, true);
    await both({ type: 'bleu', value: [R, 'a cat sat on a mat'] }, C, true); // (1/12)^(1/4) ≈ 0.537
  });

  test('a reference without words is an error result', async () => {
    const r = await run({ type: 'not-rouge-l', value: '{{ref}}' }, { output: 'x', vars: { ref: '!!!' } });
    assert.equal(r.pass, false);
    assert.match(r.error ?? '', /no words/);
  });
});
