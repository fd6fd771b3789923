/**
 * Playground and Models & routes in a real browser: stream an answer from a route, stop a slow
 * stream, replay a traced call with its exact request, a read-only key told which scope it lacks.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, browserSkip, startDashboard, type Dashboard } from './helpers/browser.js';

describe('dashboard playground', { skip: browserSkip }, () => {
  let d: Dashboard;
  before(async () => {
    d = await startDashboard();
    await d.signIn();
  });
  after(async () => {
    await d?.close();
  });

  const status = () => d.page.getByRole('region', { name: 'Answer' }).getByRole('status');

  test('pick the route smart, type a message, send: the answer streams in, with its trace', async () => {
    await d.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Playground' }).click();
    await d.page.getByRole('group', { name: 'Available models and routes' }).getByRole('button', { name: 'smart', exact: true }).click();
    assert.equal(await d.page.getByLabel('Model or route').inputValue(), 'smart');
    await d.page.getByLabel('Message 2 (user)').fill('hello from the playground');
    await d.page.getByRole('button', { name: 'Send' }).click();

    const answer = d.page.getByLabel('Answer text');
    await answer.getByText('echo: hello from the playground').waitFor();
    await status().getByText('Done').waitFor();
    await d.page.getByText('7 in · 3 out · 10 total').waitFor(); // usage from the stream
    await d.page.getByRole('region', { name: 'Answer' }).getByText('up/gpt-4o-mini', { exact: true }).waitFor(); // x-assay-target

    const link = d.page.getByRole('link', { name: /^Trace / });
    const href = await link.getAttribute('href');
    const traceId = decodeURIComponent(href!.replace(/^\/traces\//, ''));
    assert.match(href!, /^\/traces\/[\w.:-]+$/);
    await d.assay.flush();
    const trace = (await (await d.assay.api(`/api/traces/${encodeURIComponent(traceId)}`)).json()) as { observations: { name: string; input: { model: string; stream: boolean; messages: { content: string }[] } }[] };
    const root = trace.observations.find((o) => o.name === 'chat.completions')!;
    assert.equal(root.input.model, 'smart');
    assert.equal(root.input.stream, true);
    assert.equal(root.input.messages.at(-1)!.content, 'hello from the playground');
    await d.screenshot('playground');

    await link.click();
    await d.page.waitForURL((u) => u.pathname === `/traces/${traceId}`);
    await d.page.goBack();
  });

  test('Stop aborts a slow stream', async () => {
    await d.open('/playground');
    await d.page.getByLabel('Model or route').fill('up/slow-2000');
    await d.page.getByLabel('Message 2 (user)').fill('take your time');
    await d.page.getByRole('button', { name: 'Send' }).click();
    await status().getByText('Streaming…').waitFor();
    await d.page.getByRole('button', { name: 'Stop' }).click();
    await status().getByText('Stopped').waitFor();
    assert.equal(await d.page.getByRole('button', { name: 'Send' }).isEnabled(), true);
    assert.equal(await d.page.getByRole('button', { name: 'Stop' }).isEnabled(), false);
  });

  test('open in playground: a traced call is prefilled exactly, and Send replays the same request', async () => {
    const request = {
      model: 'smart',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'replay me', name: 'alice' },
      ],
      temperature: 0.3,
      max_tokens: 50,
      seed: 42,
      response_format: { type: 'json_object' },
    };
    const res = await fetch(`${d.assay.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    assert.equal(res.status, 200);
    const traceId = res.headers.get('x-assay-trace-id')!;
    await d.assay.flush();
    const trace = (await (await d.assay.api(`/api/traces/${traceId}`)).json()) as { observations: { id: string; name: string; type: string }[] };
    const obs = trace.observations.find((o) => o.type === 'generation' && o.name === 'chat.completions')!;
    const upstreamBefore = d.upstream.requests.length;
    const original = d.upstream.requests.at(-1)!.body;

    await d.open(`/playground?trace=${traceId}&observation=${obs.id}`);
    await d.page.getByText(`trace ${traceId}`).waitFor();
    assert.equal(await d.page.getByLabel('Model or route').inputValue(), 'smart');
    assert.equal(await d.page.getByLabel('Temperature').inputValue(), '0.3');
    assert.equal(await d.page.getByLabel('Max tokens').inputValue(), '50');
    assert.equal(await d.page.getByLabel('Top p').inputValue(), '');
    assert.equal(await d.page.getByLabel('Stream').isChecked(), false);
    assert.equal(await d.page.getByLabel('Message 1 (system)').inputValue(), 'Be brief.');
    assert.equal(await d.page.getByLabel('Message 2 (user)').inputValue(), 'replay me');
    assert.deepEqual(JSON.parse(await d.page.getByLabel('Other fields of message 2', { exact: false }).inputValue()), { name: 'alice' });
    assert.deepEqual(JSON.parse(await d.page.getByLabel('Other request fields (JSON)').inputValue()), { seed: 42, response_format: { type: 'json_object' } });

    await d.page.getByRole('button', { name: 'Send' }).click();
    await status().getByText('Done').waitFor();
    assert.equal(d.upstream.requests.length, upstreamBefore + 1);
    assert.deepEqual(d.upstream.requests.at(-1)!.body, original, 'the upstream got the same request again');
  });

  test('a missing trace or observation is a message, not a blank page', async () => {
    await d.open('/playground?trace=no-such-trace&observation=x');
    await d.page.getByRole('alert').getByText('no trace no-such-trace').waitFor();
    // The editor still works.
    await d.page.getByLabel('Model or route').waitFor();
  });

  test('Models & routes shows smart with its targets and each target’s health', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${d.assay.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'up/fail-503', messages: [{ role: 'user', content: 'x' }] }),
      });
      assert.equal(r.status, 503);
    }
    await d.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models & routes' }).click();
    await d.page.getByRole('heading', { name: 'smart' }).waitFor();
    const targets = d.page.getByRole('table', { name: 'Targets of smart' });
    const mini = targets.getByRole('row').filter({ has: d.page.getByRole('rowheader', { name: 'up/gpt-4o-mini', exact: true }) });
    const big = targets.getByRole('row').filter({ has: d.page.getByRole('rowheader', { name: 'up/gpt-4o', exact: true }) });
    await mini.getByText('target').waitFor();
    await mini.getByText('healthy').waitFor();
    await big.getByText('fallback 1').waitFor();
    // A target that failed three times in a row is cooling down, with its last error.
    const failing = d.page.getByRole('row').filter({ has: d.page.getByRole('rowheader', { name: 'up/fail-503', exact: true }) });
    await failing.getByText('cooling down').waitFor();
    await failing.getByText('upstream says 503').waitFor();
    await d.page.getByRole('table').filter({ has: d.page.getByRole('rowheader', { name: 'up', exact: true }) }).getByText('up/gpt-4o-mini').waitFor();
    await d.screenshot('models');
  });

  test('a read-only key is told which scope the playground needs', async () => {
    const res = await d.assay.api('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'ro', scopes: ['read'] }) });
    const { key } = (await res.json()) as { key: string };
    await d.page.getByRole('button', { name: 'Sign out' }).click();
    await d.signIn(key);
    await d.open('/playground');
    const alert = d.page.getByRole('alert').filter({ hasText: 'This key cannot call models' });
    await alert.getByText('model', { exact: true }).waitFor();
    assert.equal(await d.page.getByRole('button', { name: 'Send' }).isDisabled(), true);
    // The server agrees: the session may not call models.
    const status = await d.page.evaluate(async () => (await fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"smart","messages":[]}' })).status);
    assert.equal(status, 403);
  });
});
