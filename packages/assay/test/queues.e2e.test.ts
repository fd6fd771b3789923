/**
 * Annotation queues end to end on both stores: real gateway calls (fake upstream) → a queue (by
 * trace id and by filter, deduplicated) → two annotators with their own read keys take `next`,
 * answer a rating, a boolean and a correction → progress, agreement (α and κ checked against values
 * worked out by hand), disagreements, adjudication, promotion to a dataset; blind pairs from an
 * experiment's two variants; sampling of live traffic; and the errors a caller can make.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAssay, type TestAssay, expectJson } from './helpers/assay.js';
import { shownOrder } from '../src/feedback/queues/answers.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { storeKinds } from './helpers/stores.js';

const QUESTIONS = [
  { id: 'quality', kind: 'rating', prompt: 'How good is the answer?', min: 1, max: 5 },
  { id: 'ok', kind: 'boolean', prompt: 'Is it acceptable?' },
  { id: 'fix', kind: 'correction', prompt: 'Correct the answer' },
  { id: 'topic', kind: 'categorical', prompt: 'Topic', options: ['billing', 'tech'] },
];
// Answers per call number (1–4), per annotator. Worked out below in the agreement test.
const A = { quality: [5, 4, 2, 3], ok: [true, true, false, true], fix: ['fixed 1', 'fixed 2 by alice', 'fixed 3', 'fixed 4'] };
const B = { quality: [5, 3, 2, 1], ok: [true, false, false, true], fix: ['fixed 1', 'fixed 2 by bob', 'fixed 3', 'fixed 4'] };

for (const kind of storeKinds) {
  describe(`annotation queues on ${kind.name}`, { skip: kind.skip }, () => {
    let up: FakeOpenAI;
    let assay: TestAssay;
    let store: ReturnType<(typeof kind)['make']>;
    const keys: Record<string, { id: string; key: string }> = {};
    const traces: string[] = [];
    let queueId = '';
    const get = (path: string, key?: string) => assay.api(path, { key });
    const call = async (text: string, tags?: string) => {
      const res = await fetch(`${assay.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-assay-test-admin-key', 'content-type': 'application/json', ...(tags ? { 'x-assay-tags': tags } : {}) },
        body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: text }] }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.json();
      return res.headers.get('x-assay-trace-id') as string;
    };
    const callNumber = (output: string) => Number(/question (\d)/.exec(output)?.[1]);

    before(async () => {
      store = kind.make();
      up = await startFakeOpenAI();
      assay = await startAssay({ providers: [{ id: 'up', type: 'openai', base_url: up.url }] }, { databaseUrl: store.url });
      for (const name of ['alice', 'bob', 'carol']) {
        const k = await expectJson(await assay.post('/api/keys', { name, scopes: ['read'] }), 201);
        keys[name] = { id: k.id, key: k.key };
      }
      for (let i = 1; i <= 4; i++) traces.push(await call(`question ${i}`, i >= 2 ? 'batch' : undefined));
      await assay.flush();
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await store?.cleanup();
    });

    test('create a queue; add traces by id and by filter (deduplicated); errors', async () => {
      const q = await expectJson(await assay.post('/api/queues', { name: 'support', questions: QUESTIONS, overlap: 2, annotators: [keys.alice.id, keys.bob.id] }), 201);
      queueId = q.id;
      assert.equal(q.overlap, 2);
      await expectJson(await assay.post('/api/queues', { name: 'support', questions: QUESTIONS }), 409);
      const badQ = await expectJson(await assay.post('/api/queues', { name: 'x', questions: [{ id: 'r', kind: 'rating', prompt: 'p', min: 5, max: 1 }] }), 400);
      assert.match(badQ.error.message, /min \(5\) must be below max \(1\)/);
      await expectJson(await assay.post('/api/queues', { name: 'x', questions: QUESTIONS }, keys.alice.key), 403);

      const byId = await expectJson(await assay.post(`/api/queues/${q.id}/items`, { traces: [traces[0], traces[1], traces[0]] }), 201);
      assert.deepEqual([byId.added, byId.duplicates], [2, 1]);
      const byFilter = await expectJson(await assay.post(`/api/queues/${q.id}/items`, { filter: { tag: 'batch', limit: 10 } }), 201);
      assert.deepEqual([byFilter.added, byFilter.duplicates], [2, 1], 'trace 2 is already in the queue');
      const again = await expectJson(await assay.post(`/api/queues/${q.id}/items`, { traces: [traces[3]] }), 201);
      assert.deepEqual([again.added, again.duplicates], [0, 1]);
      await expectJson(await assay.post(`/api/queues/${q.id}/items`, { traces: ['nope'] }), 404);
      await expectJson(await assay.post('/api/queues/nope/items', { traces: [traces[0]] }), 404);
      await expectJson(await get('/api/queues/nope/next', keys.alice.key), 404);
      const forbidden = await expectJson(await get(`/api/queues/${q.id}/next`, keys.carol.key), 403);
      assert.match(forbidden.error.message, /not an annotator/);
      const list = await expectJson(await get('/api/queues', keys.carol.key), 200);
      assert.equal(list.data.length, 0, 'carol sees no queue she may not annotate');
    });

    test('two annotators: next, invalid answers, annotate, progress, scores', async () => {
      const first = await expectJson(await get(`/api/queues/${queueId}/next`, keys.alice.key), 200);
      assert.ok(first.item, 'an item');
      assert.equal(first.questions.length, 4);
      assert.equal(first.item.input.messages[0].content, `question ${callNumber(first.item.output)}`);
      const at = `/api/queues/${queueId}/items/${first.item.id}/annotations`;
      const e1 = await expectJson(await assay.post(at, { answers: { quality: 7 } }, keys.alice.key), 400);
      assert.match(e1.error.message, /question "quality" \(rating\): must be a whole number from 1 to 5, got 7/);
      const e2 = await expectJson(await assay.post(at, { answers: { topic: 'sales' } }, keys.alice.key), 400);
      assert.match(e2.error.message, /question "topic".*"billing", "tech"/);
      const e3 = await expectJson(await assay.post(at, { answers: { nope: 1 } }, keys.alice.key), 400);
      assert.match(e3.error.message, /no question "nope"/);
      const e4 = await expectJson(await assay.post(at, { answers: { ok: 'yes' } }, keys.alice.key), 400);
      assert.match(e4.error.message, /question "ok" \(boolean\): must be true or false/);
      await expectJson(await assay.post(at, { answers: { ok: true } }, keys.carol.key), 403);

      // Bob leases an item: progress shows it assigned.
      const bobFirst = await expectJson(await get(`/api/queues/${queueId}/next`, keys.bob.key), 200);
      assert.equal(bobFirst.item.id, first.item.id, 'overlap 2: both get the oldest item');
      let p = await expectJson(await get(`/api/queues/${queueId}/progress`, keys.alice.key), 200);
      assert.deepEqual(p.annotators.map((a: any) => [a.id, a.done, a.assigned]).sort(), [[keys.alice.id, 0, 1], [keys.bob.id, 0, 1]].sort());
      const again = await expectJson(await get(`/api/queues/${queueId}/next`, keys.alice.key), 200);
      assert.equal(again.item.id, first.item.id, 'the leased item again');

      for (const [name, ans] of [['alice', A], ['bob', B]] as const) {
        const seen = new Set<number>();
        for (;;) {
          const n = await expectJson(await get(`/api/queues/${queueId}/next`, keys[name].key), 200);
          if (!n.item) break;
          const i = callNumber(n.item.output) - 1;
          assert.ok(!seen.has(i), 'never the same item twice');
          seen.add(i);
          const saved = await expectJson(await assay.post(`/api/queues/${queueId}/items/${n.item.id}/annotations`, { answers: { quality: ans.quality[i], ok: ans.ok[i], fix: ans.fix[i] } }, keys[name].key), 201);
          assert.equal(saved.annotator, keys[name].id);
          assert.equal(saved.annotator_name, name);
          assert.equal(saved.answers.fix.changed, true);
          assert.deepEqual(saved.answers.fix.diff, [{ op: '-', line: `echo: question ${i + 1}` }, { op: '+', line: ans.fix[i] }]);
        }
        assert.equal(seen.size, 4);
      }
      p = await expectJson(await get(`/api/queues/${queueId}/progress`, keys.bob.key), 200);
      assert.deepEqual([p.items, p.complete, p.remaining], [4, 4, 0]);
      assert.deepEqual(p.annotators.map((a: any) => [a.name, a.done, a.assigned]).sort(), [['alice', 4, 0], ['bob', 4, 0]]);

      const scores = await expectJson(await get(`/api/scores?trace_id=${traces[1]}&source=annotation`), 200);
      const got = scores.data.map((s: any) => [s.author, s.name, s.value]).sort();
      assert.deepEqual(got, [[keys.alice.id, 'ok', 1], [keys.alice.id, 'quality', 4], [keys.bob.id, 'ok', 0], [keys.bob.id, 'quality', 3]].sort());
    });

    test('agreement per question and annotator pair, as worked out by hand', async () => {
      const ag = await expectJson(await get(`/api/queues/${queueId}/agreement`, keys.alice.key), 200);
      const by = Object.fromEntries(ag.questions.map((x: any) => [x.question, x]));
      // ok: A = T T F T, B = T F F T. Cohen: po = 3/4, pe = 3/4·2/4 + 1/4·2/4 = 1/2 → κ = 0.5.
      // Krippendorff nominal: o_TT = 4, o_FF = 2, o_TF = o_FT = 1, n_T = 5, n_F = 3, n = 8;
      // Do = 2/8, De = 2·5·3/(8·7) = 30/56 → α = 1 − 0.25/0.5357 = 8/15.
      assert.equal(by.ok.level, 'nominal');
      assert.ok(Math.abs(by.ok.report.alpha.alpha - 8 / 15) < 1e-9, String(by.ok.report.alpha.alpha));
      assert.equal(by.ok.report.pairs.length, 1);
      assert.ok(Math.abs(by.ok.report.pairs[0].kappa - 0.5) < 1e-9);
      assert.equal(by.ok.report.pairs[0].agreement, 0.75);
      // quality (interval): diffs 0, 1, 0, 2 → Do = 2·(0+1+0+4)/8 = 1.25; values 5 4 2 3 5 3 2 1: SS = 93 − 8·3.125² = 14.875,
      // De = 2·8·14.875/(8·7) = 4.25 → α = 1 − 1.25/4.25 = 12/17.
      assert.ok(Math.abs(by.quality.interval_alpha - 12 / 17) < 1e-9, String(by.quality.interval_alpha));
      assert.equal(by.quality.level, 'ordinal');
      assert.equal(by.quality.report.pairs[0].agreement, 0.5);
      assert.equal(by.quality.report.items, 4);
      assert.equal(by.topic.report.items, 0, 'nobody answered topic');
    });

    test('disagreements, adjudication, promotion to a dataset', async () => {
      const d = await expectJson(await get(`/api/queues/${queueId}/disagreements?question=ok`, keys.alice.key), 200);
      assert.equal(d.data.length, 1);
      const item2 = d.data[0].item_id;
      assert.deepEqual(d.data[0].values.map((v: any) => [v.annotator_name, v.value]).sort(), [['alice', true], ['bob', false]]);
      const fixes = await expectJson(await get(`/api/queues/${queueId}/disagreements?question=fix`, keys.alice.key), 200);
      assert.deepEqual(fixes.data.map((x: any) => x.item_id), [item2]);

      // Before adjudication: item 2's corrections split 1–1, so min_agreement 1 leaves it out.
      const p1 = await expectJson(await assay.post(`/api/queues/${queueId}/promote`, { dataset: 'corrected', question: 'fix', min_agreement: 1 }), 201);
      assert.deepEqual([p1.promoted, p1.skipped.length], [3, 1]);
      assert.equal(p1.skipped[0].item, item2);

      await expectJson(await assay.post(`/api/queues/${queueId}/items/${item2}/adjudicate`, { question: 'ok', value: 'maybe' }), 400);
      await expectJson(await assay.post(`/api/queues/${queueId}/items/${item2}/adjudicate`, { question: 'ok', value: true }, keys.alice.key), 403);
      await expectJson(await assay.post(`/api/queues/${queueId}/items/${item2}/adjudicate`, { question: 'ok', value: true, note: 'acceptable' }), 201);
      await expectJson(await assay.post(`/api/queues/${queueId}/items/${item2}/adjudicate`, { question: 'fix', value: 'the final fix' }), 201);
      assert.equal((await expectJson(await get(`/api/queues/${queueId}/disagreements?question=ok`), 200)).data.length, 0);
      const all = await expectJson(await get(`/api/queues/${queueId}/disagreements?question=ok&all=true`), 200);
      assert.equal(all.data[0].adjudicated.value, true);
      assert.equal(all.data[0].adjudicated.note, 'acceptable');

      const p2 = await expectJson(await assay.post(`/api/queues/${queueId}/promote`, { dataset: 'corrected', min_agreement: 1 }), 201);
      assert.deepEqual([p2.promoted, p2.added, p2.skipped.length], [4, 1, 0]);
      const items = await expectJson(await get('/api/datasets/corrected/items'), 200);
      assert.equal(items.data.length, 4);
      const byQ = Object.fromEntries(items.data.map((it: any) => [it.input.messages[0].content, it]));
      assert.equal(byQ['question 1'].expected, 'fixed 1');
      assert.equal(byQ['question 2'].expected, 'the final fix');
      assert.equal(byQ['question 2'].metadata.adjudicated, true);
      assert.equal(byQ['question 3'].source.trace_id, traces[2]);
    });

    test('blind pairs from an experiment with two variants: orders seeded per annotator, answers un-blinded', async () => {
      const items = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}`, vars: { q: `p${i}` } }));
      const e = await expectJson(await assay.post('/api/experiments?wait=true', {
        name: 'pairs',
        items,
        variants: [
          { id: 'x', model: 'up/m', messages: [{ role: 'user', content: 'X {{q}}' }] },
          { id: 'y', model: 'up/m', messages: [{ role: 'user', content: 'Y {{q}}' }] },
        ],
      }), 201);
      assert.equal(e.status, 'done');
      const q = await expectJson(await assay.post('/api/queues', {
        name: 'prefs',
        questions: [{ id: 'pref', kind: 'pairwise', prompt: 'Which is better?', strength: true }, { id: 'rank', kind: 'ranking', prompt: 'Rank them' }],
        overlap: 2,
      }), 201);
      const added = await expectJson(await assay.post(`/api/queues/${q.id}/items`, { pairs: { experiment: e.id, a: 'x', b: 'y' } }), 201);
      assert.equal(added.added, 12);
      await expectJson(await assay.post(`/api/queues/${q.id}/items`, { pairs: { experiment: e.id, a: 'x', b: 'zz' } }), 400);

      const orders = new Map<string, Record<string, string>>();
      for (const name of ['alice', 'carol']) {
        for (;;) {
          const n = await expectJson(await get(`/api/queues/${q.id}/next`, keys[name].key), 200);
          if (!n.item) break;
          assert.equal(n.item.kind, 'multi');
          assert.equal('trace_id' in n.item, false);
          assert.ok(!JSON.stringify(n.item).includes('variant'), 'blind: no variant names');
          assert.deepEqual(n.item.input, { vars: { q: n.item.left.slice(8) } });
          const xLeft = n.item.left.startsWith('echo: X');
          const side = xLeft ? 'left' : 'right';
          if (!orders.has(n.item.id)) orders.set(n.item.id, {});
          orders.get(n.item.id)![name] = side;
          const bad = await expectJson(await assay.post(`/api/queues/${q.id}/items/${n.item.id}/annotations`, { answers: { pref: side } }, keys[name].key), 400);
          assert.match(bad.error.message, /question "pref" \(pairwise\): strength is required/);
          await expectJson(await assay.post(`/api/queues/${q.id}/items/${n.item.id}/annotations`, {
            answers: { pref: { choice: side, strength: 2 }, rank: xLeft ? [1, 2] : [2, 1] },
          }, keys[name].key), 201);
        }
      }
      assert.equal(orders.size, 12);
      // Every order shown is the seeded one for (item, annotator), so it is reproducible and recorded.
      for (const [item, o] of orders) {
        for (const name of ['alice', 'carol']) {
          assert.equal(o[name], shownOrder(item, keys[name].id, 2)[0] === 0 ? 'left' : 'right', `seeded order of ${item} for ${name}`);
        }
      }
      // Un-blinding is checked on an item the two saw in different orders when there is one (the
      // seeds make that near certain over 12 items), else on the first.
      const differ = [...orders].filter(([, o]) => o.alice !== o.carol);
      const [itemId, o] = differ[0] ?? [...orders][0];
      const detail = await expectJson(await get(`/api/queues/${q.id}/items/${itemId}`), 200);
      assert.equal(detail.content.outputs[0].variant, 'x');
      for (const a of detail.annotations) {
        const name = a.annotator === keys.alice.id ? 'alice' : 'carol';
        assert.deepEqual(a.answers.pref, { winner: 'a', variant: 'x', choice: o[name], strength: 2 });
        assert.deepEqual(a.shown, o[name] === 'left' ? [0, 1] : [1, 0], 'the order shown is recorded');
        assert.deepEqual(a.answers.rank, [0, 1], 'ranking un-blinded: x first');
      }
      const ag = await expectJson(await get(`/api/queues/${q.id}/agreement?question=pref`), 200);
      assert.equal(ag.questions[0].report.items, 12);
      assert.equal(ag.questions[0].report.pairs[0].agreement, 1);
      const promoted = await expectJson(await assay.post(`/api/queues/${q.id}/promote`, { dataset: 'prefs' }), 201);
      assert.equal(promoted.promoted, 12);
      const ds = await expectJson(await get('/api/datasets/prefs/items'), 200);
      assert.ok(ds.data.every((it: any) => it.expected.startsWith('echo: X')), 'expected = the preferred output');
    });

    test('sampling: a rule with rate 1 on a tag queues matching live calls', async () => {
      const q = await expectJson(await assay.post('/api/queues', {
        name: 'live',
        questions: [{ id: 'ok', kind: 'boolean', prompt: 'ok?' }],
        sampling: [{ filter: { tag: 'sampled' }, rate: 1 }, { filter: { tag: 'never' }, rate: 0 }],
      }), 201);
      const t = await call('question 9', 'sampled,other');
      await call('question 8', 'unrelated');
      await call('question 7', 'never');
      let p: any;
      for (let i = 0; i < 100; i++) {
        p = await expectJson(await get(`/api/queues/${q.id}/progress`), 200);
        if (p.items >= 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      const items = await expectJson(await get(`/api/queues/${q.id}/items`), 200);
      assert.equal(items.data.length, 1);
      assert.equal(items.data[0].trace_id, t);
      assert.equal(items.data[0].content.source.type, 'sampling');
    });
  });
}
