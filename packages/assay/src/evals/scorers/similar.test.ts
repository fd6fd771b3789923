import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Embedder } from '../../gateway/embedder.js';
import { compileAssertion } from './registry.js';
import { cosine } from './similar.js';
import { both, run } from './test-helpers.js';

/** Vectors by text; records the batches it was asked for. */
function fakeEmbedder(table: Record<string, number[]>) {
  const batches: string[][] = [];
  const embed: Embedder = async (texts) => {
    batches.push(texts);
    return texts.map((t) => {
      if (!table[t]) throw new Error(`no vector for ${t}`);
      return Float32Array.from(table[t]);
    });
  };
  return { embed, batches };
}

const TABLE = {
  'a cat': [1, 0, 0],
  'a kitten': [0.8, 0.6, 0],
  'a truck': [0, 0, 1],
  'a lorry': [0, 0.2, 0.98],
  zero: [0, 0, 0],
};

describe('similar', () => {
  test('cosine: threshold default 0.75; one embedding call for output and references', async () => {
    const { embed, batches } = fakeEmbedder(TABLE);
    const [r] = await both({ type: 'similar', value: 'a kitten' }, 'a cat', true, { embed }); // cos = 0.8
    assert.ok(Math.abs(r.score - 0.8) < 1e-6);
    assert.deepEqual(batches[0], ['a cat', 'a kitten']);
    await both({ type: 'similar', value: 'a kitten', threshold: 0.9 }, 'a cat', false, { embed });
    await both({ type: 'similar:cosine', value: 'a truck' }, 'a cat', false, { embed }); // cos = 0
  });

  test('a list of references passes on any; not-similar needs dissimilarity to all', async () => {
    const { embed } = fakeEmbedder(TABLE);
    const [r] = await both({ type: 'similar', value: ['a truck', 'a kitten'] }, 'a cat', true, { embed });
    assert.ok(Math.abs(r.score - 0.8) < 1e-6);
    await both({ type: 'similar', value: ['a truck', 'a lorry'] }, 'a cat', false, { embed });
  });

  test('dot and euclidean (threshold = max distance; score 1/(1+d))', async () => {
    const { embed } = fakeEmbedder(TABLE);
    await both({ type: 'similar:dot', value: 'a kitten', threshold: 0.5 }, 'a cat', true, { embed }); // 0.8
    // |(1,0,0) − (0.8,0.6,0)| = sqrt(0.04 + 0.36) = sqrt(0.4) ≈ 0.6325
    const [e] = await both({ type: 'similar:euclidean', value: 'a kitten', threshold: 0.7 }, 'a cat', true, { embed });
    assert.ok(Math.abs(e.score - 1 / (1 + Math.sqrt(0.4))) < 1e-6);
    await both({ type: 'similar:euclidean', value: 'a kitten', threshold: 0.5 }, 'a cat', false, { embed });
  });

  test('embedding failures and zero vectors are errors, not passes', async () => {
    const { embed } = fakeEmbedder(TABLE);
    for (const [output, re] of [['unknown', /embedding failed: no vector/], ['zero', /undefined/]] as const) {
      const r = await run({ type: 'not-similar', value: 'a cat' }, output, { embed });
      assert.equal(r.pass, false);
      assert.match(r.error ?? '', re);
    }
    assert.ok(Number.isNaN(cosine([0, 0], [1, 0])));
  });

  test('provider picks the embedding model through embedFor; compile errors', async () => {
    const models: string[] = [];
    const { embed } = fakeEmbedder(TABLE);
    const deps = { embedFor: (m: string) => (models.push(m), embed) };
    assert.equal((await run({ type: 'similar', value: 'a kitten', provider: 'local/bge' }, 'a cat', deps)).pass, true);
    assert.deepEqual(models, ['local/bge']);
    assert.throws(() => compileAssertion({ type: 'similar', value: 'x' }, {}), /needs an embedding model/);
    assert.throws(() => compileAssertion({ type: 'similar', value: 'x', provider: 'm' }, { embed }), /provider \(an embedding model\) is not supported/);
    assert.throws(() => compileAssertion({ type: 'similar', value: [] }, { embed }), /non-empty list/);
    assert.throws(() => compileAssertion({ type: 'similar:manhattan', value: 'x' }, { embed }), /unknown assertion type "similar:manhattan"/);
  });
});
