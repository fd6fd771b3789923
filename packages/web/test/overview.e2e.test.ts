/** Overview in a real browser: first-run empty state, cards equal to GET /api/metrics, range and breakdown in the URL. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, browserSkip, startDashboard, type Dashboard } from './helpers/browser.js';
import { fmtCost, fmtInt, fmtMs, fmtPct } from '../src/ui/format.js';

describe('dashboard overview', { skip: browserSkip }, () => {
  let d: Dashboard;
  before(async () => {
    d = await startDashboard();
    await d.signIn();
  });
  after(async () => {
    await d?.close();
  });

  const card = (label: string) => d.page.getByRole('group', { name: label, exact: true }).locator('.value');

  test('with no calls yet, the empty state shows how to send one, with this page’s own origin', async () => {
    await d.open('/');
    await d.page.getByRole('heading', { name: 'No calls yet' }).waitFor();
    const curl = await d.page.getByLabel('curl example').textContent();
    assert.ok(curl?.includes(`curl ${d.assay.url}/v1/chat/completions`), curl ?? '');
    assert.ok(curl?.includes('$ASSAY_API_KEY'));
    assert.ok(curl?.includes('"model": "smart"'), 'names a configured route');
    const py = await d.page.getByLabel('Python example').textContent();
    assert.ok(py?.includes(`base_url="${d.assay.url}/v1"`), py ?? '');
    const js = await d.page.getByLabel('JavaScript example').textContent();
    assert.ok(js?.includes(`baseURL: '${d.assay.url}/v1'`), js ?? '');
    assert.equal(await d.page.getByRole('link', { name: 'Create a key' }).getAttribute('href'), '/keys');
    assert.equal(await d.page.getByRole('main').getByRole('link', { name: 'Playground' }).getAttribute('href'), '/playground');
  });

  test('after calls through the gateway (one failing), the cards show what GET /api/metrics says', async () => {
    const call = (model: string, content: string, extra: Record<string, unknown> = {}) =>
      fetch(`${d.assay.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content }], ...extra }),
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    assert.equal((await call('smart', 'one')).status, 200);
    assert.equal((await call('smart', 'two', { stream: true, stream_options: { include_usage: true } })).status, 200);
    assert.equal((await call('up/gpt-4o', 'three')).status, 200);
    assert.equal((await call('up/reported-cost', 'four')).status, 200);
    assert.equal((await call('up/fail-400', 'five')).status, 400);
    await d.assay.flush();

    await d.open('/?range=1h');
    await card('Requests').getByText('5', { exact: true }).waitFor();

    // The page links the exact /api/metrics request it shows; ask the API the same question.
    const href = await d.page.getByRole('link', { name: 'GET /api/metrics' }).getAttribute('href');
    assert.ok(href?.startsWith('/api/metrics?'), href ?? '');
    const m = (await (await d.assay.api(href!)).json()) as { totals: Record<string, number | null> };
    assert.equal(m.totals.requests, 5);
    assert.equal(m.totals.errors, 1);
    assert.equal(await card('Requests').textContent(), fmtInt(m.totals.requests));
    assert.equal(await card('Error rate').textContent(), fmtPct(m.totals.error_rate));
    assert.equal(await card('Latency p50').textContent(), fmtMs(m.totals.latency_p50));
    assert.equal(await card('Latency p95').textContent(), fmtMs(m.totals.latency_p95));
    assert.equal(await card('Tokens').textContent(), fmtInt(m.totals.total_tokens));
    assert.equal(await card('Cost').textContent(), fmtCost(m.totals.cost));
    assert.ok((m.totals.cost ?? 0) > 0, 'the reported cost counts');

    // A direct call for the same range with default parameters agrees too.
    const url = new URL(href!, d.assay.url);
    const direct = (await (await d.assay.api(`/api/metrics?from=${url.searchParams.get('from')}&to=${url.searchParams.get('to')}`)).json()) as typeof m;
    for (const k of ['requests', 'errors', 'error_rate', 'total_tokens', 'cost'] as const) assert.equal(m.totals[k], direct.totals[k], k);

    // Broken down by model: a table row per model with its own totals.
    const table = d.page.getByRole('table', { name: 'By model' });
    const row = table.getByRole('row').filter({ has: d.page.getByRole('rowheader', { name: 'up/gpt-4o-mini', exact: true }) });
    assert.equal(await row.getByRole('cell').first().textContent(), '2');
    await d.page.getByRole('figure', { name: /^Requests chart/ }).locator('canvas').first().waitFor();
    await d.screenshot('overview');
  });

  test('switching the range and the breakdown updates the URL', async () => {
    await d.page.getByRole('group', { name: 'Time range' }).getByRole('button', { name: '15 min' }).click();
    await d.page.waitForURL((u) => u.searchParams.get('range') === '15m');
    assert.equal(await d.page.getByRole('button', { name: '15 min' }).getAttribute('aria-pressed'), 'true');
    await card('Requests').getByText('5', { exact: true }).waitFor();

    await d.page.getByLabel('Break down by').selectOption('route');
    await d.page.waitForURL((u) => u.searchParams.get('group') === 'route' && u.searchParams.get('range') === '15m');
    await d.page.getByRole('table', { name: 'By route' }).getByRole('rowheader', { name: 'smart', exact: true }).waitFor();

    // The URL is the view: reloading it shows the same range and breakdown.
    await d.page.reload();
    assert.equal(await d.page.getByRole('button', { name: '15 min' }).getAttribute('aria-pressed'), 'true');
    assert.equal(await d.page.getByLabel('Break down by').inputValue(), 'route');

    // A window with no calls says so instead of showing empty charts.
    const day = 86_400_000;
    await d.open(`/?from=${Date.now() - 3 * day}&to=${Date.now() - 2 * day}`);
    await d.page.getByRole('heading', { name: 'No calls in this time range' }).waitFor();
    assert.equal(await d.page.getByRole('button', { name: 'Custom…' }).getAttribute('aria-pressed'), 'true');
  });
});
