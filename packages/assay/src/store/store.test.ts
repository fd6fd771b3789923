import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, resolveStoreLocation, type Store } from './index.js';
import { emptyObservation } from '../tracing/span.js';
import { postgresSkip, postgresStore, storeKinds, type TestStore } from '../../test/helpers/stores.js';

test('resolveStoreLocation understands paths, sqlite: URLs and postgres URLs', () => {
  assert.deepEqual(resolveStoreLocation(undefined, '/d'), { dialect: 'sqlite', target: '/d/assay.db' });
  assert.deepEqual(resolveStoreLocation('/x/y.db', '/d'), { dialect: 'sqlite', target: '/x/y.db' });
  assert.deepEqual(resolveStoreLocation('sqlite:///x/y.db', '/d'), { dialect: 'sqlite', target: '/x/y.db' });
  assert.deepEqual(resolveStoreLocation('sqlite::memory:', '/d'), { dialect: 'sqlite', target: ':memory:' });
  assert.deepEqual(resolveStoreLocation('postgres://u@h:5432/db?schema=s1', '/d'), {
    dialect: 'postgres', target: 'postgres://u@h:5432/db', schema: 's1',
  });
  assert.throws(() => resolveStoreLocation('mysql://h/db', '/d'), /unsupported scheme/);
  assert.throws(() => resolveStoreLocation('postgres://h/db?schema=a;drop', '/d'), /plain identifier/);
});

for (const kind of storeKinds) {
  describe(`store on ${kind.name}`, { skip: kind.skip }, () => {
    let t: TestStore;
    let store: Store;
    before(async () => {
      t = kind.make();
      store = await openStore(t.location);
    });
    after(async () => {
      await store?.close();
      await t?.cleanup();
    });

    test('migrations are idempotent: opening twice works', async () => {
      const again = await openStore(t.location);
      await again.close();
    });

    test('keys: insert, find by hash, list, revoke', async () => {
      const now = Date.now();
      await store.keys.insert({
        id: 'key_1', project_id: 'default', name: 'ci', prefix: 'sk-assay-ab', hash: 'h1',
        scopes: ['model', 'read'], models: ['smart'], policy: { tools: { knowledge_bases: ['docs'] }, rate_limits: { max_in_flight: 2 } },
        created_at: now, revoked_at: null,
      });
      const k = await store.keys.getByHash('h1');
      assert.deepEqual(k?.scopes, ['model', 'read']);
      assert.deepEqual(k?.models, ['smart']);
      assert.deepEqual(k?.policy, { tools: { knowledge_bases: ['docs'] }, rate_limits: { max_in_flight: 2 } });
      assert.equal(k?.created_at, now);
      assert.equal((await store.keys.list()).length, 1);
      assert.equal(await store.keys.revoke('key_1', now + 1), true);
      assert.equal(await store.keys.revoke('key_1', now + 2), false);
      assert.equal((await store.keys.list()).length, 0);
      assert.equal((await store.keys.list({ includeRevoked: true }))[0].revoked_at, now + 1);
    });

    test('observations: batch insert, filtered cursor pages, full trace with bodies', async () => {
      const base = 1_700_000_000_000;
      const rows = [];
      for (let i = 0; i < 25; i++) {
        const root = emptyObservation({
          trace_id: `trace${i}`, type: 'span', name: 'chat.completions', start_time: base + i,
          model: i % 2 ? 'up/a' : 'up/b', route: 'smart', user_id: `u${i % 3}`, session_id: 's1',
          status: i % 5 === 0 ? 'error' : 'ok', tags: ['x', `t${i}`], input: { messages: [{ role: 'user', content: `q${i}` }] },
          output: { text: 'é 😀' }, usage: { prompt_tokens: 3 }, latency_ms: 1.25,
        });
        rows.push(root, emptyObservation({ trace_id: `trace${i}`, parent_id: root.id, type: 'generation', name: 'attempt 1', start_time: base + i }));
      }
      await store.observations.insertMany(rows);
      await store.observations.insertMany(rows.slice(0, 2)); // a re-sent batch changes nothing

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.observations.listTraces({ userId: 'u1' }, 3, cursor);
        seen.push(...page.data.map((r) => r.trace_id));
        for (const r of page.data) assert.equal(r.user_id, 'u1');
        cursor = page.next_cursor;
      } while (cursor);
      assert.deepEqual(seen, ['trace22', 'trace19', 'trace16', 'trace13', 'trace10', 'trace7', 'trace4', 'trace1']);

      const errs = await store.observations.listTraces({ status: 'error', from: base + 5, to: base + 20 }, 50);
      assert.deepEqual(errs.data.map((r) => r.trace_id), ['trace15', 'trace10', 'trace5']);
      assert.deepEqual(errs.data[0].tags, ['x', 't15']);
      assert.equal((errs.data[0] as Record<string, unknown>).input, undefined, 'list rows carry no bodies');

      const trace = await store.observations.getTrace('trace3');
      assert.equal(trace.length, 2);
      trace.sort((a, b) => (a.parent_id === null ? -1 : b.parent_id === null ? 1 : 0));
      assert.deepEqual(trace[0].input, { messages: [{ role: 'user', content: 'q3' }] });
      assert.deepEqual(trace[0].output, { text: 'é 😀' });
      assert.equal(trace[0].latency_ms, 1.25);
      assert.equal(trace[0].start_time, base + 3);
      assert.equal(trace[1].parent_id, trace[0].id);
    });
  });
}

test('a second PostgreSQL schema in the same database migrates on its own', { skip: postgresSkip }, async () => {
  // Kysely looks for its migration tables in every schema unless told which: the second schema
  // was taken as migrated and its first query failed.
  const a = postgresStore();
  const b = postgresStore();
  const sa = await openStore(a.location);
  try {
    const sb = await openStore(b.location);
    await sb.observations.insertMany([emptyObservation({ trace_id: 't', type: 'span', name: 'x' })]);
    assert.equal((await sb.observations.getTrace('t')).length, 1);
    assert.equal((await sa.observations.getTrace('t')).length, 0);
    await sb.close();
  } finally {
    await sa.close();
    await a.cleanup();
    await b.cleanup();
  }
});

for (const kind of storeKinds) {
  test(`observations with NUL characters and every JSON shape are stored (${kind.name})`, { skip: kind.skip }, async () => {
    const t = kind.make();
    const store = await openStore(t.location);
    try {
      const o = emptyObservation({
        trace_id: 'nul', type: 'generation', name: 'a\u0000b', input: 'plain string', output: [1, 'x\u0000y', null],
        metadata: { nested: { deep: true } }, tags: ['t'], cost: 1.5e-7, start_time: 1718000000000.6,
      });
      const nothing = emptyObservation({ trace_id: 'nul', type: 'span', name: 'empty', input: null, output: null, metadata: null });
      await store.observations.insertMany([o, nothing]);
      const [a, b] = await store.observations.getTrace('nul');
      const nul = kind.name === 'postgres' ? '\uFFFD' : '\u0000'; // PostgreSQL text cannot hold U+0000
      assert.equal(a.name, `a${nul}b`);
      assert.deepEqual([a.input, a.output, a.metadata, a.tags, a.cost, a.start_time], ['plain string', [1, `x${nul}y`, null], { nested: { deep: true } }, ['t'], 1.5e-7, 1718000000001]);
      assert.deepEqual([b.input, b.output, b.metadata], [null, null, null]);
    } finally {
      await store.close();
      await t.cleanup();
    }
  });
}
