import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../store/index.js';
import { sql } from '../store/db.js';
import { emptyObservation, type Observation } from '../tracing/span.js';
import { storeKinds, type TestStore } from '../../test/helpers/stores.js';
import { MetricsService, type MetricsResult } from './service.js';

const MIN = 60_000;
const T0 = 28_333_334 * MIN; // a minute boundary
const FROM = T0 + 1000;
const TO = T0 + 3 * MIN;

let n = 0;
function call(fields: Partial<Observation>): Observation {
  n++;
  return emptyObservation({
    trace_id: `t${n}`, type: 'generation', name: 'chat', project_id: 'p1', route: 'r1', key_id: 'k1', user_id: 'u1',
    environment: 'prod', provider: 'openai', ...fields,
  });
}

/** Five counted calls in buckets 0 and 2 of three, plus rows that must not count. */
function dataset(): Observation[] {
  const g1 = call({ start_time: T0 + 1000, model: 'a', latency_ms: 10, ttft_ms: 5, input_tokens: 100, output_tokens: 10, total_tokens: 110, cached_input_tokens: 40, cost: 0.1, tags: ['x', 'y'], cache_hit: 1, prompt_name: 'greet', prompt_version: 1 });
  const rows = [
    g1,
    call({ start_time: T0 + 2000, model: 'a', latency_ms: 20, input_tokens: 200, output_tokens: 20, total_tokens: 220, cost: 0.2, tags: ['x'], status: 'error', cache_hit: 0 }),
    call({ start_time: T0 + 59_999, type: 'embedding', model: 'b', latency_ms: 30, ttft_ms: 15, input_tokens: 50, output_tokens: 5, total_tokens: 55, cost: 0.05, user_id: 'u2' }),
    call({ start_time: T0 + 2 * MIN, model: 'a', latency_ms: 40, ttft_ms: 25, input_tokens: 300, output_tokens: 30, total_tokens: 330, cached_input_tokens: 10, cost: 0.3, tags: ['y'], cache_hit: 1, prompt_name: 'greet', prompt_version: 2 }),
    call({ start_time: T0 + 2 * MIN + 5, model: 'b', latency_ms: 50, input_tokens: 10, output_tokens: 1, total_tokens: 11, tags: ['x'], status: 'error', environment: 'staging' }),
    // Not counted: an attempt span under g1, an agent roll-up, outside the window, another project.
    { ...call({ start_time: T0 + 1000, type: 'span', model: 'a', latency_ms: 999, input_tokens: 100, total_tokens: 100 }), trace_id: g1.trace_id, parent_id: g1.id },
    call({ start_time: T0 + 1500, type: 'agent', latency_ms: 999 }),
    call({ start_time: TO, model: 'a', latency_ms: 999 }),
    call({ start_time: T0 + 999, model: 'a', latency_ms: 999 }),
    call({ start_time: T0 + 5000, model: 'a', latency_ms: 999, project_id: 'p2' }),
  ];
  // Project p3: 53 users, u00 with 3 calls, u01 with 2, the rest 1 each.
  for (let i = 0; i < 53; i++) {
    for (let k = 0; k < (i === 0 ? 3 : i === 1 ? 2 : 1); k++) {
      rows.push(call({ project_id: 'p3', start_time: T0 + 10_000 + k, user_id: `u${String(i).padStart(2, '0')}`, latency_ms: i }));
    }
  }
  return rows;
}

const all = { from: FROM, to: TO, intervalMs: MIN };
const results: Record<string, Record<string, unknown>> = { sqlite: {}, postgres: {} };

