import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../../store/db.js';
import { storeKinds } from '../../../test/helpers/stores.js';
import { openKnowledgeIndex } from './open.js';
import { PgKnowledgeIndex } from './postgres.js';
import { SqliteKnowledgeIndex } from './sqlite.js';
import { seed, texts } from './test-contract.js';

for (const kind of storeKinds) {
  describe(`openKnowledgeIndex on the ${kind.name} store`, { skip: kind.skip }, () => {
    test('the store migration (005_knowledge) creates the tables; the index for the dialect works on them', async () => {
      const t = kind.make();
      const db = await openDb(t.location);
      try {
        const index = await openKnowledgeIndex(db);
        assert.ok(index instanceof (kind.name === 'sqlite' ? SqliteKnowledgeIndex : PgKnowledgeIndex));
        const kb = await seed(index);
        assert.deepEqual(texts(await index.search(kb.id, { vector: [0, 0, 1, 0.5], text: 'fox', k: 2 })), ['a0', 'b1']);
        // Reopening runs the migrations again (a no-op) and sees the same base.
        const again = await openDb(t.location);
        try {
          assert.equal((await (await openKnowledgeIndex(again)).getKb('docs'))?.id, kb.id);
        } finally {
          await again.close();
        }
      } finally {
        await db.close();
        await t.cleanup();
      }
    });
  });
}
