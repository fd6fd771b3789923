/**
 * /api/metrics end to end: real gateway calls through a fake upstream (two models, one failing
 * call), flushed traces, then the metrics API grouped by model; bad parameters get precise 400s.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { startAssay, type TestAssay } from './helpers/assay.js';

let up: FakeOpenAI;
let assay: TestAssay;
let t0: number;

const chat = (model: string, tags?: string) =>
  assay.api('/v1/chat/completions', {
    method: 'POST',
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    headers: tags ? { 'x-assay-tags': tags } : {},
  });

async function metrics(query: string): Promise<{ status: number; body: any }> {
  const res = await assay.api(`/api/metrics?${query}`);
  return { status: res.status, body: await res.json() };
}

before(async () => {
  up = await startFakeOpenAI({ apiKey: 'sk-upstream' });
  assay = await startAssay({
    providers: [{ id: 'up', type: 'openai', base_url: up.url, api_key: 'sk-upstream', models: ['gpt-4o-mini', 'other', 'fail-500'] }],
    routes: [{ name: 'smart', targets: [{ model: 'up/gpt-4o-mini' }] }],
  });
  t0 = Date.now();
  for (let i = 0; i < 3; i++) assert.equal((await chat('smart', i === 0 ? 'beta' : undefined)).status, 200);
  assert.equal((await chat('up/other')).status, 200);
  assert.equal((await chat('up/fail-500')).status >= 500, true);
  await assay.flush();
});
after(async () => {
  await assay?.stop();
  await up?.close();
});

describe('GET /api/metrics', () => {
  test('group_by=model: requests, errors, tokens per model; totals over all calls', async () => {
    const { status, body } = await metrics(`group_by=model&from=${t0 - 1000}&to=${Date.now() + 1000}&interval=1m`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.interval_ms, 60_000);
    assert.deepEqual(body.group_by, ['model']);
    assert.equal(body.totals.requests, 5);
    assert.equal(body.totals.errors, 1);
    assert.equal(body.totals.error_rate, 0.2);
    assert.equal(body.totals.input_tokens, 4 * 7);
    assert.equal(body.totals.output_tokens, 4 * 3);
    assert.equal(body.totals.total_tokens, 4 * 10);
    assert.ok(body.totals.latency_p50 > 0);
    assert.ok(body.totals.latency_p99 >= body.totals.latency_p50);
    const byModel = Object.fromEntries(body.series.map((s: any) => [s.group.model, s.totals]));
    assert.deepEqual(body.series.map((s: any) => s.group.model), ['up/gpt-4o-mini', 'up/fail-500', 'up/other']);
    assert.equal(byModel['up/gpt-4o-mini'].requests, 3);
    assert.equal(byModel['up/gpt-4o-mini'].total_tokens, 30);
    assert.equal(byModel['up/other'].requests, 1);
    assert.equal(byModel['up/fail-500'].errors, 1);
    assert.equal(byModel['up/fail-500'].error_rate, 1);
    for (const s of body.series) {
      const sum = s.buckets.reduce((a: number, b: any) => a + b.requests, 0);
      assert.equal(sum, s.totals.requests);
      for (const b of s.buckets) assert.equal(b.start % 60_000, 0);
    }
  });

  test('filters and metric subsets; defaults to the last 24 hours', async () => {
    const { status, body } = await metrics('metrics=requests,errors&route=smart&tag=beta');
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.totals, { requests: 1, errors: 0 });
    assert.equal(body.to - body.from, 86_400_000);
    assert.ok(body.series[0].buckets.length <= 200);
    const errs = await metrics('status=error&metrics=requests');
    assert.deepEqual(errs.body.totals, { requests: 1 });
  });

  test('bad parameters get a 400 that says what to fix', async () => {
    const cases: [string, RegExp][] = [
      ['interval=5x', /not an interval/],
      ['metrics=requests,latency_p42', /unknown metric "latency_p42"/],
      ['group_by=model,route,user', /at most 2 dimensions/],
      ['group_by=colour', /unknown dimension "colour"/],
      ['from=0&to=86400000&interval=1s', /86400 buckets.*maximum is 2000.*at least 44s/],
      ['colour=red', /unknown parameter "colour": allowed are from, to, interval, metrics, group_by, model/],
      ['from=yesterday', /not a time/],
      ['from=2000&to=1000', /from .* must be before to/],
      ['type=span', /generation or embedding/],
    ];
    for (const [q, re] of cases) {
      const { status, body } = await metrics(q);
      assert.equal(status, 400, `${q}: ${JSON.stringify(body)}`);
      assert.match(body.error.message, re, q);
    }
  });

  test('needs a key with the read scope', async () => {
    const res = await fetch(`${assay.url}/api/metrics`);
    assert.equal(res.status, 401);
    const created = await assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'model-only', scopes: ['model'] }) });
    const { key } = (await created.json()) as { key: string };
    assert.equal((await assay.api('/api/metrics', { key })).status, 403);
  });
});
