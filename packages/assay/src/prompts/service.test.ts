/**
 * PromptService on both stores: versions and labels, resolution rules and their errors, the type
 * rule, old versions loaded once into the LRU, concurrent writers, and the cache across two service
 * instances on one database (as two Assay processes): a write on one is served by the other after
 * its generation check, a write on itself at once.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../store/db.js';
import { storeKinds, type TestStore } from '../../test/helpers/stores.js';
import { AssayError } from '../errors.js';
import { PromptService } from './service.js';
import { toNewVersion, createInputSchema, type CreateInput } from './types.js';

const input = (v: CreateInput) => toNewVersion(createInputSchema.parse(v));
const actor = { keyId: 'key_test' };

function rejectsWith(status: number, code: string, re?: RegExp) {
  return (e: unknown) => e instanceof AssayError && e.status === status && e.code === code && (!re || re.test(e.message));
}

for (const kind of storeKinds) {
  describe(`prompt service on ${kind.name}`, { skip: kind.skip }, () => {
    let t: TestStore;
    let db: Db;
    let other: Db;
    let clock = 1_700_000_000_000;
    const now = () => clock++;

    before(async () => {
      t = kind.make();
      db = await openDb(t.location);
      other = await openDb(t.location);
    });
    after(async () => {
      await other?.close();
      await db?.close();
      await t?.cleanup();
    });

    test('versions, labels, latest, and resolution order', async () => {
      const s = new PromptService({ db, pollMs: 0, now });
      await s.start();
      const v1 = await s.create(input({ name: 'support/answer', prompt: 'Answer {{q}}', config: { temperature: 0.1 }, labels: ['production'], commit_message: 'first', tags: ['support'] }), actor);
      assert.equal(v1.version, 1);
      assert.deepEqual(v1.labels, ['production', 'latest']);
      assert.deepEqual(v1.variables, ['q']);
      assert.equal(v1.created_by, 'key_test');
      assert.equal(v1.commit_message, 'first');
      const v2 = await s.create(input({ name: 'support/answer', prompt: 'Answer {{q}} briefly', labels: ['staging'] }), actor);
      assert.equal(v2.version, 2);
      assert.deepEqual(v2.tags, ['support'], 'tags stay when a version does not give them');
      assert.deepEqual(v2.labels, ['staging', 'latest']);
      assert.equal((await s.get({ name: 'support/answer' })).version, 1, 'no label or version: production');
      assert.equal((await s.get({ name: 'support/answer', label: 'latest' })).version, 2);
      assert.equal((await s.get({ name: 'support/answer', label: 'staging' })).version, 2);
      assert.equal((await s.get({ name: 'support/answer', version: 1 })).prompt, 'Answer {{q}}');
      assert.deepEqual((await s.get({ name: 'support/answer', version: 1 })).labels, ['production']);

      const summary = await s.setLabels('default', 'support/answer', 2, ['production', 'canary'], 'key_2');
      assert.deepEqual(summary.labels, { canary: 2, production: 2, staging: 2, latest: 2 });
      assert.equal(s.resolveCached({ name: 'support/answer' })!.record.version, 2, 'served from memory at once');
      assert.deepEqual((await s.removeLabel('default', 'support/answer', 'canary')).labels, { production: 2, staging: 2, latest: 2 });

      const r = await s.render({ name: 'support/answer' }, { variables: { q: 'why?' } });
      assert.deepEqual(r.messages, [{ role: 'system', content: 'Answer why? briefly' }]);
      assert.equal(r.version, 2);
      const metas = await s.versions('default', 'support/answer', 1);
      assert.deepEqual(metas.data.map((m) => [m.version, m.labels]), [[2, ['production', 'staging', 'latest']]]);
      assert.equal(metas.next, 2);
      assert.deepEqual((await s.versions('default', 'support/answer', 10, 2)).data.map((m) => m.version), [1]);
      s.stop();
    });

    test('errors say what exists', async () => {
      const s = new PromptService({ db, pollMs: 0, now });
      await s.start();
      await s.create(input({ name: 'nolabel', prompt: [{ role: 'user', content: 'hi' }] }), actor);
      await assert.rejects(s.get({ name: 'nolabel' }), rejectsWith(404, 'prompt_label_not_found', /no production label.*latest \(v1\)/));
      await assert.rejects(s.get({ name: 'nolabel', label: 'staging' }), rejectsWith(404, 'prompt_label_not_found', /no staging label/));
      await assert.rejects(s.get({ name: 'nolabel', version: 7 }), rejectsWith(404, 'prompt_version_not_found', /versions are 1–1/));
      await assert.rejects(s.get({ name: 'NoLabel' }), rejectsWith(404, 'prompt_not_found', /did you mean "nolabel"/));
      await assert.rejects(s.setLabels('default', 'nolabel', 3, ['production'], null), rejectsWith(404, 'prompt_version_not_found'));
      await assert.rejects(s.setLabels('default', 'missing', 1, ['production'], null), rejectsWith(404, 'prompt_not_found'));
      await assert.rejects(s.removeLabel('default', 'nolabel', 'production'), rejectsWith(404, 'prompt_label_not_found'));
      await assert.rejects(s.create(input({ name: 'nolabel', prompt: 'now text' }), actor), rejectsWith(400, 'prompt_type_mismatch', /is a chat prompt/));
      assert.equal(s.summary('default', 'nolabel').latest_version, 1, 'the failed write left nothing behind');
      assert.throws(() => createInputSchema.parse({ name: 'x', prompt: 'y', labels: ['latest'] }), /set automatically/);
      assert.throws(() => createInputSchema.parse({ name: '/x', prompt: 'y' }), /empty segment/);
      assert.throws(() => createInputSchema.parse({ name: 'x', type: 'chat', prompt: 'y' }), /type is \\"chat\\" but prompt is a string/);
      s.stop();
    });

    test('old unlabelled versions load once into memory', async () => {
      const s = new PromptService({ db, pollMs: 0, now, lruSize: 2 });
      await s.start();
      for (let i = 1; i <= 5; i++) await s.create(input({ name: 'many', prompt: `v${i} {{x}}` }), actor);
      assert.equal(s.resolveCached({ name: 'many', version: 5 })!.record.prompt, 'v5 {{x}}', 'latest is pinned');
      assert.equal(s.resolveCached({ name: 'many', version: 2 }), null, 'not in memory yet');
      assert.equal((await s.resolve({ name: 'many', version: 2 })).record.prompt, 'v2 {{x}}');
      assert.ok(s.resolveCached({ name: 'many', version: 2 }), 'now it is');
      await s.resolve({ name: 'many', version: 1 });
      await s.resolve({ name: 'many', version: 3 });
      assert.equal(s.resolveCached({ name: 'many', version: 2 }), null, 'evicted (LRU of 2)');
      s.stop();
    });

    test('concurrent writers get distinct consecutive versions', async () => {
      // Two pools on PostgreSQL. SQLite: one connection per process (a second one in this process
      // would block the event loop in its busy wait while the first holds the write lock).
      const a = new PromptService({ db, pollMs: 0, now });
      const b = new PromptService({ db: kind.name === 'postgres' ? other : db, pollMs: 0, now });
      await Promise.all([a.start(), b.start()]);
      const made = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).create(input({ name: 'race', prompt: `n${i}` }), actor)));
      assert.deepEqual(made.map((v) => v.version).sort((x, y) => x - y), Array.from({ length: 12 }, (_, i) => i + 1));
      a.stop();
      b.stop();
    });

    test('two instances: a write is served here at once and there after the generation check', async () => {
      const a = new PromptService({ db, pollMs: 0, now });
      const b = new PromptService({ db: other, pollMs: 0, now });
      await Promise.all([a.start(), b.start()]);
      await a.create(input({ name: 'shared', prompt: 'one', labels: ['production'] }), actor);
      assert.throws(() => b.resolveCached({ name: 'shared' }), rejectsWith(404, 'prompt_not_found'), 'b has not looked yet');
      assert.equal(await b.refresh(), true);
      assert.equal(b.resolveCached({ name: 'shared' })!.record.prompt, 'one');
      assert.equal(await b.refresh(), false, 'nothing new: no reload');
      await a.create(input({ name: 'shared', prompt: 'two' }), actor);
      await a.setLabels('default', 'shared', 2, ['production'], null);
      assert.equal(a.resolveCached({ name: 'shared' })!.record.prompt, 'two');
      assert.equal(await a.refresh(), false, 'its own consecutive writes do not need a reload');
      assert.equal(b.resolveCached({ name: 'shared' })!.record.prompt, 'one', 'stale until it checks');
      await b.refresh();
      assert.equal(b.resolveCached({ name: 'shared' })!.record.prompt, 'two');
      // A write on b while a is behind: a's own next write does not hide b's from it.
      await b.create(input({ name: 'from-b', prompt: 'b' }), actor);
      await a.create(input({ name: 'shared', prompt: 'three' }), actor);
      assert.equal(await a.refresh(), true, 'a saw a generation gap and reloads');
      assert.equal(a.resolveCached({ name: 'from-b', label: 'latest' })!.record.prompt, 'b');
      a.stop();
      b.stop();
    });

    test('polling picks up another instance\'s write within the interval', async () => {
      const a = new PromptService({ db, pollMs: 0, now });
      const b = new PromptService({ db: other, pollMs: 50, now });
      await Promise.all([a.start(), b.start()]);
      await a.create(input({ name: 'polled', prompt: 'p', labels: ['production'] }), actor);
      const t0 = Date.now();
      while (Date.now() - t0 < 5000) {
        try {
          if (b.resolveCached({ name: 'polled' })) break;
        } catch {
          /* not yet */
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(b.resolveCached({ name: 'polled' })!.record.prompt, 'p');
      b.stop();
    });

    test('list from memory with filters', async () => {
      const s = new PromptService({ db, pollMs: 0, now });
      await s.start();
      await s.create(input({ name: 'listed/a', prompt: 'a', tags: ['t1'], labels: ['production'] }), actor);
      await s.create(input({ name: 'listed/b', prompt: 'b', tags: ['t2'] }), actor);
      const names = (f = {}) => s.list('default', f).map((p) => p.name).filter((n) => n.startsWith('listed/'));
      assert.deepEqual(names(), ['listed/a', 'listed/b']);
      assert.deepEqual(names({ tag: 't2' }), ['listed/b']);
      assert.deepEqual(names({ label: 'production' }), ['listed/a']);
      assert.deepEqual(names({ name: 'listed/b' }), ['listed/b']);
      assert.deepEqual(s.list('other-project'), []);
      s.stop();
    });
  });
}