for (const kind of storeKinds) {
  describe(`metrics on ${kind.name}`, { skip: kind.skip }, () => {
    let t: TestStore;
    let store: Store;
    let metrics: MetricsService;
    const keep = (name: string, r: unknown) => {
      results[kind.name][name] = r;
      return r;
    };
    before(async () => {
      t = kind.make();
      store = await openStore(t.location);
      await store.observations.insertMany(dataset());
      metrics = new MetricsService(store);
    });
    after(async () => {
      await store?.close();
      await t?.cleanup();
    });

    test('totals: counts, rates, percentiles, tokens, cost, cache hits', async () => {
      const r = keep('totals', await metrics.query('p1', all)) as MetricsResult;
      assert.deepEqual(r.totals, {
        requests: 5, errors: 2, error_rate: 0.4,
        latency_p50: 30, latency_p95: 48, latency_p99: 49.6,
        ttft_p50: 15, ttft_p95: 24, ttft_p99: 24.8,
        input_tokens: 660, output_tokens: 66, total_tokens: 726, cost: 0.65,
        cache_hit_rate: 2 / 3, cached_input_tokens: 50,
      });
      assert.equal(r.interval_ms, MIN);
      assert.deepEqual(r.group_by, []);
      assert.equal(r.series.length, 1);
      assert.deepEqual(r.series[0].group, {});
      assert.deepEqual(r.series[0].totals, r.totals);
      assert.deepEqual(r.series[0].buckets.map((b) => b.start), [T0, T0 + MIN, T0 + 2 * MIN]);
      assert.deepEqual(r.series[0].buckets.map((b) => b.requests), [3, 0, 2]);
      assert.deepEqual(r.series[0].buckets[1], {
        start: T0 + MIN, requests: 0, errors: 0, error_rate: null, latency_p50: null, latency_p95: null, latency_p99: null,
        ttft_p50: null, ttft_p95: null, ttft_p99: null, input_tokens: 0, output_tokens: 0, total_tokens: 0, cost: 0,
        cache_hit_rate: null, cached_input_tokens: 0,
      });
      const b0 = r.series[0].buckets[0];
      assert.equal(b0.latency_p50, 20);
      assert.equal(b0.latency_p95, 29); // [10,20,30]: pos 1.9
      assert.equal(b0.ttft_p50, 10); // [5,15]
      assert.equal(b0.error_rate, 1 / 3);
      assert.equal(b0.cache_hit_rate, 0.5);
    });

    test('group by model, metrics subset, buckets filled per series', async () => {
      const r = keep('model', await metrics.query('p1', { ...all, groupBy: ['model'], metrics: ['requests', 'errors', 'latency_p50', 'cost'] })) as MetricsResult;
      assert.deepEqual(r.totals, { requests: 5, errors: 2, latency_p50: 30, cost: 0.65 });
      assert.deepEqual(r.series.map((s) => [s.group, s.totals]), [
        [{ model: 'a' }, { requests: 3, errors: 1, latency_p50: 20, cost: 0.6 }],
        [{ model: 'b' }, { requests: 2, errors: 1, latency_p50: 40, cost: 0.05 }],
      ]);
      assert.deepEqual(r.series[0].buckets, [
        { start: T0, requests: 2, errors: 1, latency_p50: 15, cost: 0.3 },
        { start: T0 + MIN, requests: 0, errors: 0, latency_p50: null, cost: 0 },
        { start: T0 + 2 * MIN, requests: 1, errors: 0, latency_p50: 40, cost: 0.3 },
      ]);
      assert.equal(r.groups, 2);
    });

    test('group by tag: a call counts in each of its tags, untagged calls under null, totals once', async () => {
      const r = keep('tag', await metrics.query('p1', { ...all, groupBy: ['tag'], metrics: ['requests', 'errors', 'latency_p50'] })) as MetricsResult;
      assert.deepEqual(r.series.map((s) => [s.group, s.totals]), [
        [{ tag: 'x' }, { requests: 3, errors: 2, latency_p50: 20 }],
        [{ tag: 'y' }, { requests: 2, errors: 0, latency_p50: 25 }],
        [{ tag: null }, { requests: 1, errors: 0, latency_p50: 30 }],
      ]);
      assert.deepEqual(r.totals, { requests: 5, errors: 2, latency_p50: 30 });
    });

    test('filters: tag contains, prompt name or name@version, several at once', async () => {
      const q = (filters: Record<string, string>) => metrics.scalar('p1', 'requests', filters, FROM, TO);
      keep('filters', [await q({ tag: 'x' }), await q({ tag: 'y' }), await q({ tag: 'z' }), await q({ prompt: 'greet' }), await q({ prompt: 'greet@2' }),
        await q({ model: 'b', status: 'error' }), await q({ type: 'embedding' }), await q({ environment: 'staging' }), await q({ user: 'u2', route: 'r1', key: 'k1', provider: 'openai' })]);
      assert.deepEqual(results[kind.name].filters, [3, 2, 0, 2, 1, 1, 1, 1, 1]);
      assert.equal(await metrics.scalar('p1', 'errors', { tag: 'x' }, FROM, TO), 2);
      const r = await metrics.query('p1', { ...all, groupBy: ['prompt'], metrics: ['requests'] });
      assert.deepEqual(r.series.map((s) => [s.group.prompt, s.totals.requests]), [[null, 3], ['greet@1', 1], ['greet@2', 1]]);
    });

    test('two dimensions: ties ordered by group values', async () => {
      const r = keep('two', await metrics.query('p1', { ...all, groupBy: ['model', 'status'], metrics: ['requests'] })) as MetricsResult;
      assert.deepEqual(r.series.map((s) => [s.group, s.totals.requests]), [
        [{ model: 'a', status: 'ok' }, 2],
        [{ model: 'a', status: 'error' }, 1],
        [{ model: 'b', status: 'error' }, 1],
        [{ model: 'b', status: 'ok' }, 1],
      ]);
    });

    test('scalar: one number for alert rules; no data is 0 for counts, null for rates', async () => {
      const s = (m: Parameters<MetricsService['scalar']>[1], from = FROM, to = TO) => metrics.scalar('p1', m, {}, from, to);
      keep('scalar', [await s('latency_p95'), await s('error_rate'), await s('cost'), await s('cache_hit_rate'), await s('ttft_p99')]);
      assert.deepEqual(results[kind.name].scalar, [48, 0.4, 0.65, 2 / 3, 24.8]);
      const empty = [T0 + MIN, T0 + 2 * MIN] as const;
      assert.equal(await s('requests', ...empty), 0);
      assert.equal(await s('cost', ...empty), 0);
      assert.equal(await s('error_rate', ...empty), null);
      assert.equal(await s('latency_p50', ...empty), null);
      assert.equal(await metrics.scalar('nope', 'requests', {}, FROM, TO), 0);
    });

    test('more than 50 groups: top 50 by requests, the rest summed as (other), last', async () => {
      const r = keep('other', await metrics.query('p3', { ...all, groupBy: ['user'], metrics: ['requests', 'latency_p50'] })) as MetricsResult;
      assert.equal(r.groups, 53);
      assert.equal(r.series.length, 51);
      assert.deepEqual(r.series.slice(0, 3).map((s) => [s.group.user, s.totals.requests]), [['u00', 3], ['u01', 2], ['u02', 1]]);
      assert.deepEqual(r.series[49].group, { user: 'u49' });
      assert.deepEqual(r.series[50].group, { user: '(other)' });
      assert.deepEqual(r.series[50].totals, { requests: 3, latency_p50: 51 }); // u50, u51, u52
      assert.equal(r.series[50].buckets[0].requests, 3);
      assert.equal(r.totals.requests, 56);
    });

    test('no calls: one zero series without group_by, none with it', async () => {
      const r = await metrics.query('none', all);
      assert.equal(r.series.length, 1);
      assert.deepEqual(r.series[0].buckets.map((b) => b.requests), [0, 0, 0]);
      assert.equal(r.totals.latency_p50, null);
      assert.deepEqual((await metrics.query('none', { ...all, groupBy: ['model'] })).series, []);
    });

    test('percentiles agree with PostgreSQL percentile_cont', { skip: kind.name !== 'postgres' }, async () => {
      const vals = Array.from({ length: 37 }, (_, i) => ((i * 7919) % 101) + i / 8);
      await store.observations.insertMany(vals.map((v, i) => call({ project_id: 'p4', start_time: FROM + i, latency_ms: v })));
      const { rows } = await sql<{ a: number; b: number; c: number }>`select percentile_cont(0.5) within group (order by latency_ms) as a,
        percentile_cont(0.95) within group (order by latency_ms) as b, percentile_cont(0.99) within group (order by latency_ms) as c
        from observations where project_id = 'p4'`.execute(store.db.kysely);
      const r = await metrics.query('p4', { ...all, metrics: ['latency_p50', 'latency_p95', 'latency_p99'] });
      assert.ok(Math.abs(r.totals.latency_p50! - rows[0].a) < 1e-9);
      assert.ok(Math.abs(r.totals.latency_p95! - rows[0].b) < 1e-9);
      assert.ok(Math.abs(r.totals.latency_p99! - rows[0].c) < 1e-9);
    });
  });
}

test('SQLite and PostgreSQL give the same results', { skip: storeKinds[1].skip }, () => {
  assert.ok(Object.keys(results.sqlite).length >= 7);
  assert.deepEqual(results.postgres, results.sqlite);
});
