/**
 * Annotation queues in the browser against a real Assay (fake upstream answering "echo: <text>"):
 * a queue listed and annotated with the keyboard only (digit, y, e + typing + Esc, Enter), a blind
 * pairwise item answered with `a` and un-blinded on the server, the overview's agreement after a
 * second annotator, adjudication, and the export page (when the server has /api/exports).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ADMIN_KEY, browserSkip, startDashboard, type Dashboard } from './helpers/browser.js';

interface Annotation {
  annotator: string;
  answers: Record<string, any>;
  shown: number[] | null;
}
interface Item {
  id: string;
  done: number;
  content: { outputs: { output: string | null; variant: string | null }[] };
  annotations: Annotation[];
}

describe('annotation queues in the browser', { skip: browserSkip }, () => {
  let d: Dashboard;
  let reader: { id: string; key: string };
  const call = async (path: string, init: { method?: string; body?: unknown; key?: string } = {}) => {
    const res = await d.assay.api(path, { method: init.method ?? (init.body ? 'POST' : 'GET'), body: init.body ? JSON.stringify(init.body) : undefined, key: init.key });
    const text = await res.text();
    assert.ok(res.ok, `${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const items = async (queue: string): Promise<Item[]> => {
    const list = (await call(`/api/queues/${queue}/items`)) as { data: Item[] };
    return Promise.all(list.data.map((i) => call(`/api/queues/${queue}/items/${i.id}`) as Promise<Item>));
  };
  before(async () => {
    d = await startDashboard();
    await d.signIn();
    reader = await call('/api/keys', { body: { name: 'bob', scopes: ['read'] } });
  });
  after(async () => {
    await d?.close();
  });

  let reviewQueue = '';
  test('keyboard only: a digit, y, e + typing + Esc, Enter stores the annotation', async () => {
    for (const text of ['hello one', 'hello two']) {
      const res = await fetch(`${d.assay.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: text }] }),
      });
      assert.equal(res.status, 200);
    }
    await d.assay.flush();
    const traces = (await call('/api/traces?limit=10')) as { data: { trace_id: string }[] };
    assert.equal(traces.data.length, 2);
    const q = await call('/api/queues', {
      body: {
        name: 'support review',
        overlap: 2,
        questions: [
          { id: 'quality', kind: 'rating', prompt: 'How good is the answer?', min: 1, max: 5 },
          { id: 'ok', kind: 'boolean', prompt: 'Acceptable as is?' },
          { id: 'fix', kind: 'correction', prompt: 'Correct the answer' },
        ],
      },
    });
    reviewQueue = q.id;
    const added = await call(`/api/queues/${q.id}/items`, { body: { traces: traces.data.map((t) => t.trace_id) } });
    assert.equal(added.added, 2);

    await d.page.getByRole('link', { name: 'Annotation', exact: true }).click();
    const row = d.page.getByRole('table', { name: 'Queues' }).locator('tr', { hasText: 'support review' });
    await row.getByText('quality (rating), ok (boolean), fix (correction)').waitFor();
    await row.getByRole('link', { name: 'Annotate' }).click();
    await d.page.waitForURL(/\/annotate$/);
    const output = d.page.getByRole('region', { name: 'Output' }).locator('pre');
    await output.getByText(/^echo: hello/).waitFor();
    const original = (await output.textContent()) ?? '';
    await d.page.getByLabel('Keyboard shortcuts').waitFor();
    await d.page.getByText('0 done by me').waitFor();

    await d.page.keyboard.press('4');
    await d.page.keyboard.press('y');
    await d.page.keyboard.press('e');
    await d.page.keyboard.type(' (corrected)');
    await d.page.getByLabel('Correction diff').locator('.add', { hasText: `${original} (corrected)` }).waitFor();
    await d.page.getByLabel('Correction diff').locator('.del', { hasText: original }).waitFor();
    await d.page.keyboard.press('Escape');
    assert.equal(await d.page.evaluate(() => (globalThis as unknown as { document: { activeElement: { tagName: string } | null } }).document.activeElement?.tagName), 'BODY');
    await d.screenshot('annotate');
    await d.page.keyboard.press('Enter');
    await d.page.getByText('1 done by me').waitFor();
    // The next item is shown: the other trace's output.
    await output.getByText(/^echo: hello/).filter({ hasNotText: original }).waitFor();

    const stored = (await items(q.id)).flatMap((i) => i.annotations.map((a) => ({ a, i })));
    assert.equal(stored.length, 1);
    const { a, i } = stored[0];
    assert.equal(i.content.outputs[0].output, original);
    assert.equal(a.answers.quality, 4);
    assert.equal(a.answers.ok, true);
    assert.equal(a.answers.fix.text, `${original} (corrected)`);
    assert.equal(a.answers.fix.changed, true);
  });

  test('agreement and adjudication after a second annotator', async () => {
    assert.ok(reviewQueue, 'needs the first test');
    // Admin answers the second item too (through the API); bob answers both, disagreeing on one rating.
    const admin = await call(`/api/queues/${reviewQueue}/next`);
    await call(`/api/queues/${reviewQueue}/items/${admin.item.id}/annotations`, { body: { answers: { quality: 2, ok: false } } });
    const seen: number[] = [];
    for (;;) {
      const n = await call(`/api/queues/${reviewQueue}/next`, { key: reader.key });
      if (!n.item) break;
      const all = await items(reviewQueue);
      const mine = all.find((x) => x.id === n.item.id)!.annotations.find((x) => x.annotator !== reader.id)!;
      const quality = seen.length === 0 ? mine.answers.quality : 5;
      seen.push(quality);
      await call(`/api/queues/${reviewQueue}/items/${n.item.id}/annotations`, { body: { answers: { quality, ok: mine.answers.ok } }, key: reader.key });
    }
    assert.equal(seen.length, 2);

    await d.open(`/queues/${reviewQueue}`);
    await d.page.getByRole('heading', { name: 'support review' }).waitFor();
    await d.page.getByRole('table', { name: 'Annotators' }).getByText('bob').waitFor();
    const agreement = d.page.getByRole('table', { name: 'Agreement per question' });
    const quality = agreement.locator('tr', { hasText: 'quality' });
    await quality.getByText('ordinal').waitFor();
    assert.match((await quality.locator('td').nth(3).textContent()) ?? '', /^-?\d\.\d\d$|^—$/);
    await agreement.locator('tr', { hasText: 'ok' }).getByText('nominal').waitFor();
    await d.screenshot('queue-overview');
    const disagreements = d.page.getByRole('table', { name: 'Disagreements' });
    const row = disagreements.locator('tr', { hasText: 'quality' });
    await row.getByText('bob').waitFor();
    await row.getByRole('button', { name: 'Adjudicate to this' }).first().click();
    await d.page.getByText('No open disagreements.').waitFor();
    const adjudicated = (await items(reviewQueue)) as (Item & { adjudications?: unknown[] })[];
    assert.equal(adjudicated.flatMap((x) => x.adjudications ?? []).length, 1);
  });

  let pairQueue = '';
  test('pairwise: Left/Right without variant names; `a` is stored un-blinded', async () => {
    const e = await call('/api/experiments?wait=true', {
      body: {
        name: 'pair check',
        items: [
          { id: 'p1', vars: { q: 'apple' } },
          { id: 'p2', vars: { q: 'pear' } },
        ],
        variants: [
          { id: 'variant-alpha', model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: '{{q}}' }] },
          { id: 'variant-beta', model: 'up/gpt-4o', messages: [{ role: 'user', content: '{{q}} please' }] },
        ],
        concurrency: 4,
      },
    });
    assert.equal(e.status, 'done');
    const q = await call('/api/queues', { body: { name: 'pairs', questions: [{ id: 'pref', kind: 'pairwise', prompt: 'Which answer is better?', allow_tie: true }] } });
    pairQueue = q.id;
    const added = await call(`/api/queues/${q.id}/items`, { body: { pairs: { experiment: e.id, a: 'variant-alpha', b: 'variant-beta' } } });
    assert.equal(added.added, 2);

    await d.open(`/queues/${q.id}/annotate`);
    const left = d.page.getByRole('region', { name: 'Left' });
    const right = d.page.getByRole('region', { name: 'Right' });
    await left.getByText(/^echo: /).waitFor();
    await right.getByText(/^echo: /).waitFor();
    const body = (await d.page.locator('main').textContent()) ?? '';
    assert.doesNotMatch(body, /variant-alpha|variant-beta/);
    const leftText = (await left.locator('pre').textContent()) ?? '';
    await d.screenshot('annotate-pairwise');
    await d.page.keyboard.press('a');
    await d.page.getByRole('button', { name: 'Left better', pressed: true }).waitFor();
    await d.page.keyboard.press('Enter');
    await d.page.getByText('1 done by me').waitFor();

    const done = (await items(q.id)).filter((i) => i.annotations.length);
    assert.equal(done.length, 1);
    const [a] = done[0].annotations;
    assert.ok(a.shown);
    const shownLeft = done[0].content.outputs[a.shown[0]];
    assert.equal(shownLeft.output, leftText);
    assert.equal(a.answers.pref.choice, 'left');
    assert.equal(a.answers.pref.variant, shownLeft.variant);
    assert.equal(a.answers.pref.winner, a.shown[0] === 0 ? 'a' : 'b');
  });

  test('export page: stats and downloads', async () => {
    assert.ok(pairQueue, 'needs the pairwise test');
    await d.open(`/queues/${pairQueue}/export`);
    await d.page.getByLabel('Format').selectOption('trl-preference');
    await d.page.getByLabel('Test fraction').fill('0');
    await d.page.getByRole('button', { name: 'Export' }).click();
    const result = d.page.getByRole('region', { name: 'Export result' });
    await result.waitFor();
    await result.getByText('written').waitFor();
    // The download links are blob: URLs of the files in the answer; the preview shows the first lines.
    await result.getByRole('link', { name: 'train.jsonl' }).waitFor();
    const [dl] = await Promise.all([d.page.waitForEvent('download'), result.getByRole('link', { name: 'train.jsonl' }).click()]);
    assert.equal(await dl.failure(), null);
    assert.match(dl.suggestedFilename(), /train\.jsonl$/);
    assert.match(readFileSync((await dl.path())!, 'utf8'), /"chosen"/);
    assert.match((await result.getByLabel('Train preview').textContent()) ?? '', /"chosen"/);
    await result.getByRole('link', { name: 'provenance.jsonl' }).waitFor();
  });
});
