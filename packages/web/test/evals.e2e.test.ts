/**
 * Prompts, datasets and experiments in the browser against a real Assay (fake upstream that
 * answers "echo: <last user text>"): versions and a diff, a label, "Open in playground"; an import
 * listed and "Add to dataset" from a trace; an experiment's statistics with their intervals and the
 * grid's filters.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, browserSkip, startDashboard, type Dashboard } from './helpers/browser.js';

describe('prompts, datasets and experiments in the browser', { skip: browserSkip }, () => {
  let d: Dashboard;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await d.assay.api(path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers });
    const text = await res.text();
    assert.ok(res.ok, `${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  before(async () => {
    d = await startDashboard();
    await d.signIn();
  });
  after(async () => {
    await d?.close();
  });

  test('prompts: versions with labels, the diff between two versions, a label, open in playground', async () => {
    await post('/api/prompts', {
      name: 'support/answer',
      prompt: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Explain {{topic}}' }],
      config: { model: 'up/gpt-4o-mini', temperature: 0.2 },
      commit_message: 'first draft',
      labels: ['production'],
    });
    await post('/api/prompts', {
      name: 'support/answer',
      prompt: [{ role: 'system', content: 'You are terse and kind.' }, { role: 'user', content: 'Explain {{topic}}' }],
      config: { model: 'up/gpt-4o-mini', temperature: 0.5 },
      commit_message: 'kinder tone',
    });
    await d.page.getByRole('link', { name: 'Prompts', exact: true }).click();
    await d.page.getByRole('link', { name: 'support/answer' }).click();
    await d.page.waitForURL(/\/prompts\/support%2Fanswer/);
    const versions = d.page.getByRole('list', { name: 'Versions' });
    await versions.getByText('kinder tone').waitFor();
    await versions.getByText('first draft').waitFor();
    await versions.getByText('production').waitFor();
    const diff = d.page.getByLabel('Diff v1 → v2');
    await diff.locator('.del', { hasText: 'You are terse.' }).waitFor();
    await diff.locator('.add', { hasText: 'You are terse and kind.' }).waitFor();
    await diff.locator('.add', { hasText: 'temperature: 0.5' }).waitFor();
    await d.screenshot('prompt-detail');

    await d.page.getByLabel('Label for v2').fill('staging');
    await d.page.getByRole('button', { name: 'Set label' }).click();
    await versions.getByRole('button', { name: /v2/ }).getByText('staging').waitFor();
    await d.page.getByLabel('Label for v2').fill('Not A Label');
    await d.page.getByRole('button', { name: 'Set label' }).click();
    await d.page.getByRole('alert').filter({ hasText: 'The label was not set' }).waitFor();

    await d.page.getByLabel('{{topic}}').fill('tides');
    await d.page.getByRole('button', { name: 'Open in playground' }).click();
    await d.page.waitForURL(/\/playground\?draft=/);
    await d.page.getByText('Loaded prompt support/answer v2').waitFor();
    const texts = await d.page.locator('textarea').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    assert.ok(texts.includes('Explain tides'), JSON.stringify(texts));
    assert.ok(texts.includes('You are terse and kind.'), JSON.stringify(texts));
  });

  test('datasets: an imported file is listed; "Add to dataset" from a trace adds it', async () => {
    await post('/api/datasets', { name: 'qa', description: 'questions' });
    const jsonl = [
      { id: 'q1', vars: { question: 'capital of France?' }, expected: 'Paris', assert: [{ type: 'contains', value: 'Paris' }] },
      { id: 'q2', messages: [{ role: 'user', content: 'two plus two' }], expected: '4' },
    ]
      .map((x) => JSON.stringify(x))
      .join('\n');
    await post('/api/datasets/qa/import', jsonl, { 'content-type': 'application/x-ndjson' });

    await d.page.getByRole('link', { name: 'Datasets', exact: true }).click();
    await d.page.getByRole('link', { name: 'qa', exact: true }).click();
    const items = d.page.getByRole('table', { name: 'Items' });
    await items.getByText('question=capital of France?').waitFor();
    await items.getByText('user: two plus two').waitFor();
    assert.equal(await items.locator('tbody tr').count(), 2);
    const exportHref = await d.page.getByRole('link', { name: 'CSV' }).getAttribute('href');
    const csv = await d.page.evaluate(async (href) => (await fetch(href!)).text(), exportHref);
    assert.match(csv, /capital of France/);

    const res = await fetch(`${d.assay.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'what is a dataset?' }] }),
    });
    assert.equal(res.status, 200);
    await d.assay.flush();
    await d.page.getByRole('link', { name: 'Traces', exact: true }).click();
    await d.page.getByRole('link', { name: 'chat.completions' }).first().click();
    // A score from the dashboard, checked against its config by the server.
    await post('/api/score-configs', { name: 'helpful', data_type: 'NUMERIC', min: 1, max: 5 });
    await d.page.getByRole('button', { name: 'Score', exact: true }).click();
    const scoreForm = d.page.getByRole('form', { name: 'Add a score' });
    await scoreForm.getByLabel('Name').fill('helpful');
    await scoreForm.getByLabel('Value').fill('9');
    await scoreForm.getByRole('button', { name: 'Save score' }).click();
    await scoreForm.getByText(/between 1 and 5|range|1.*5/).first().waitFor();
    await scoreForm.getByLabel('Value').fill('4');
    await scoreForm.getByRole('button', { name: 'Save score' }).click();
    await scoreForm.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const traceId = new URL(d.page.url()).pathname.split('/').pop()!;
    const stored = await (await d.assay.api(`/api/scores?trace_id=${traceId}`)).json() as { data: { name: string; value: number; author: string }[] };
    assert.deepEqual(stored.data.map((x) => [x.name, x.value]), [['helpful', 4]]);

    await d.page.getByRole('button', { name: 'Add to dataset' }).click();
    const form = d.page.getByRole('form', { name: 'Add to dataset' });
    await form.getByLabel('Dataset').selectOption('qa');
    await form.getByRole('button', { name: 'Add', exact: true }).click();
    await form.getByRole('status').filter({ hasText: 'version 2' }).waitFor();
    await d.screenshot('trace-add-to-dataset');
    await form.getByRole('link', { name: 'qa' }).click();
    await items.getByText('user: what is a dataset?').waitFor();
    await items.getByText('echo: what is a dataset?').waitFor();
    assert.equal(await items.locator('tbody tr').count(), 3);
    await d.screenshot('dataset-detail');
  });

  test('experiments: statistics with intervals, comparisons, the grid and its filters', async () => {
    // Variant b adds " banana" to every question. q1: both pass; q2: only b passes; q3: both fail; q4: both pass.
    const e = await post('/api/experiments?wait=true', {
      name: 'fruit check',
      items: [
        { id: 'q1', vars: { q: 'apple' }, assert: [{ type: 'contains', value: 'apple' }] },
        { id: 'q2', vars: { q: 'pear' }, assert: [{ type: 'contains', value: 'banana' }] },
        { id: 'q3', vars: { q: 'kiwi' }, assert: [{ type: 'contains', value: 'mango' }] },
        { id: 'q4', vars: { q: 'plum' }, assert: [{ type: 'contains', value: 'plum' }] },
      ],
      variants: [
        { id: 'plain', model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: '{{q}}' }] },
        { id: 'banana', model: 'up/gpt-4o', messages: [{ role: 'user', content: '{{q}} banana' }] },
      ],
      concurrency: 4,
    });
    assert.equal(e.status, 'done');
    await d.page.getByRole('link', { name: 'Experiments', exact: true }).click();
    await d.page.getByRole('table', { name: 'Experiments' }).getByText('8/8').waitFor();
    await d.page.getByRole('link', { name: 'fruit check' }).click();

    const stats = d.page.getByRole('table', { name: 'Variant statistics' });
    // 2/4 and 3/4 with their 95% Wilson intervals, next to the rate.
    const plain = stats.locator('tr', { hasText: 'plain' });
    assert.match((await plain.locator('td').nth(2).textContent()) ?? '', /^50% \[15–85%\]$/);
    const banana = stats.locator('tr', { hasText: 'banana' });
    assert.match((await banana.locator('td').nth(2).textContent()) ?? '', /^75% \[30–95%\]$/);
    await d.page.getByRole('table', { name: 'Comparisons' }).getByText('+25 pp').waitFor();

    const grid = d.page.getByRole('table', { name: 'Results by item and variant' });
    await grid.locator('summary', { hasText: 'echo: pear banana' }).waitFor();
    assert.equal(await grid.locator('tbody tr').count(), 4);
    await d.screenshot('experiment-detail');
    await d.page.getByLabel('Failed only').check();
    await d.page.getByText('2 of 4 items').waitFor();
    assert.equal(await grid.locator('tbody tr').count(), 2, 'q2 and q3 have a failed run');
    await d.page.getByLabel('Changed between variants').check();
    await d.page.getByText('1 of 4 items').waitFor();
    await grid.getByText('q2', { exact: true }).waitFor();
    await d.page.getByLabel('Failed only').uncheck();
    await d.page.getByLabel('Changed between variants').uncheck();
    await d.page.getByLabel('Search items and outputs').fill('kiwi');
    await d.page.getByText('1 of 4 items').waitFor();

    // Expanding a failed cell shows the assertion's reason and a link to its trace.
    const cell = grid.locator('td.cell.fail').first();
    await cell.locator('summary').click();
    await cell.getByRole('list', { name: 'Assertions' }).waitFor();
    assert.match((await cell.getByRole('list', { name: 'Assertions' }).textContent()) ?? '', /✗ contains/);
    await cell.getByRole('link', { name: 'open trace' }).click();
    await d.page.waitForURL(/\/traces\//);
    await d.page.getByText(/^echo: kiwi/).filter({ visible: true }).first().waitFor();
  });
});
