/**
 * Measuring verification on your own data: an experiment whose variants differ only in
 * `params.assay.verify` runs every item through the verification layer, and the summary compares
 * the pass rates with the usual statistics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestAssay } from './helpers/assay.js';
import { scriptedGateway, type ScriptedOpenAI } from './helpers/scripted-openai.js';

let up: ScriptedOpenAI;
let assay: TestAssay;
scriptedGateway({}, (gw) => ({ up, assay } = gw));

test('an experiment compares a plain variant with a verified one', async () => {
  // A model that is wrong on every other call: the judge's retry catches each wrong answer.
  const flaky = () => {
    let n = 0;
    return () => ({ content: n++ % 2 ? '42' : '41' });
  };
  up.scripts.set('e-plain', flaky());
  up.scripts.set('e-verified', flaky());
  const items = Array.from({ length: 10 }, (_, i) => ({ id: `q${i}`, vars: {}, messages: [{ role: 'user', content: 'What is 17 + 25?' }], assert: [{ type: 'equals', value: '42' }] }));
  const res = await assay.api('/api/experiments?wait=true', {
    method: 'POST',
    body: JSON.stringify({
      name: 'verify-or-not',
      items,
      variants: [
        { id: 'plain', model: 'up/e-plain' },
        { id: 'judged', model: 'up/e-verified', params: { assay: { verify: { strategy: 'judge', assert: [{ type: 'equals', value: '42' }], max_attempts: 2 } } } },
      ],
      concurrency: 1,
    }),
  });
  const e = (await res.json()) as { status: string; summary: { variants: { passRate: { value: number } }[]; comparisons: { mcnemar: { b: number; c: number } }[] } };
  assert.equal(e.status, 'done', JSON.stringify(e));
  assert.deepEqual(e.summary.variants.map((v) => v.passRate.value), [0.5, 1]);
  assert.equal(up.requests.filter((b) => b.model === 'e-verified').length, 20, 'on each item: the wrong answer, then the retry');
  assert.ok(up.requests.every((b) => b.assay === undefined));
});
