import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../store/db.js';
import { storeKinds, type TestStore } from '../../test/helpers/stores.js';
import { DeadLetterRepo, type NewDeadLetter } from './dead-letters.js';

const letter = (n: number, row: object = { id: `o${n}`, input: 'x' }): NewDeadLetter => ({
  project_id: 'p',
  kind: 'observation',
  source: 'gateway',
  trace_id: `t${n}`,
  row_id: `o${n}`,
  reason: `refused ${n}`,
  row,
});

for (const kind of storeKinds) {
  describe(`trace dead letters on ${kind.name}`, { skip: kind.skip }, () => {
    let t: TestStore;
    let db: Db;
    let repo: DeadLetterRepo;

    before(async () => {
      t = kind.make();
      db = await openDb(t.location);
      repo = new DeadLetterRepo(db);
    });
    after(async () => {
      await db?.close();
      await t?.cleanup();
    });

    test('stored with the row cut to a safe size, listed newest first in pages', async () => {
      const huge = { id: 'o0', input: 'y'.repeat(100_000), nul: 'a\u0000b', half: '\ud800', deep: JSON.parse(`${'['.repeat(40)}1${']'.repeat(40)}`) };
      await repo.add([letter(0, huge)]);
      await repo.add([letter(1), letter(2)]);
      const first = await repo.list('p', 2);
      assert.equal(first.data.length, 2);
      assert.ok(first.next_cursor);
      const second = await repo.list('p', 2, first.next_cursor);
      const all = [...first.data, ...second.data];
      assert.deepEqual(new Set(all.map((l) => l.row_id)), new Set(['o0', 'o1', 'o2']));
      assert.equal(second.next_cursor, null);
      const big = all.find((l) => l.row_id === 'o0')!;
      const payload = big.payload as Record<string, unknown>;
      assert.equal(big.reason, 'refused 0');
      assert.match(String(payload.input), /truncated/);
      assert.ok(JSON.stringify(payload).length < 70_000);
      assert.equal(payload.nul, 'a\uFFFDb');
      assert.equal(payload.half, '\uFFFD');
      assert.match(JSON.stringify(payload.deep), /nested deeper than 16 levels/);
      assert.deepEqual((await repo.list('other', 10)).data, [], 'per project');
    });

    test('a row that cannot be serialized is stored without its payload', async () => {
      const hostile = { toJSON: () => { throw new Error('no'); } };
      await repo.add([letter(9, hostile)]);
      const l = (await repo.list('p', 50)).data.find((x) => x.row_id === 'o9')!;
      assert.equal(l.payload, null);
      assert.equal(l.reason, 'refused 9');
    });
  });
}
