/**
 * MemoryService on both stores with a deterministic trigram embedder: hybrid ranking, isolation
 * between users, dedupe, the per-user cap, delete and wipe, paging, the embedding-model check and
 * re-embed, and cache coherence between two service instances (as two Assay processes would be).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../store/db.js';
import { storeKinds, type TestStore } from '../../test/helpers/stores.js';
import { AssayError } from '../errors.js';
import type { MemoryConfig } from '../config/schema.js';
import { MemoryService } from './service.js';
import { hashEmbed, hashEmbedder } from './test-embedder.js';

const FACTS = [
  'Is allergic to peanuts.',
  'Has a dog named Rex.',
  'Works as a nurse in Lyon.',
  'Prefers answers in French.',
  'Plays the cello in an amateur orchestra.',
  'Drives an electric car.',
];

const config = (over: Partial<MemoryConfig> = {}): MemoryConfig => ({ embedding_model: 'up/embed', recall_k: 5, max_per_user: 10_000, ...over });

async function rejects409(p: Promise<unknown>, re: RegExp) {
  await assert.rejects(p, (e: unknown) => e instanceof AssayError && e.status === 409 && e.code === 'memory_model_mismatch' && re.test(e.message));
}

for (const kind of storeKinds) {
  describe(`memory service on ${kind.name}`, { skip: kind.skip }, () => {
    let t: TestStore;
    let db: Db;
    let clock = 1_700_000_000_000;
    const now = () => clock++;
    const service = (over: Partial<MemoryConfig> = {}, embed = hashEmbedder(), d: Db = db) => new MemoryService({ db: d, config: config(over), embed, now });

    before(async () => {
      t = kind.make();
      db = await openDb(t.location);
    });
    after(async () => {
      await db?.close();
      await t?.cleanup();
    });

    test('recall ranks by meaning and by words, fused', async () => {
      const m = service();
      for (const f of FACTS) await m.remember('alice', f, { source: 'tool' });
      const byMeaning = await m.recall('alice', 'What allergies does the user have?');
      assert.equal(byMeaning[0].text, 'Is allergic to peanuts.');
      assert.equal(byMeaning[0].vectorRank, 1);
      assert.equal(byMeaning.length, 5, 'recall_k');
      const byWord = await m.recall('alice', 'Rex', { k: 2 });
      assert.equal(byWord[0].text, 'Has a dog named Rex.');
      assert.equal(byWord[0].textRank, 1);
      assert.equal(byWord.length, 2);
      assert.ok(byWord[0].score > byWord[1].score);
      assert.ok(byWord[0].similarity! > 0 && byWord[0].createdAt > 0 && byWord[0].id.startsWith('mem_'));
      const accented = await m.recall('alice', 'françaïs orchestra', { k: 1 });
      assert.equal(accented[0].text, 'Plays the cello in an amateur orchestra.');
      const fresh = service();
      await fresh.warm('alice');
      assert.equal(fresh.cacheStats().loads, 1);
      assert.deepEqual(await fresh.recall('alice', 'Rex', { k: 2 }), byWord);
      assert.equal(fresh.cacheStats().loads, 1, 'warmed: the recall did not load');
    });

    test("users are isolated: recall never returns another user's memory", async () => {
      const m = service();
      await m.remember('bob', 'Is allergic to shellfish.', { source: 'api' });
      const alice = await m.recall('alice', 'allergic shellfish', { k: 50 });
      assert.ok(alice.length > 0 && alice.every((h) => h.text !== 'Is allergic to shellfish.'));
      const bob = await m.recall('bob', 'peanuts dog nurse', { k: 50 });
      assert.deepEqual(bob.map((h) => h.text), ['Is allergic to shellfish.']);
      assert.deepEqual(await m.recall('nobody', 'anything'), []);
    });

    test('the same fact is stored once; storing it again refreshes it', async () => {
      const embed = hashEmbedder();
      const m = service({}, embed);
      const a = await m.remember('carol', 'Lives in Berlin.', { source: 'tool', metadata: { from: 'chat' } });
      assert.equal(a.created, true);
      const first = await m.get('carol', a.id);
      const b = await m.remember('carol', '  lives in   BERLIN ', { source: 'tool' });
      assert.deepEqual(b, { id: a.id, created: false });
      assert.equal(embed.texts, 1, 'a known fact is not embedded again');
      const again = await m.get('carol', a.id);
      assert.ok(again!.updatedAt > first!.updatedAt);
      assert.equal(again!.text, 'Lives in Berlin.');
      assert.deepEqual(again!.metadata, { from: 'chat' });
      const many = await m.rememberMany('carol', ['Speaks Spanish.', 'speaks spanish', 'Lives in Berlin'], { source: 'extracted' });
      assert.equal(many[0].created, true);
      assert.deepEqual(many[1], { id: many[0].id, created: false });
      assert.deepEqual(many[2], { id: a.id, created: false });
      assert.equal((await m.list('carol')).data.length, 2);
    });

    test('beyond max_per_user the least recently stored are dropped', async () => {
      const m = service({ max_per_user: 3 });
      const ids = [];
      for (const f of ['Fact one.', 'Fact two.', 'Fact three.']) ids.push((await m.remember('dave', f, { source: 'tool' })).id);
      await m.recall('dave', 'fact'); // cache loaded: the next writes patch it
      await m.remember('dave', 'Fact one.', { source: 'tool' }); // refreshed: now the most recent
      await m.remember('dave', 'Fact four.', { source: 'tool' });
      const left = (await m.list('dave')).data.map((x) => x.text).sort();
      assert.deepEqual(left, ['Fact four.', 'Fact one.', 'Fact three.']);
      const recalled = (await m.recall('dave', 'fact two', { k: 10 })).map((h) => h.text).sort();
      assert.deepEqual(recalled, left);
      assert.equal((await m.users()).data.find((u) => u.userId === 'dave')?.count, 3);
      const many = await m.rememberMany('dave', ['A.', 'B.', 'C.', 'D.', 'E.'], { source: 'tool' });
      assert.equal(many.length, 5);
      assert.equal((await m.list('dave')).data.length, 3);
    });

    test('delete one, wipe all; the cache follows', async () => {
      const m = service();
      const ids = await m.rememberMany('erin', ['Likes jazz.', 'Likes hiking.', 'Owns a cat.'], { source: 'api' });
      assert.equal((await m.recall('erin', 'jazz', { k: 3 }))[0].text, 'Likes jazz.');
      assert.equal(await m.delete('erin', ids[0].id), true);
      assert.equal(await m.delete('erin', ids[0].id), false);
      assert.equal(await m.delete('erin', 'mem_nope'), false);
      assert.ok((await m.recall('erin', 'jazz', { k: 3 })).every((h) => h.text !== 'Likes jazz.'));
      assert.equal(await m.get('erin', ids[0].id), null);
      assert.equal(await m.wipe('erin'), 2);
      assert.deepEqual(await m.recall('erin', 'hiking'), []);
      assert.equal((await m.users({ limit: 500 })).data.some((u) => u.userId === 'erin'), false);
      assert.equal(await m.wipe('erin'), 0);
      const back = await m.remember('erin', 'Likes jazz.', { source: 'api' });
      assert.equal(back.created, true);
      assert.equal((await m.recall('erin', 'jazz'))[0].id, back.id);
    });

    test('list and users page with cursors', async () => {
      const m = service();
      for (let i = 0; i < 7; i++) await m.remember('frank', `Numbered fact ${i}.`, { source: 'api' });
      const p1 = await m.list('frank', { limit: 4 });
      assert.deepEqual(p1.data.map((x) => x.text), ['Numbered fact 6.', 'Numbered fact 5.', 'Numbered fact 4.', 'Numbered fact 3.']);
      assert.equal(p1.data[0].source, 'api');
      const p2 = await m.list('frank', { limit: 4, cursor: p1.next_cursor });
      assert.deepEqual(p2.data.map((x) => x.text), ['Numbered fact 2.', 'Numbered fact 1.', 'Numbered fact 0.']);
      assert.equal(p2.next_cursor, null);
      const u1 = await m.users({ limit: 2 });
      const u2 = await m.users({ limit: 500, cursor: u1.next_cursor });
      const all = [...u1.data, ...u2.data].map((u) => u.userId);
      assert.deepEqual(all, [...all].sort());
      assert.ok(all.includes('alice') && all.includes('frank'));
      assert.equal(u1.data[0].model, 'up/embed');
    });

    test('input checks say what is wrong', async () => {
      const m = service();
      const bad = async (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: unknown) => e instanceof AssayError && e.status === 400 && re.test(e.message));
      await bad(m.remember('', 'x', { source: 'tool' }), /user id is empty/);
      await bad(m.remember('u'.repeat(257), 'x', { source: 'tool' }), /257 characters; at most 256/);
      await bad(m.remember('g', '   ', { source: 'tool' }), /text is empty/);
      await bad(m.remember('g', 'x'.repeat(4001), { source: 'tool' }), /4001 characters; a memory holds at most 4000/);
      await bad(m.remember('g', 'x', { source: 'web' as never }), /source must be one of tool, extracted, api/);
      await bad(m.remember('g', 'x', { source: 'tool', metadata: [] as never }), /metadata must be a JSON object/);
      await bad(m.recall('alice', 'x', { k: 0 }), /k must be an integer from 1 to 50/);
      await bad(m.recall('alice', 'x', { k: 51 }), /k must be an integer from 1 to 50/);
      await bad(m.recall('alice', ''), /query is empty/);
      assert.equal((await m.remember('u'.repeat(256), 'x'.repeat(4000), { source: 'tool' })).created, true);
    });

    test('a changed embedding model is refused until the memories are re-embedded', async () => {
      await service().remember('gina', 'Collects vinyl records.', { source: 'tool' });
      const other = service({ embedding_model: 'up/other-embed' });
      await rejects409(other.recall('gina', 'records'), /embedded with up\/embed \(256 dimensions\), but memory\.embedding_model is now up\/other-embed.*reembed.*DELETE/);
      await rejects409(other.remember('gina', 'Another fact.', { source: 'tool' }), /up\/embed/);
      const smaller = service({}, hashEmbedder(128));
      await rejects409(smaller.recall('gina', 'records'), /now up\/embed \(128 dimensions\)/);
      await rejects409(smaller.remember('gina', 'Another fact.', { source: 'tool' }), /128 dimensions/);
      assert.deepEqual(await other.reembed('gina'), { reembedded: 1 });
      const hits = await other.recall('gina', 'vinyl');
      assert.equal(hits[0].text, 'Collects vinyl records.');
      assert.equal((await other.list('gina')).data[0].model, 'up/other-embed');
      await rejects409(service().recall('gina', 'vinyl'), /embedded with up\/other-embed/);
      // A new user is free to use any model.
      assert.equal((await smaller.remember('hugo', 'Runs marathons.', { source: 'tool' })).created, true);
    });

    test("a second instance's writes reach the first instance's cache (caught up, not reloaded)", async () => {
      const db2 = await openDb(t.location);
      try {
        const a = service({ max_per_user: 4 });
        const b = service({ max_per_user: 4 }, hashEmbedder(), db2);
        await a.rememberMany('ivan', ['Enjoys chess.', 'Grows tomatoes.'], { source: 'tool' });
        assert.equal((await a.recall('ivan', 'tomatoes', { k: 1 }))[0].text, 'Grows tomatoes.');
        const s0 = a.cacheStats();
        await a.warm('ivan');
        await a.warm('nobody');
        await a.warm('');
        assert.equal(a.cacheStats().loads, s0.loads, 'warm: already cached');
        assert.equal((await a.recall('ivan', 'chess', { k: 1 }))[0].text, 'Enjoys chess.');
        assert.equal(a.cacheStats().loads, s0.loads, 'unchanged user: served from the cache');
        const { id } = await b.remember('ivan', 'Speaks Japanese.', { source: 'tool' });
        assert.equal((await a.recall('ivan', 'japanese', { k: 1 }))[0].text, 'Speaks Japanese.');
        assert.deepEqual([a.cacheStats().loads, a.cacheStats().syncs], [s0.loads, s0.syncs + 1], 'caught up with the new row only');
        await b.delete('ivan', id);
        assert.ok((await a.recall('ivan', 'japanese', { k: 5 })).every((h) => h.id !== id));
        await a.remember('ivan', 'Reads sci-fi.', { source: 'tool' });
        const s1 = a.cacheStats();
        assert.equal((await a.recall('ivan', 'sci-fi', { k: 1 }))[0].text, 'Reads sci-fi.');
        assert.deepEqual([a.cacheStats().loads, a.cacheStats().syncs], [s1.loads, s1.syncs], "this instance's own write patched its cache");
        // b's writes push the oldest out (cap 4): a drops them too.
        await b.rememberMany('ivan', ['Bakes bread.', 'Knits scarves.'], { source: 'tool' });
        const texts = (await a.recall('ivan', 'chess tomatoes bread scarves sci-fi', { k: 10 })).map((h) => h.text).sort();
        assert.deepEqual(texts, ['Bakes bread.', 'Grows tomatoes.', 'Knits scarves.', 'Reads sci-fi.']);
        assert.equal(a.cacheStats().loads, s1.loads);
        await b.wipe('ivan');
        assert.deepEqual(await a.recall('ivan', 'chess'), []);
        assert.equal(a.cacheStats().users, 0, 'a wiped user is forgotten here too');
        await b.remember('ivan', 'Starts over.', { source: 'tool' });
        assert.deepEqual((await a.recall('ivan', 'chess tomatoes over', { k: 10 })).map((h) => h.text), ['Starts over.']);
      } finally {
        await db2.close();
      }
    });

    test('a re-embed by another instance replaces the cached vectors', async () => {
      const db2 = await openDb(t.location);
      try {
        const a = service({ embedding_model: 'up/embed-v2' });
        await service().rememberMany('jane', ['Likes opera.', 'Swims daily.'], { source: 'tool' });
        await rejects409(a.recall('jane', 'opera'), /up\/embed \(256/);
        assert.deepEqual(await a.reembed('jane'), { reembedded: 2 });
        assert.ok((await a.recall('jane', 'zebra crossing', { k: 1 }))[0].similarity! < 0.5);
        // Same model, new vectors (a provider changed the model behind its name): b re-embeds.
        const zebra = async (texts: string[]) => texts.map(() => hashEmbed('zebra crossing'));
        const b = new MemoryService({ db: db2, config: config({ embedding_model: 'up/embed-v2' }), embed: zebra, now });
        await b.reembed('jane');
        const syncs = a.cacheStats().syncs;
        const hits = await a.recall('jane', 'zebra crossing', { k: 2 });
        assert.ok(hits.every((h) => h.similarity! > 0.99), JSON.stringify(hits));
        assert.equal(a.cacheStats().syncs, syncs + 1);
      } finally {
        await db2.close();
      }
    });
  });
}
