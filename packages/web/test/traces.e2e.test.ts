/**
 * Traces, trace detail and sessions in a real browser: calls sent through the gateway (a session,
 * a failure, tags, a fallback, tool calls, 60 fillers) appear in the list, filters live in the URL,
 * pages follow the cursor, the detail shows the chat, attempts and raw JSON, sessions read as a
 * conversation.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, browserSkip, startDashboard, type Dashboard } from './helpers/browser.js';

interface Row {
  trace_id: string;
  id: string;
  status: string;
  user_id: string | null;
}

describe('traces, trace detail and sessions', { skip: browserSkip }, () => {
  let d: Dashboard;
  const chat = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${d.assay.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    await res.text();
    return res;
  };
  const listApi = async (query: string) => ((await (await d.assay.api(`/api/traces?${query}`)).json()) as { data: Row[] }).data;
  const rows = () => d.page.getByRole('table', { name: 'Traces' }).locator('tbody tr');
  const waitRows = (n: number) => d.page.waitForFunction(`document.querySelectorAll('table[aria-label="Traces"] tbody tr').length === ${n}`);

  before(async () => {
    d = await startDashboard({
      config: {
        routes: [
          { name: 'smart', targets: [{ model: 'up/gpt-4o-mini' }], fallbacks: ['up/gpt-4o'] },
          // The first target always fails: every call falls back (two attempts in the trace).
          { name: 'careful', targets: [{ model: 'up/fail-503' }], fallbacks: ['up/gpt-4o'] },
        ],
      },
    });
  });
  after(async () => {
    await d?.close();
  });

  test('a new user sees how to send a first request, with this host', async () => {
    await d.signIn();
    await d.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Traces' }).click();
    await d.page.getByRole('heading', { name: 'No traces yet' }).waitFor();
    const curl = await d.page.getByLabel('curl example').textContent();
    assert.ok(curl?.includes(`${d.assay.url}/v1/chat/completions`), curl ?? '');
    assert.ok(curl?.includes('$ASSAY_API_KEY'));
    assert.ok((await d.page.getByLabel('OpenAI SDK example').textContent())?.includes(`baseURL: '${d.assay.url}/v1'`));
    assert.equal(await d.page.getByRole('link', { name: 'Create a key' }).getAttribute('href'), '/keys');
  });

  test('calls through the gateway appear in Traces', async () => {
    for (let i = 0; i < 60; i++) await chat({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: `filler ${i}` }] });
    const session = { 'x-assay-session-id': 'conv-42', 'x-assay-user': 'alice' };
    await chat({ model: 'careful', messages: [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: 'What is the capital of France?' }] }, session);
    await chat(
      {
        model: 'smart',
        temperature: 0.2,
        messages: [
          { role: 'system', content: 'Answer briefly.' },
          { role: 'user', content: 'What is the capital of France?' },
          { role: 'assistant', content: 'Paris.' },
          { role: 'user', content: 'And of Italy?' },
        ],
      },
      session,
    );
    const failed = await chat({ model: 'up/fail-500', messages: [{ role: 'user', content: 'this one breaks' }] });
    assert.equal(failed.status, 500);
    await chat({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'tagged call' }] }, { 'x-assay-tags': 'beta,checkout' });
    await chat({
      model: 'up/tool-bot',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    await d.assay.flush();

    await d.page.getByRole('button', { name: '↻ Refresh' }).click();
    await rows().first().waitFor();
    assert.equal(await rows().count(), 50, 'one page of the default size');
    const top = rows().first();
    assert.match((await top.textContent()) ?? '', /up\/tool-bot/);
    await d.page.getByRole('table', { name: 'Traces' }).getByRole('cell', { name: 'beta checkout' }).waitFor();
    await d.page.getByRole('table', { name: 'Traces' }).getByText('error 500').waitFor();
    await d.screenshot('traces');
  });

  test('filters go into the URL; reload and back keep them', async () => {
    await d.page.getByLabel('Status', { exact: true }).selectOption('error');
    await d.page.waitForURL(/status=error/);
    await d.page.getByText('error 500').waitFor();
    // "error 500" is in the unfiltered list too: wait until the filtered page has replaced it.
    for (let i = 0; i < 100 && (await rows().count()) !== 1; i++) await d.page.waitForTimeout(50);
    assert.equal(await rows().count(), 1);
    assert.match((await rows().first().textContent()) ?? '', /up\/fail-500/);

    await d.page.reload();
    await d.page.getByText('error 500').waitFor();
    assert.equal(await d.page.getByLabel('Status', { exact: true }).inputValue(), 'error', 'the filter survives a reload');
    assert.equal(await rows().count(), 1);

    await d.page.getByRole('button', { name: 'Remove filter status: error' }).click();
    await d.page.getByLabel('User', { exact: true }).fill('alice');
    await d.page.getByRole('button', { name: 'Apply filters' }).click();
    await d.page.waitForURL((u) => u.searchParams.get('user') === 'alice' && !u.searchParams.has('status'));
    await d.page.getByRole('button', { name: 'Remove filter user: alice' }).waitFor();
    await waitRows(2);
    for (const text of await rows().allTextContents()) assert.match(text, /alice/);

    await d.page.goBack();
    await d.page.waitForURL((u) => !u.searchParams.has('user'));
    await d.page.goBack();
    await d.page.waitForURL(/status=error/);
    await waitRows(1);
    assert.equal(await d.page.getByLabel('Status', { exact: true }).inputValue(), 'error');

    // The time filter too.
    await d.open('/traces');
    await d.page.getByLabel('Time', { exact: true }).selectOption('1h');
    await d.page.waitForURL(/range=1h/);
    await rows().first().waitFor();
  });

  test('pages follow the server cursor', async () => {
    await d.open('/traces?limit=25');
    await rows().first().waitFor();
    assert.equal(await rows().count(), 25);
    const first = await rows().allTextContents();
    const links = () => d.page.locator('a.row-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const firstLinks = await links();
    await d.page.getByRole('button', { name: 'Next ›' }).click();
    await d.page.waitForURL(/cursor=/);
    await d.page.getByText('Page 2').waitFor();
    const second = await rows().allTextContents();
    assert.equal(second.length, 25);
    const secondLinks = await links();
    assert.equal(new Set([...firstLinks, ...secondLinks]).size, 50, 'page 2 shows 25 other traces');
    assert.notDeepEqual(second, first);
    await d.page.getByRole('button', { name: 'Next ›' }).click();
    await d.page.getByText('Page 3').waitFor();
    assert.equal(await rows().count(), 65 - 50, 'the last page has the rest');
    assert.equal(await d.page.getByRole('button', { name: 'Next ›' }).isDisabled(), true);
    await d.page.getByRole('button', { name: '‹ Previous' }).click();
    await d.page.getByText('Page 2').waitFor();
    await d.page.getByRole('button', { name: '‹ Previous' }).click();
    await d.page.getByText('Page 1').waitFor();
    assert.deepEqual(await rows().allTextContents(), first);
  });

  test('the detail shows the chat, the attempts, the cost and the raw JSON', async () => {
    const [call] = await listApi('user=alice&limit=1');
    await d.open('/traces?user=alice');
    await rows().first().waitFor();
    await rows().first().locator('td').first().click(); // a click anywhere on the row opens it
    await d.page.waitForURL(`**/traces/${call.trace_id}`);

    const input = d.page.getByRole('list', { name: 'Input messages' });
    await input.getByText('And of Italy?').waitFor();
    await input.getByText('Answer briefly.').waitFor();
    await d.page.getByRole('list', { name: 'Output' }).getByText('echo: And of Italy?').waitFor();
    await d.page.getByText('temperature', { exact: true }).waitFor();
    await d.page.getByRole('link', { name: 'conv-42' }).waitFor();

    const playground = d.page.getByRole('link', { name: 'Open in playground' });
    assert.equal(await playground.getAttribute('href'), `/playground?trace=${call.trace_id}&observation=${call.id}`);

    await d.page.locator('summary', { hasText: /^Raw JSON$/ }).click();
    await d.page.locator('details.json[open] pre', { hasText: `"id": "${call.id}"` }).waitFor();

    // The fallback call: two attempts listed, the first failed.
    const [fallback] = await listApi('route=careful&limit=1');
    await d.open(`/traces/${fallback.trace_id}`);
    const attempts = d.page.getByRole('table', { name: 'Attempts' });
    await attempts.getByText('up/fail-503').waitFor();
    await attempts.getByText('fallback').waitFor();
    assert.equal(await attempts.locator('tbody tr').count(), 2);
    const tree = d.page.getByRole('list', { name: 'Observation tree' });
    assert.equal(await tree.getByRole('button').count(), 3, 'root generation and two attempt spans');
    await tree.getByRole('button', { name: /attempt up\/fail-503/ }).click();
    await d.page.getByRole('alert').getByText('upstream says 503').waitFor();
    await d.page.keyboard.press('ArrowUp');
    await d.page.waitForURL((u) => u.searchParams.get('obs') === fallback.id);
    await d.screenshot('trace-detail');

    // Tool calls: the arguments pretty-printed, the tool definitions listed.
    const [tool] = await listApi('model=up/tool-bot&limit=1');
    await d.open(`/traces/${tool.trace_id}`);
    const args = d.page.getByLabel('Arguments of get_weather');
    await args.waitFor();
    assert.equal(await args.textContent(), JSON.stringify({ city: 'Paris' }, null, 2));
    await d.page.getByText('Tools (1)').waitFor();

    // A verified call: the verdict on the call, on the verify span and on each sample.
    const verified = await chat({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'Verify me' }], assay: { verify: { strategy: 'vote', samples: 3 } } });
    await d.assay.flush();
    await d.open(`/traces/${verified.headers.get('x-assay-trace-id')}`);
    const field = (label: string) => d.page.locator('dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]');
    await field('Verification').getByText('passed · vote · confidence 1 · 3 model calls').waitFor();
    await field('Verification').getByText('3 of 3 samples agree').waitFor();
    const vtree = d.page.getByRole('list', { name: 'Observation tree' });
    await vtree.getByRole('button', { name: /verify:vote/ }).click();
    await field('Verification').getByText(/^passed · vote · confidence 1/).waitFor();
    await vtree.getByRole('button', { name: /sample 2/ }).click();
    await field('Verification').getByText(/^pass/).waitFor();
  });

  test('an unknown trace is a message, not a blank page', async () => {
    await d.open('/traces/not-a-trace');
    await d.page.getByRole('heading', { name: 'Trace not found' }).waitFor();
  });

  test('sessions: the list, and one session as a conversation', async () => {
    await d.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click();
    const table = d.page.getByRole('table', { name: 'Sessions' });
    await table.getByRole('link', { name: 'conv-42' }).click();
    await d.page.waitForURL('**/sessions/conv-42');
    const conv = d.page.getByRole('list', { name: 'Traces of this session, oldest first' });
    await conv.getByText('echo: And of Italy?').waitFor();
    const turns = conv.locator(':scope > li');
    assert.equal(await turns.count(), 2);
    assert.match((await turns.nth(0).textContent()) ?? '', /What is the capital of France\?.*echo: What is the capital of France\?/s);
    assert.match((await turns.nth(1).textContent()) ?? '', /And of Italy\?/);
    await d.screenshot('sessions');
    await turns.nth(1).getByRole('link', { name: /Open trace/ }).click();
    await d.page.getByRole('list', { name: 'Input messages' }).getByText('And of Italy?').waitFor();
  });

  test('an ingested agent trace: the tree, GenAI messages as chat, scores', async () => {
    const at = (ms: number) => new Date(Date.now() - 5_000 + ms).toISOString();
    const res = await d.assay.api('/api/public/ingestion', {
      method: 'POST',
      body: JSON.stringify({
        batch: [
          { id: 'e1', type: 'trace-create', timestamp: at(0), body: { id: 'agent-trace-1', name: 'support-agent', input: 'Where is my order?', output: 'It ships tomorrow.' } },
          { id: 'e2', type: 'span-create', timestamp: at(0), body: { id: 'plan', traceId: 'agent-trace-1', name: 'plan', startTime: at(0), endTime: at(900) } },
          {
            id: 'e3',
            type: 'generation-create',
            timestamp: at(10),
            body: {
              id: 'decide',
              traceId: 'agent-trace-1',
              parentObservationId: 'plan',
              name: 'decide',
              model: 'gpt-4o-mini',
              startTime: at(10),
              endTime: at(400),
              input: [{ role: 'user', parts: [{ type: 'text', content: 'Where is my order?' }] }],
              output: [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'lookup_order', arguments: { id: 123 } }] }],
              usage: { input: 120, output: 20 },
            },
          },
          { id: 'e4', type: 'score-create', timestamp: at(900), body: { id: 'sc1', traceId: 'agent-trace-1', name: 'helpfulness', value: 0.9 } },
        ],
      }),
    });
    assert.equal(res.status, 207);
    await d.open('/traces/agent-trace-1');
    const tree = d.page.getByRole('list', { name: 'Observation tree' });
    await tree.getByRole('button', { name: /plan/ }).waitFor();
    assert.equal(await tree.getByRole('button').count(), 3);
    await d.page.getByText('helpfulness').waitFor();
    await tree.getByRole('button', { name: /decide/ }).click();
    await d.page.getByRole('list', { name: 'Input messages' }).getByText('Where is my order?').waitFor();
    assert.equal(await d.page.getByLabel('Arguments of lookup_order').textContent(), JSON.stringify({ id: 123 }, null, 2));
    assert.equal(await d.page.getByRole('link', { name: 'Open in playground' }).count(), 0, 'not a gateway call');
  });
});
