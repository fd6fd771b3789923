/**
 * Training-data exports end to end on both stores: gateway calls (fake upstream) → end-user
 * feedback on a trace → the traces in a queue with a correction and a rating question → two
 * annotators → openai-sft and trl-prompt-completion (each line and its provenance checked field by
 * field, PII scrubbed on request); blind pairs from an experiment's two variants → openai-dpo and
 * trl-preference; the errors a caller can make; the `assay export` CLI writing its files.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAssay, type TestAssay, expectJson } from './helpers/assay.js';
import { runCli } from './helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { storeKinds } from './helpers/stores.js';

const SYSTEM = { role: 'system', content: 'Be terse.' };
const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));

for (const kind of storeKinds) {
  describe(`training-data exports on ${kind.name}`, { skip: kind.skip }, () => {
    let up: FakeOpenAI;
    let assay: TestAssay;
    let store: ReturnType<(typeof kind)['make']>;
    const keys: Record<string, { id: string; key: string }> = {};
    const traces: string[] = [];
    let fixes = '';
    let prefs = '';
    const get = (path: string, key?: string) => assay.api(path, { key });
    const exp = async (body: Record<string, unknown>, status = 200) => expectJson(await assay.post('/api/exports', body), status);
    const userText = (i: number) => `question ${i}: mail me at user${i}@example.com`;
    const call = async (i: number) => {
      const res = await fetch(`${assay.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-assay-test-admin-key', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'up/m', messages: [SYSTEM, { role: 'user', content: userText(i) }] }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.json();
      return res.headers.get('x-assay-trace-id') as string;
    };
    /** Annotates every item the annotator is given; `answer` maps the item view to answers. */
    const annotateAll = async (queue: string, name: string, answer: (item: any) => Record<string, unknown>) => {
      let n = 0;
      for (;;) {
        const next = await expectJson(await get(`/api/queues/${queue}/next`, keys[name].key), 200);
        if (!next.item) return n;
        await expectJson(await assay.post(`/api/queues/${queue}/items/${next.item.id}/annotations`, { answers: answer(next.item) }, keys[name].key), 201);
        n++;
      }
    };

    before(async () => {
      store = kind.make();
      up = await startFakeOpenAI();
      assay = await startAssay({ providers: [{ id: 'up', type: 'openai', base_url: up.url }] }, { databaseUrl: store.url });
      for (const [name, scopes] of [['alice', ['read']], ['bob', ['read']], ['widget', ['feedback']]] as const) {
        const k = await expectJson(await assay.post('/api/keys', { name, scopes }), 201);
        keys[name] = { id: k.id, key: k.key };
      }
      for (let i = 1; i <= 2; i++) traces.push(await call(i));
      await assay.flush();
    });
    after(async () => {
      await assay?.stop();
      await up?.close();
      await store?.cleanup();
    });

    test('end-user feedback → queue with correction and rating → two annotators', async () => {
      const fb = await fetch(`${assay.url}/api/public/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-assay-feedback-key': keys.widget.key },
        body: JSON.stringify({ trace_id: traces[0], value: 'down', comment: 'wrong' }),
      });
      assert.equal(fb.status, 201, await fb.clone().text());
      const down = await expectJson(await get(`/api/scores?trace_id=${traces[0]}&source=end-user`), 200);
      assert.equal(down.data.length, 1);

      const q = await expectJson(await assay.post('/api/queues', {
        name: 'fixes',
        questions: [{ id: 'fix', kind: 'correction', prompt: 'Correct it' }, { id: 'quality', kind: 'rating', prompt: 'How good?', min: 1, max: 5 }],
        overlap: 2,
        annotators: [keys.alice.id, keys.bob.id],
      }), 201);
      fixes = q.id;
      assert.equal((await expectJson(await assay.post(`/api/queues/${fixes}/items`, { traces }), 201)).added, 2);
      const n = (item: any) => Number(/question (\d)/.exec(item.output)![1]);
      assert.equal(await annotateAll(fixes, 'alice', (it) => ({ fix: `fixed ${n(it)}`, quality: n(it) === 1 ? 2 : 5 })), 2);
      assert.equal(await annotateAll(fixes, 'bob', (it) => ({ fix: `fixed ${n(it)}`, quality: n(it) === 1 ? 1 : 4 })), 2);
    });

    test('openai-sft and trl-prompt-completion: lines and provenance field by field', async () => {
      const sft = await exp({ queue: fixes, format: 'openai-sft' });
      assert.deepEqual(sft.questions, ['fix'], 'only the correction question feeds SFT');
      assert.deepEqual([sft.stats.input, sft.stats.written, sft.stats.train, sft.stats.test, sft.stats.rejected], [2, 2, 2, 0, 0]);
      assert.match(sft.stats.warnings[0], /at least 10 training examples/);
      const rows = lines(sft.files.train);
      const prov = lines(sft.files.provenance);
      assert.equal(rows.length, 2);
      assert.equal(prov.length, 2);
      const annotators = [keys.alice.id, keys.bob.id].sort();
      for (let k = 0; k < 2; k++) {
        const i = Number(/question (\d)/.exec(rows[k].messages[1].content)![1]);
        assert.deepEqual(rows[k], { messages: [SYSTEM, { role: 'user', content: userText(i) }, { role: 'assistant', content: `fixed ${i}` }] });
        const p = prov[k];
        assert.deepEqual([p.split, p.source, p.trace_ids, [...p.annotators].sort(), p.agreement, p.prompt_name, p.prompt_version, p.queue, p.question],
          ['train', 'correction', [traces[i - 1]], annotators, 1, null, null, 'fixes', 'fix']);
        assert.match(p.id, /^corr_[0-9a-f]{16}:sft$/);
        assert.equal(typeof p.created_at, 'number');
      }

      const tpc = await exp({ queue: fixes, format: 'trl-prompt-completion', redact: true });
      const trows = lines(tpc.files.train);
      const tprov = lines(tpc.files.provenance);
      assert.equal(trows.length, 2);
      for (let k = 0; k < 2; k++) {
        const i = Number(/question (\d)/.exec(trows[k].prompt[1].content)![1]);
        assert.deepEqual(trows[k], {
          prompt: [SYSTEM, { role: 'user', content: `question ${i}: mail me at [REDACTED_EMAIL]` }],
          completion: [{ role: 'assistant', content: `fixed ${i}` }],
        });
        assert.deepEqual(tprov[k].trace_ids, [traces[i - 1]]);
        assert.deepEqual([...tprov[k].annotators].sort(), annotators);
      }

      const std = await exp({ queue: fixes, format: 'trl-prompt-completion', style: 'standard' });
      assert.equal(std.stats.written, 0, 'standard needs a single user message; a system turn is rejected');
      assert.equal(std.rejected.length, 2);
    });

    test('rating question: unpaired labels by midpoint; errors name the formats and kinds', async () => {
      const kto = await exp({ queue: fixes, format: 'trl-unpaired', question: 'quality' });
      const rows = lines(kto.files.train);
      const byQ = Object.fromEntries(rows.map((r: any) => [r.prompt[1].content.slice(0, 10), r]));
      assert.deepEqual([byQ['question 1'].label, byQ['question 2'].label], [false, true], 'mean 1.5 < 3 ≤ 4.5');
      assert.deepEqual(byQ['question 1'].completion, [{ role: 'assistant', content: 'echo: ' + userText(1) }]);
      const ag = lines(kto.files.provenance).map((p: any) => p.agreement).sort();
      assert.deepEqual(ag, [0.5, 0.5], 'the annotators differ on each rating');
      assert.equal((await exp({ queue: fixes, format: 'trl-unpaired', question: 'quality', min_agreement: 0.6 })).stats.written, 0);

      const unknown = await exp({ queue: fixes, format: 'alpaca' }, 400);
      assert.match(unknown.error.message, /unknown export format "alpaca": one of trl-preference, .*openai-dpo/);
      const wrongKind = await exp({ queue: fixes, format: 'openai-sft', question: 'quality' }, 400);
      assert.match(wrongKind.error.message, /question "quality" is a rating question: openai-sft is fed by correction questions/);
      assert.match((await exp({ queue: fixes, format: 'openai-sft', question: 'nope' }, 400)).error.message, /no question "nope"/);
      await exp({ queue: 'nope', format: 'openai-sft' }, 404);
      await exp({ queue: fixes, format: 'openai-dpo', style: 'standard' }, 400);
      assert.equal((await assay.post('/api/exports', { queue: fixes, format: 'openai-sft' }, keys.alice.key)).status, 403);
    });

    test('pairs from an experiment → openai-dpo and trl-preference conversational', async () => {
      const e = await expectJson(await assay.post('/api/experiments?wait=true', {
        name: 'pairs',
        items: [0, 1, 2].map((i) => ({ id: `p${i}`, vars: { q: `p${i}` } })),
        variants: [
          { id: 'x', model: 'up/m', messages: [{ role: 'user', content: 'X {{q}}' }] },
          { id: 'y', model: 'up/m', messages: [{ role: 'user', content: 'Y {{q}}' }] },
        ],
      }), 201);
      const q = await expectJson(await assay.post('/api/queues', {
        name: 'prefs', questions: [{ id: 'pref', kind: 'pairwise', prompt: 'Which is better?', strength: true }, { id: 'note', kind: 'text', prompt: 'Why?' }], overlap: 2,
      }), 201);
      prefs = q.id;
      assert.equal((await expectJson(await assay.post(`/api/queues/${prefs}/items`, { pairs: { experiment: e.id, a: 'x', b: 'y' } }), 201)).added, 3);
      // Both prefer X on p0 and p1; on p2 they split (alice X, bob Y): the latest answer (bob's) wins with agreement 0.5.
      const pick = (name: string) => (it: any) => {
        const wantX = !(name === 'bob' && it.left.endsWith('p2'));
        const xLeft = it.left.startsWith('echo: X');
        return { pref: { choice: xLeft === wantX ? 'left' : 'right', strength: name === 'alice' ? 3 : 1 } };
      };
      await annotateAll(prefs, 'alice', pick('alice'));
      await annotateAll(prefs, 'bob', pick('bob'));

      const dpo = await exp({ queue: prefs, format: 'openai-dpo' });
      assert.deepEqual(dpo.questions, ['pref']);
      const rows = lines(dpo.files.train);
      const prov = lines(dpo.files.provenance);
      assert.equal(rows.length, 3);
      const results = await expectJson(await get(`/api/experiments/${e.id}/results`), 200);
      const traceOf = (item: string, variant: string): string => results.data.find((r: any) => r.item_id === item && r.variant === variant).trace_id;
      for (let k = 0; k < 3; k++) {
        const item = /p\d/.exec(rows[k].input.messages[0].content)![0];
        const xWins = item !== 'p2';
        const [chosen, rejected] = xWins ? [`echo: X ${item}`, `echo: Y ${item}`] : [`echo: Y ${item}`, `echo: X ${item}`];
        assert.deepEqual(rows[k], {
          input: { messages: [{ role: 'user', content: `X ${item}` }] },
          preferred_output: [{ role: 'assistant', content: chosen }],
          non_preferred_output: [{ role: 'assistant', content: rejected }],
        });
        assert.equal(prov[k].source, 'pairwise');
        assert.deepEqual(prov[k].trace_ids, [traceOf(item, 'x'), traceOf(item, 'y')], 'both outputs\u2019 traces, in source order');
        assert.deepEqual([...prov[k].annotators].sort(), [keys.alice.id, keys.bob.id].sort());
        assert.equal(prov[k].agreement, xWins ? 1 : 0.5);
      }

      const trl = await exp({ queue: prefs, format: 'trl-preference', min_agreement: 1 });
      const trows = lines(trl.files.train);
      assert.equal(trows.length, 2, 'p2 (agreement 0.5) filtered');
      for (const r of trows) {
        const item = /p\d/.exec(r.prompt[0].content)![0];
        assert.deepEqual(r, {
          prompt: [{ role: 'user', content: `X ${item}` }],
          chosen: [{ role: 'assistant', content: `echo: X ${item}` }],
          rejected: [{ role: 'assistant', content: `echo: Y ${item}` }],
          margin: 2,
        });
      }
      const wrong = await exp({ queue: prefs, format: 'openai-dpo', question: 'note' }, 400);
      assert.match(wrong.error.message, /question "note" is a text question: openai-dpo is fed by pairwise, rating, correction questions/);

      const dl = await assay.post('/api/exports?download=train', { queue: prefs, format: 'openai-dpo' });
      assert.equal(dl.status, 200);
      assert.match(dl.headers.get('content-type')!, /application\/x-ndjson/);
      assert.match(dl.headers.get('content-disposition')!, /attachment; filename="prefs\.openai-dpo\.train\.jsonl"/);
      assert.equal(await dl.text(), dpo.files.train);
    });

    test('assay export writes train, test and provenance files', { skip: kind.name !== 'sqlite' && 'the CLI is store-independent' }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'assay-export-'));
      try {
        const r = await runCli(['export', prefs, '--format', 'trl-preference', '--test-fraction', '0.5', '--seed', 's1', '-o', join(dir, 'out')], { url: assay.url, cwd: dir });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /trl-preference from .*: 3 written/);
        const files = (await readdir(join(dir, 'out'))).sort();
        assert.deepEqual(files, ['trl-preference.provenance.jsonl', 'trl-preference.test.jsonl', 'trl-preference.train.jsonl']);
        const train = lines(await readFile(join(dir, 'out', 'trl-preference.train.jsonl'), 'utf8'));
        const testRows = lines(await readFile(join(dir, 'out', 'trl-preference.test.jsonl'), 'utf8'));
        const prov = lines(await readFile(join(dir, 'out', 'trl-preference.provenance.jsonl'), 'utf8'));
        assert.equal(train.length + testRows.length, 3);
        assert.deepEqual(prov.map((p: any) => p.split).sort(), [...train.map(() => 'train'), ...testRows.map(() => 'test')].sort());

        const sft = await runCli(['export', fixes, '--format', 'openai-sft', '-o', dir], { url: assay.url, cwd: dir });
        assert.equal(sft.status, 0, sft.stderr);
        assert.equal(lines(await readFile(join(dir, 'openai-sft.train.jsonl'), 'utf8'))[0].messages.at(-1).content.startsWith('fixed'), true);
        await assert.rejects(readFile(join(dir, 'openai-sft.test.jsonl')), 'no test file without a test fraction');

        const none = await runCli(['export', fixes, '--format', 'trl-prompt-completion', '--style', 'standard', '-o', dir], { url: assay.url, cwd: dir });
        assert.equal(none.status, 1);
        assert.match(none.stdout, /rejected:\n {2}2× /);
        assert.match(none.stderr, /nothing could be exported/);
        const bad = await runCli(['export', fixes, '--format', 'nope'], { url: assay.url, cwd: dir });
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /unknown export format "nope"/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
