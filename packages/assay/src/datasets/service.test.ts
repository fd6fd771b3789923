/**
 * DatasetService on both stores: version N reads exactly its items after later edits, the write
 * modes (append, upsert, replace), writes that change nothing make no version, atomic failures,
 * concurrent writers getting consecutive versions, paging across a version, and items from traces.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../store/db.js';
import { storeKinds, type TestStore } from '../../test/helpers/stores.js';
import { AssayError } from '../errors.js';
import { emptyObservation, type Observation } from '../tracing/span.js';
import { DatasetService, RowErrorsError } from './service.js';
import type { DatasetItem } from './types.js';

const P = 'default';
const q = (id: string, question: string, expected?: string) => ({ id, vars: { question }, ...(expected === undefined ? {} : { expected }) });
const brief = (items: DatasetItem[]) => items.map((i) => `${i.id}=${(i.input as { vars: { question: string } }).vars.question}${i.expected === null ? '' : `→${String(i.expected)}`}`);

for (const kind of storeKinds) {
  describe(`datasets service on ${kind.name}`, { skip: kind.skip }, () => {
    let t: TestStore;
    let db: Db;
    const traces = new Map<string, Observation[]>();
    let ds: DatasetService;

    before(async () => {
      t = kind.make();
      db = await openDb(t.location);
      ds = new DatasetService({ db, getTrace: async (id) => traces.get(id) ?? [] });
    });
    after(async () => {
      await db?.close();
      await t?.cleanup();
    });

    test('every version reads exactly its items, after later edits, deletions and replaces', async () => {
      const d = await ds.create(P, { name: 'team/qa', description: 'questions' });
      assert.equal(d.version, 0);
      let r = await ds.writeItems(P, 'team/qa', [q('a', 'one', '1'), q('b', 'two', '2')], { mode: 'append', author: 'k1' });
      assert.deepEqual([r.version, r.added, r.updated, r.removed], [1, 2, 0, 0]);
      r = await ds.writeItems(P, 'team/qa', [q('b', 'two', 'TWO'), q('c', 'three')]); // upsert by default
      assert.deepEqual([r.version, r.added, r.updated, r.unchanged], [2, 1, 1, 0]);
      const patched = await ds.updateItem(P, 'team/qa', 'a', { expected: null, metadata: { checked: true } }, 'k2');
      assert.equal(patched.version, 3);
      assert.equal(patched.item.expected, null);
      assert.deepEqual(patched.item.metadata, { checked: true });
      assert.equal((await ds.deleteItem(P, 'team/qa', 'c')).version, 4);
      r = await ds.writeItems(P, 'team/qa', [q('d', 'four')], { mode: 'replace' });
      assert.deepEqual([r.version, r.added, r.removed], [5, 1, 2]);

      const at = async (v?: number) => brief((await ds.itemsAt(P, 'team/qa', v)).items);
      assert.deepEqual(await at(0), []);
      assert.deepEqual(await at(1), ['a=one→1', 'b=two→2']);
      assert.deepEqual(await at(2), ['a=one→1', 'b=two→TWO', 'c=three']);
      assert.deepEqual(await at(3), ['a=one', 'b=two→TWO', 'c=three']);
      assert.deepEqual(await at(4), ['a=one', 'b=two→TWO']);
      assert.deepEqual(await at(5), ['d=four']);
      assert.deepEqual(await at(), ['d=four']);

      const b2 = await ds.item(P, 'team/qa', 'b', 2);
      assert.equal(b2.version, 2, 'the version this revision appeared in');
      assert.ok(b2.created_at <= b2.updated_at);
      const versions = (await ds.versions(P, 'team/qa')).data;
      assert.deepEqual(
        versions.map((v) => [v.version, v.origin, v.added, v.updated, v.removed, v.items, v.author]),
        [[0, 'create', 0, 0, 0, 0, null], [1, 'items', 2, 0, 0, 2, 'k1'], [2, 'items', 1, 1, 0, 3, null], [3, 'update', 0, 1, 0, 3, 'k2'], [4, 'delete', 0, 0, 1, 2, null], [5, 'items', 1, 0, 2, 1, null]],
      );
      const got = await ds.get(P, d.id);
      assert.deepEqual([got.name, got.version, got.items], ['team/qa', 5, 1]);
      await assert.rejects(ds.itemsAt(P, 'team/qa', 6), (e: unknown) => e instanceof AssayError && e.status === 404 && /versions are 0 to 5/.test(e.message));
    });

    test('a write that changes nothing makes no version (key order does not count)', async () => {
      await ds.create(P, { name: 'same' });
      await ds.writeItems(P, 'same', [{ id: 'x', vars: { a: '1', b: '2' }, metadata: { m: 1, n: 2 } }]);
      const r = await ds.writeItems(P, 'same', [{ id: 'x', vars: { b: '2', a: '1' }, metadata: { n: 2, m: 1 } }]);
      assert.deepEqual([r.version, r.unchanged, r.added, r.updated], [1, 1, 0, 0]);
      assert.equal((await ds.updateItem(P, 'same', 'x', { metadata: { n: 2, m: 1 } })).version, 1);
      // replace with the same id-less items: identical current items keep their ids, nothing changes
      await ds.import(P, 'same', '{"vars":{"q":"1"}}\n{"vars":{"q":"2"}}\n', 'jsonl', { mode: 'replace' });
      const v = (await ds.get(P, 'same')).version;
      const again = await ds.import(P, 'same', '{"vars":{"q":"1"}}\n{"vars":{"q":"2"}}\n', 'jsonl', { mode: 'replace' });
      assert.deepEqual([again.version, again.unchanged, again.added, again.removed], [v, 2, 0, 0]);
      assert.equal((await ds.versions(P, 'same')).data.length, v + 1);
    });

    test('append refuses known ids; duplicates and bad rows fail the whole write', async () => {
      await ds.create(P, { name: 'strict' });
      await ds.writeItems(P, 'strict', [q('a', 'one')], { mode: 'append' });
      await assert.rejects(ds.import(P, 'strict', '{"id":"new","vars":{"q":"1"}}\n{"id":"a","vars":{"q":"2"}}\n', 'jsonl'), (e: unknown) => {
        assert.ok(e instanceof RowErrorsError);
        assert.deepEqual(e.errors.map((x) => [x.line, x.column]), [[2, 'id']]);
        assert.match(e.message, /line 2, field id: item a exists already.*upsert/);
        return true;
      });
      await assert.rejects(ds.writeItems(P, 'strict', [q('z', '1'), q('z', '2')]), /id z appears twice in this write \(first at item 0\)/);
      await assert.rejects(ds.import(P, 'strict', 'q\nok\n"broken\n', 'csv'), (e: unknown) => e instanceof RowErrorsError && e.errors[0].line === 3);
      const d = await ds.get(P, 'strict');
      assert.deepEqual([d.version, d.items], [1, 1], 'nothing was written');
      assert.deepEqual(brief((await ds.itemsAt(P, 'strict')).items), ['a=one']);
    });

    test('concurrent writers get consecutive versions and lose nothing', async () => {
      await ds.create(P, { name: 'busy' });
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => ds.writeItems(P, 'busy', [q(`i${i}`, `n${i}`)])));
      assert.deepEqual(results.map((r) => r.version).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
      const d = await ds.get(P, 'busy');
      assert.deepEqual([d.version, d.items], [8, 8]);
      const v4 = (await ds.itemsAt(P, 'busy', 4)).items;
      assert.equal(v4.length, 4);
    });

    test('pages of a version keep reading that version while it changes', async () => {
      await ds.create(P, { name: 'paged' });
      await ds.writeItems(P, 'paged', Array.from({ length: 25 }, (_, i) => q(`p${String(i).padStart(2, '0')}`, `n${i}`)));
      const first = await ds.items(P, 'paged', { limit: 10 });
      assert.equal(first.data.length, 10);
      await ds.writeItems(P, 'paged', [q('p99', 'late')]);
      await ds.deleteItem(P, 'paged', 'p15');
      const ids = first.data.map((i) => i.id);
      for (let cursor = first.next_cursor; cursor; ) {
        const page = await ds.items(P, 'paged', { limit: 10, cursor });
        assert.equal(page.version, 1);
        ids.push(...page.data.map((i) => i.id));
        cursor = page.next_cursor;
      }
      assert.equal(ids.length, 25);
      assert.ok(ids.includes('p15') && !ids.includes('p99'));
      assert.equal((await ds.items(P, 'paged', { limit: 100 })).data.length, 25, 'current: +p99 -p15');
      await assert.rejects(ds.items(P, 'paged', { version: 2, cursor: first.next_cursor! }), /cursor belongs to version 1/);
    });

    test('items from traces: root input → messages, output → expected; re-adding updates the same item', async () => {
      await ds.create(P, { name: 'from-traces' });
      const root = emptyObservation({
        trace_id: 't1', type: 'generation', name: 'chat.completions', model: 'up/m',
        input: { model: 'up/m', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, stream: false },
        output: { choices: [{ index: 0, message: { role: 'assistant', content: 'hello!' }, finish_reason: 'stop' }] },
      });
      const child = emptyObservation({ trace_id: 't1', type: 'span', name: 'attempt', parent_id: root.id });
      traces.set('t1', [root, child]);
      traces.set('t2', [emptyObservation({ trace_id: 't2', type: 'generation', name: 'chat.completions' })]);

      let r = await ds.fromTraces(P, 'from-traces', ['t1']);
      assert.equal(r.items[0].id, 'trace-t1');
      assert.deepEqual(r.items[0].input, { messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(r.items[0].expected, null);
      assert.deepEqual(r.items[0].metadata, { model: 'up/m', params: { temperature: 0.2 } });
      assert.deepEqual(r.items[0].source, { trace_id: 't1', observation_id: root.id });
      r = await ds.fromTraces(P, 'from-traces', ['t1'], { expectedFrom: 'output' });
      assert.deepEqual([r.version, r.updated, r.added], [2, 1, 0]);
      assert.equal(r.items[0].expected, 'hello!');

      await assert.rejects(ds.fromTraces(P, 'from-traces', ['t1', 'nope', 'gone']), (e: unknown) => e instanceof AssayError && e.status === 404 && /no trace nope, gone/.test(e.message));
      await assert.rejects(ds.fromTraces(P, 'from-traces', ['t2']), (e: unknown) => e instanceof AssayError && e.status === 400 && /no stored input or output.*store_bodies/.test(e.message));
      assert.equal((await ds.get(P, 'from-traces')).version, 2);
    });

    test('names, 404s and 409s', async () => {
      await assert.rejects(ds.create(P, { name: 'bad name' }), (e: unknown) => e instanceof AssayError && e.status === 400 && /letters, digits/.test(e.message));
      await assert.rejects(ds.create(P, { name: '/lead' }), (e: unknown) => e instanceof AssayError && e.status === 400);
      await assert.rejects(ds.create(P, { name: 'team/qa' }), (e: unknown) => e instanceof AssayError && e.status === 409);
      await ds.create('other-project', { name: 'team/qa' });
      await assert.rejects(ds.get(P, 'missing'), (e: unknown) => e instanceof AssayError && e.status === 404 && e.code === 'dataset_not_found');
      await assert.rejects(ds.deleteItem(P, 'team/qa', 'nope'), (e: unknown) => e instanceof AssayError && e.code === 'item_not_found');
      await assert.rejects(ds.updateItem(P, 'team/qa', 'nope', { expected: 'x' }), (e: unknown) => e instanceof AssayError && e.code === 'item_not_found');
      const gone = await ds.delete(P, 'team/qa');
      await assert.rejects(ds.get(P, gone.id), (e: unknown) => e instanceof AssayError && e.status === 404);
      assert.equal((await ds.get('other-project', 'team/qa')).items, 0);
    });
  });
}
