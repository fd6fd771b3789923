/**
 * Experiments end to end against scripted upstreams with known answers, so the statistics can be
 * checked against values computed by hand: inline items and a dataset version, an inline template
 * and a registry prompt, repeats, deterministic and model-graded assertions (a grader error never
 * passes), traces tagged with the experiment, and the errors a caller can make.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAssay, type TestAssay } from './helpers/assay.js';
import { lastUser, startScriptedOpenAI, type ScriptedOpenAI } from './helpers/scripted-openai.js';

let up: ScriptedOpenAI;
let assay: TestAssay;

const post = async (path: string, body: unknown, expect = 201) => {
  const res = await assay.api(path, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  assert.equal(res.status, expect, text);
  return JSON.parse(text);
};

/** 20 sums a + b; the "good" model answers all right, the "bad" one only the first 12. */
const ITEMS = Array.from({ length: 20 }, (_, i) => ({ id: `sum-${i}`, vars: { a: i, b: 2 * i }, assert: [{ type: 'equals', value: String(3 * i) }] }));
const sum = (text: string) => {
  const m = /(\d+) \+ (\d+)/.exec(text);
  return m ? Number(m[1]) + Number(m[2]) : NaN;
};

before(async () => {
  up = await startScriptedOpenAI();
  up.scripts.set('good', (body) => ({ content: String(sum(lastUser(body))), usage: { prompt_tokens: 10, completion_tokens: 1 } }));
  up.scripts.set('bad', (body) => {
    const s = sum(lastUser(body));
    return { content: String(s / 3 < 12 ? s : s + 1), usage: { prompt_tokens: 10, completion_tokens: 1 } };
  });
  let flip = 0;
  up.scripts.set('coin', (body) => ({ content: String(sum(lastUser(body)) + (flip++ % 2)) }));
  up.scripts.set('judge', (body) => {
    const text = JSON.stringify(body.messages);
    if (text.includes('BROKEN')) return { content: 'not json at all' };
    return { content: JSON.stringify({ reason: 'looks right', pass: !text.includes('wrong'), score: text.includes('wrong') ? 0 : 1 }) };
  });
  assay = await startAssay({ providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'k', models: ['good'] }] });
});
after(async () => {
  await assay?.stop();
  await up?.close();
});

const template = [{ role: 'user', content: 'What is {{a}} + {{b}}? Answer with the number only.' }];

