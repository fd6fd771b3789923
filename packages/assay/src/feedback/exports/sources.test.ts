import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportRows } from './export.js';
import { preferencesFromPairwise, preferencesFromRatings, sftFromCorrections, unpairedFromPreferences } from './sources.js';
import { blue, green, prov, sky } from './test-fixtures.js';

const grey = { role: 'assistant' as const, content: 'It is grey.' };

describe('records from annotations', () => {
  test('ratings: best vs worst per prompt when the gap reaches minGap; margin = gap', () => {
    const items = [
      { id: 'r1', prompt: sky, outputs: [
        { message: grey, rating: 3, provenance: prov({ trace_ids: ['t2'], annotators: ['b'], agreement: 0.7 }) },
        { message: blue, rating: 5, provenance: prov({ trace_ids: ['t1'], agreement: 0.9, prompt_name: 'p', prompt_version: 2 }) },
        { message: green, rating: 1, provenance: prov({ trace_ids: ['t3'], annotators: ['b'], agreement: 0.6 }) },
      ] },
      { id: 'r2', prompt: sky, outputs: [{ message: blue, rating: 4, provenance: prov() }, { message: green, rating: 3, provenance: prov() }] },
      { id: 'r3', prompt: sky, outputs: [{ message: blue, rating: 4, provenance: prov() }, { message: green, rating: 4, provenance: prov() }] },
    ];
    const prefs = preferencesFromRatings(items, { minGap: 2 });
    assert.equal(prefs.length, 1);
    assert.deepEqual(prefs[0], {
      id: 'r1',
      prompt: sky,
      chosen: blue,
      rejected: green,
      margin: 4,
      source: 'rating_gap',
      provenance: { trace_ids: ['t1', 't3'], annotators: ['ann_a', 'b'], agreement: 0.6, prompt_name: 'p', prompt_version: 2 },
    });
    assert.deepEqual(preferencesFromRatings(items).map((p) => p.id), ['r1', 'r2']);
  });

  test('pairwise: winner chosen, ties dropped, strength becomes the margin, stable derived ids', () => {
    const prefs = preferencesFromPairwise([
      { prompt: sky, a: green, b: blue, verdict: 'B', strength: 0.75, provenance: prov() },
      { prompt: sky, a: blue, b: grey, verdict: 'A', provenance: prov() },
      { prompt: sky, a: blue, b: green, verdict: 'tie', provenance: prov() },
    ]);
    assert.equal(prefs.length, 2);
    assert.deepEqual([prefs[0].chosen, prefs[0].rejected, prefs[0].margin], [blue, green, 0.75]);
    assert.equal(prefs[1].margin, undefined);
    assert.match(prefs[0].id, /^pref_[0-9a-f]{16}$/);
    assert.equal(preferencesFromPairwise([{ prompt: sky, a: green, b: blue, verdict: 'B', provenance: prov() }])[0].id, prefs[0].id);
  });

  test('corrections: an SFT example and a corrected > original preference', () => {
    const { completions, preferences } = sftFromCorrections([
      { id: 'c1', prompt: sky, original: green, corrected: blue, provenance: prov() },
      { id: 'c2', prompt: sky, original: blue, corrected: blue, provenance: prov() },
    ]);
    assert.deepEqual(completions.map((c) => [c.id, c.completion, c.label, c.source]), [['c1:sft', blue, true, 'correction'], ['c2:sft', blue, true, 'correction']]);
    assert.deepEqual(preferences.map((p) => [p.id, p.chosen, p.rejected, p.source]), [['c1:pref', blue, green, 'correction']]);
    const sft = exportRows('openai-sft', completions);
    assert.equal(sft.rows.length, 1, 'the two identical SFT rows are deduplicated');
    assert.equal(exportRows('openai-dpo', preferences).rows.length, 1);
  });

  test('unpaired records from preferences feed the KTO format', () => {
    const unpaired = unpairedFromPreferences(preferencesFromPairwise([{ id: 'j', prompt: sky, a: blue, b: green, verdict: 'A', provenance: prov() }]));
    const r = exportRows('trl-unpaired', unpaired, { style: 'standard' });
    assert.deepEqual(r.rows.map((x) => x.line), [
      '{"prompt":"What color is the sky?","completion":"It is blue.","label":true}',
      '{"prompt":"What color is the sky?","completion":"It is green.","label":false}',
    ]);
  });
});
