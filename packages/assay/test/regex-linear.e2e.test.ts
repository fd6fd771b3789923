/**
 * Regexes from requests run in linear time, end to end: a catastrophic pattern (`(a+)+$` against
 * "aaaa…!", which backtracks about 2^n steps natively) in `assay.verify` (extract.regex, a judge's
 * regex assertion) and in an experiment's regex assertion answers at once while /health keeps
 * answering; lookbehind is a 400 saying why. Before, each of these requests froze the process.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, expectJson, type TestAssay } from './helpers/assay.js';
import { scriptedGateway, type ScriptedOpenAI } from './helpers/scripted-openai.js';

let up: ScriptedOpenAI;
let assay: TestAssay;
scriptedGateway({}, (gw) => ({ up, assay } = gw));

/** Natively, 2^48 backtracking steps: the event loop would never come back. */
const EVIL_TEXT = `${'a'.repeat(48)}!`;
const EVIL = '(a+)+$';
const ask = [{ role: 'user', content: 'say a lot of a' }];

const chat = (body: Record<string, unknown>) =>
  fetch(`${assay.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Runs `call` while timing /health; returns the call's response and both durations. */
async function withHealth<T>(call: () => Promise<T>): Promise<{ result: T; callMs: number; healthMs: number }> {
  const t0 = performance.now();
  const pending = call().then((result) => ({ result, callMs: performance.now() - t0 }));
  const h0 = performance.now();
  const health = await fetch(`${assay.url}/health`);
  const healthMs = performance.now() - h0;
  assert.equal(health.status, 200);
  const { result, callMs } = await pending;
  return { result, callMs, healthMs };
}

describe('linear-time regexes from requests', () => {
  test('a catastrophic extract.regex answers; /health answers meanwhile', async (t) => {
    up.scripts.set('evil', () => ({ content: EVIL_TEXT }));
    const { result, callMs, healthMs } = await withHealth(() => chat({ model: 'up/evil', messages: ask, assay: { verify: { strategy: 'vote', samples: 3, extract: { regex: EVIL } } } }));
    t.diagnostic(`vote with extract.regex ${EVIL}: ${callMs.toFixed(1)} ms; /health meanwhile ${healthMs.toFixed(1)} ms`);
    assert.ok([200, 422].includes(result.status), await result.clone().text());
    const text = await result.text();
    assert.match(text, /does not match|no answer|abstain|verification/i);
  });

  test("a catastrophic regex assertion in a judge's assert answers; /health answers meanwhile", async (t) => {
    up.scripts.set('evil-j', () => ({ content: EVIL_TEXT }));
    const { result, callMs, healthMs } = await withHealth(() =>
      chat({ model: 'up/evil-j', messages: ask, assay: { verify: { strategy: 'judge', assert: [{ type: 'regex', value: EVIL }], max_attempts: 1, on_fail: 'return' } } }),
    );
    t.diagnostic(`judge with regex assertion ${EVIL}: ${callMs.toFixed(1)} ms; /health meanwhile ${healthMs.toFixed(1)} ms`);
    const body = await result.text();
    assert.ok([200, 422].includes(result.status), body);
    assert.match(body, /does not match/);
  });

  test('lookbehind and backreferences are 400s naming the field and why', async () => {
    for (const [verify, param, message] of [
      [{ strategy: 'vote', extract: { regex: '(?<=answer: )\\d+' } }, 'assay.verify.extract.regex', /lookbehind .* is not supported: patterns run in linear time \(RE2 syntax\)/],
      [{ strategy: 'judge', assert: [{ type: 'regex', value: '(a)\\1' }] }, /^assay\.verify\.assert\[0\]/, /backreferences .* are not supported/],
    ] as const) {
      const res = await chat({ model: 'up/never', messages: ask, assay: { verify } });
      const err = (await expectJson<{ error: { message: string; param: string } }>(res, 400)).error;
      assert.match(err.message, message);
      if (typeof param === 'string') assert.equal(err.param, param);
      else assert.match(err.param, param);
    }
  });

  test("an experiment's catastrophic regex assertion finishes (the item fails); lookahead is a 400", async (t) => {
    up.scripts.set('evil-x', () => ({ content: EVIL_TEXT }));
    const body = { name: 'redos', items: [{ id: 'one', vars: {}, assert: [{ type: 'regex', value: EVIL }] }], variants: [{ id: 'v', model: 'up/evil-x', messages: ask }] };
    const { result, callMs, healthMs } = await withHealth(() => assay.post('/api/experiments?wait=true', body));
    t.diagnostic(`experiment with regex assertion ${EVIL}: ${callMs.toFixed(1)} ms; /health meanwhile ${healthMs.toFixed(1)} ms`);
    const e = await expectJson<{ status: string; id: string }>(result, 201);
    assert.equal(e.status, 'done');
    const rows = await expectJson<{ data: { pass: boolean }[] }>(await assay.api(`/api/experiments/${e.id}/results`), 200);
    assert.deepEqual(rows.data.map((r) => r.pass), [false]);

    const bad = await assay.post('/api/experiments', { ...body, items: [{ id: 'one', vars: {}, assert: [{ type: 'regex', value: 'a(?=b)' }] }] });
    const err = (await expectJson<{ error: { message: string } }>(bad, 400)).error;
    assert.match(err.message, /lookahead .* is not supported: patterns run in linear time/);
  });
});