describe('experiments', () => {
  test('two variants on 20 items: pass rates, Wilson intervals and McNemar as computed by hand; results and traces', async () => {
    const e = await post('/api/experiments?wait=true', {
      name: 'sums',
      items: ITEMS,
      variants: [
        { id: 'good', model: 'up/good', messages: template },
        { id: 'bad', model: 'up/bad', messages: template, params: { temperature: 0 } },
      ],
      concurrency: 4,
    });
    assert.equal(e.status, 'done');
    assert.equal(e.total, 40);
    assert.equal(e.done, 40);
    const [good, bad] = e.summary.variants;
    assert.equal(good.passRate.value, 1);
    assert.equal(bad.passRate.value, 0.6);
    // Wilson 20/20: centre = (1 + 1.96²/40)/(1 + 1.96²/20) = 0.91940, half = 1.96/1.19208 · √(0 + 3.8416/1600) = 0.08057 → low 0.83887
    assert.ok(Math.abs(good.passRate.low - 0.83887) < 1e-4, String(good.passRate.low));
    assert.equal(good.passRate.high, 1);
    const c = e.summary.comparisons[0];
    // b = good passes, bad fails = 8; c = 0 → exact: p = 2 · 0.5⁸ = 0.0078125
    assert.deepEqual(c.mcnemar, { b: 8, c: 0, p: 0.0078125, method: 'exact' });
    assert.equal(c.passRateDiff, -0.4);
    assert.equal(c.significant, true);
    assert.equal(c.regression, true);
    assert.equal(good.tokens.input, 200);

    const results = (await (await assay.api(`/api/experiments/${e.id}/results`)).json()) as { data: any[] };
    assert.equal(results.data.length, 40);
    const row = results.data.find((r) => r.item_id === 'sum-13' && r.variant === 'bad');
    assert.equal(row.output, '40');
    assert.equal(row.pass, false);
    assert.equal(row.assertions[0].type, 'equals');
    // the request the model got: the template rendered with the item's vars, the variant's params
    const sent = up.requests.find((r) => r.model === 'bad' && lastUser(r).startsWith('What is 13 + 26?'))!;
    assert.equal(sent.temperature, 0);
    // every call is a trace tagged with the experiment
    await assay.flush();
    const traces = (await (await assay.api(`/api/traces?tag=${encodeURIComponent(`experiment:${e.id}`)}&limit=100`)).json()) as { data: any[] };
    assert.equal(traces.data.length, 40);
    const list = (await (await assay.api('/api/experiments')).json()) as { data: any[] };
    assert.equal(list.data[0].id, e.id);
    assert.deepEqual(list.data[0].variants, ['good', 'bad']);
  });

  test('repeats: pass@k, pass^k and flaky items', async () => {
    const e = await post('/api/experiments?wait=true', {
      name: 'coin',
      items: ITEMS.slice(0, 4),
      variants: [{ id: 'coin', model: 'up/coin', messages: template }],
      repeats: 2,
      concurrency: 1,
    });
    const v = e.summary.variants[0];
    // the coin model alternates right/wrong: each item passes exactly 1 of 2 runs (concurrency 1 keeps the order)
    assert.equal(v.passRate.value, 0.5);
    assert.equal(v.passAtK, 1); // n − c = 1 < k = 2 → 1 for every item
    assert.equal(v.passHatK, 0); // C(1,2)/C(2,2) = 0
    assert.deepEqual(v.flakyItems.sort(), ['sum-0', 'sum-1', 'sum-2', 'sum-3']);
  });

  test('from a dataset version and a registry prompt; the trace records the prompt version', async () => {
    await post('/api/datasets', { name: 'sums' });
    const imported = await assay.api('/api/datasets/sums/import', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: ITEMS.slice(0, 5).map((it) => JSON.stringify(it)).join('\n'),
    });
    assert.equal(imported.status, 200, await imported.clone().text());
    await post('/api/prompts', { name: 'adder', type: 'chat', prompt: template, labels: ['production'] });
    const e = await post('/api/experiments?wait=true', {
      name: 'from-dataset',
      dataset: { name: 'sums' },
      variants: [{ id: 'v1', model: 'up/good', prompt: { name: 'adder' } }],
    });
    assert.equal(e.dataset, 'sums');
    assert.equal(e.dataset_version, 1);
    assert.equal(e.summary.variants[0].passRate.value, 1);
    assert.equal(e.summary.variants[0].prompt, 'adder');
    const results = (await (await assay.api(`/api/experiments/${e.id}/results`)).json()) as { data: any[] };
    await assay.flush();
    const t = (await (await assay.api(`/api/traces/${results.data[0].trace_id}`)).json()) as { observations: any[] };
    const root = t.observations.find((o) => o.parent_id === null);
    assert.equal(root.prompt_name, 'adder');
    assert.equal(root.prompt_version, 1);
  });

  test('model-graded: the grader is asked at temperature 0 with a schema; a broken grader answer is an error, never a pass', async () => {
    const e = await post('/api/experiments?wait=true', {
      name: 'judged',
      items: [
        { id: 'ok', vars: { a: 1, b: 2 } },
        { id: 'broken', vars: { a: 2, b: 2 }, assert: [{ type: 'llm-rubric', value: 'BROKEN rubric' }] },
      ],
      variants: [{ id: 'v', model: 'up/good', messages: template }],
      assert: [{ type: 'llm-rubric', value: 'The answer is a number' }],
      grader: 'up/judge',
    });
    const results = (await (await assay.api(`/api/experiments/${e.id}/results`)).json()) as { data: any[] };
    const ok = results.data.find((r) => r.item_id === 'ok');
    assert.equal(ok.pass, true);
    assert.ok(ok.assertions[0].metadata.renderedGradingPrompt.includes('The answer is a number'));
    const broken = results.data.find((r) => r.item_id === 'broken');
    assert.equal(broken.pass, false);
    const failed = broken.assertions.find((a: any) => a.error);
    assert.ok(failed, 'the broken grader answer is an error');
    const judgeCall = up.requests.find((r) => r.model === 'judge')!;
    assert.equal(judgeCall.temperature, 0);
    assert.equal((judgeCall.response_format as any).type, 'json_schema');
  });

  test('against a baseline experiment: a significant drop is a regression, a same-quality rerun is not', async () => {
    const run = (name: string, model: string) =>
      post('/api/experiments?wait=true', { name, items: ITEMS, variants: [{ id: 'v', model, messages: template }] });
    const baseline = await run('base', 'up/good');
    const worse = await run('candidate', 'up/bad');
    const same = await run('rerun', 'up/good');
    let res = await assay.api(`/api/experiments/${worse.id}/compare?baseline=${baseline.id}`);
    let body = (await res.json()) as any;
    assert.equal(body.regression, true);
    assert.deepEqual(body.comparisons[0].mcnemar, { b: 8, c: 0, p: 0.0078125, method: 'exact' });
    res = await assay.api(`/api/experiments/${same.id}/compare?baseline=base`);
    body = await res.json();
    assert.equal(body.regression, false);
    assert.equal(body.comparisons[0].passRateDiff, 0);
    res = await assay.api(`/api/experiments/${same.id}/compare`);
    assert.equal(res.status, 400);
  });

  test('caller mistakes are precise 400s; nothing is created', async () => {
    const bad = async (body: unknown, re: RegExp, status = 400) => {
      const res = await assay.api('/api/experiments', { method: 'POST', body: JSON.stringify(body) });
      assert.equal(res.status, status);
      assert.match(((await res.json()) as any).error.message, re);
    };
    const base = { name: 'x', items: [{ id: 'a', vars: {} }], variants: [{ id: 'v', model: 'up/good', messages: template }] };
    await bad({ ...base, assert: [{ type: 'equalz', value: 'x' }] }, /equalz/);
    await bad({ ...base, dataset: { name: 'sums' } }, /either dataset .* or inline items/);
    await bad({ ...base, variants: [] }, /at least one variant/);
    await bad({ ...base, variants: [base.variants[0], base.variants[0]] }, /duplicate variant id "v"/);
    await bad({ ...base, items: undefined, dataset: { name: 'nope' } }, /nope/, 404);
    const list = (await (await assay.api('/api/experiments')).json()) as { data: any[] };
    assert.ok(!list.data.some((e) => e.name === 'x'));
  });
});
