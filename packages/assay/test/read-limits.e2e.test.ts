/**
 * Read-path limits through a started server: every list caps `limit`; configured-things lists
 * paginate; free-text trace search covers the last 7 days unless `from` is given; API reads run
 * on the reader (a statement_timeout on PostgreSQL, a worker thread with a timeout on SQLite).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { statSync } from 'node:fs';
import { openDb, API_READ_TIMEOUT_MS, read, WAL_SIZE_LIMIT_BYTES } from '../src/store/db.js';
import { openStore } from '../src/store/index.js';
import { SqliteReader, readerKysely } from '../src/store/sqlite-reader.js';
import { AssayError } from '../src/errors.js';
import { emptyObservation } from '../src/tracing/span.js';
import { expectError, expectJson, startAssay, type TestAssay } from './helpers/assay.js';
import { postgresSkip, storeKinds } from './helpers/stores.js';

const DAY = 86_400_000;

for (const kind of storeKinds) {
  describe(`read limits on ${kind.name}`, { skip: kind.skip }, () => {
    let assay: TestAssay;
    let store: ReturnType<(typeof kind)['make']>;
    before(async () => {
      store = kind.make();
      assay = await startAssay({}, { databaseUrl: store.url });
    });
    after(async () => {
      await assay?.stop();
      await store?.cleanup();
    });

    test('?limit=100000 is a 400 naming the maximum, on every list', async () => {
      for (const path of ['/api/traces', '/api/sessions', '/api/keys', '/api/channels', '/api/budgets', '/api/score-configs', '/api/queues', '/api/kb', '/api/prices/versions', '/api/alerts', '/api/datasets', '/api/experiments']) {
        const res = await assay.api(`${path}?limit=100000`);
        assert.equal(res.status, 400, `${path}: ${await res.clone().text()}`);
        assert.match(await res.text(), /limit|500/, path);
      }
    });

    test('configured-things lists paginate with next_cursor', async () => {
      for (let i = 0; i < 3; i++) await expectJson(await assay.post('/api/keys', { name: `k${i}`, scopes: ['read'] }), 201);
      const first = await expectJson(await assay.api('/api/keys?limit=2'), 200);
      assert.equal(first.data.length, 2);
      assert.ok(first.next_cursor);
      const second = await expectJson(await assay.api(`/api/keys?limit=2&cursor=${first.next_cursor}`), 200);
      const ids = [...first.data, ...second.data].map((k: { id: string }) => k.id);
      assert.equal(new Set(ids).size, ids.length, 'no key twice');
      assert.ok(ids.length >= 4, 'admin key + 3');
      await expectError(await assay.api('/api/keys?cursor=bm9wZQ'), 400, 'invalid_cursor');
    });

    test('free-text search covers the last 7 days unless from is given, and says so', async () => {
      const now = Date.now();
      const old = emptyObservation({ trace_id: 'old-trace-needle'.padEnd(32, '0'), type: 'generation', name: 'chat', start_time: now - 10 * DAY, input: { text: 'needle-in-old' } });
      const fresh = emptyObservation({ trace_id: 'new-trace-needle'.padEnd(32, '0'), type: 'generation', name: 'chat', start_time: now - DAY, input: { text: 'needle-in-new' } });
      await assay.deps.store.observations.insertMany([old, fresh]);
      const page = await expectJson(await assay.api('/api/traces?q=needle-in'), 200);
      assert.deepEqual(page.data.map((t: { trace_id: string }) => t.trace_id), [fresh.trace_id]);
      assert.ok(Math.abs(page.search_from - (now - 7 * DAY)) < 60_000, `search_from ${page.search_from}`);
      const all = await expectJson(await assay.api(`/api/traces?q=needle-in&from=${now - 30 * DAY}`), 200);
      assert.deepEqual(all.data.map((t: { trace_id: string }) => t.trace_id), [fresh.trace_id, old.trace_id]);
      assert.equal(all.search_from, undefined);
      const plain = await expectJson(await assay.api('/api/traces'), 200);
      assert.equal(plain.data.length, 2, 'without q the list has no default window');
    });
  });
}

describe('the PostgreSQL reader', { skip: postgresSkip }, () => {
  test('API reads run with statement_timeout set; a read past it is a 503 that says how to narrow it', async () => {
    const kind = storeKinds[1];
    const store = kind.make();
    const db = await openDb(store.location);
    try {
      const shown = await read(db, (r) => sql<{ statement_timeout: string }>`show statement_timeout`.execute(r));
      assert.equal(shown.rows[0].statement_timeout, `${API_READ_TIMEOUT_MS / 1000}s`);
      const main = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(db.kysely);
      assert.equal(main.rows[0].statement_timeout, '0', 'writes and migrations are not limited');
      const slow = read(db, (r) =>
        r.transaction().execute(async (trx) => {
          await sql`set local statement_timeout = 50`.execute(trx);
          await sql`select pg_sleep(2)`.execute(trx);
        }),
      );
      await assert.rejects(slow, (e: unknown) => e instanceof AssayError && e.status === 503 && e.code === 'query_timeout' && /narrow it/.test(e.message));
    } finally {
      await db.close();
      await store.cleanup();
    }
  });
});

describe('the SQLite reader thread', () => {
  test('a read past the timeout is stopped (503), and the next read works on a new thread', async () => {
    const store = storeKinds[0].make();
    const db = await openDb(store.location);
    const reader = readerKysely<unknown>(new SqliteReader(store.location.target, 100));
    try {
      const long = sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000000) select count(*) from n`;
      await assert.rejects(long.execute(reader), (e: unknown) => e instanceof AssayError && e.status === 503 && e.code === 'query_timeout');
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(reader);
      assert.deepEqual(rows, [{ one: 1 }]);
      await assert.rejects(sql`delete from observations`.execute(reader), /return rows only/);
    } finally {
      await reader.destroy();
      await db.close();
      await store.cleanup();
    }
  });
});

describe('the SQLite WAL', () => {
  test('shrinks back to its limit after many writes are checkpointed', async () => {
    const t = storeKinds[0].make();
    const store = await openStore(t.location);
    const idle = () => new Promise((r) => setTimeout(r, 100));
    try {
      const body = 'x'.repeat(16 * 1024);
      const rows = Array.from({ length: 2_500 }, (_, i) => emptyObservation({ trace_id: `wal-${i}`.padEnd(32, '0'), type: 'span', name: 'x', input: { body } }));
      await store.observations.insertMany(rows); // about 40 MB in one batch
      const grown = statSync(`${t.location.target}-wal`).size;
      assert.ok(grown > WAL_SIZE_LIMIT_BYTES, `the load grew the WAL past the limit (${grown})`);
      await idle(); // the writer checkpoints when idle
      await store.observations.insertMany([emptyObservation({ trace_id: 'wal-last'.padEnd(32, '0'), type: 'span', name: 'x' })]);
      await idle();
      const after = statSync(`${t.location.target}-wal`).size;
      assert.ok(after <= WAL_SIZE_LIMIT_BYTES, `WAL ${after} bytes after the checkpoint; limit ${WAL_SIZE_LIMIT_BYTES}`);
    } finally {
      await store.close();
      await t.cleanup();
    }
  });
});
