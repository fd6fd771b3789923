/**
 * The whole loop a new user goes through, by clicks only: sign in, a request through the gateway,
 * find it in Traces, open it, replay it in the Playground, see the replay traced; then the quality
 * bar: a narrow laptop screen, dark mode, keyboard navigation.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, browserSkip, startDashboard, type Dashboard } from './helpers/browser.js';

describe('the whole loop in the browser', { skip: browserSkip }, () => {
  let d: Dashboard;
  before(async () => {
    d = await startDashboard();
  });
  after(async () => {
    await d?.close();
  });

  test('sign in → gateway call → Traces → detail → Open in playground → Send → the replay is traced', async () => {
    await d.signIn();
    const res = await fetch(`${d.assay.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', temperature: 0.3, messages: [{ role: 'user', content: 'the flow question' }] }),
    });
    assert.equal(res.status, 200);
    await d.assay.flush();

    await d.page.getByRole('link', { name: 'Traces', exact: true }).click();
    await d.page.getByRole('link', { name: 'chat.completions' }).first().click();
    await d.page.getByText('the flow question', { exact: true }).filter({ visible: true }).first().waitFor();
    await d.page.getByText('echo: the flow question', { exact: true }).filter({ visible: true }).first().waitFor();

    await d.page.getByRole('link', { name: 'Open in playground' }).click();
    await d.page.waitForURL(/\/playground\?trace=/);
    const before = d.upstream.requests.length;
    await d.page.getByRole('button', { name: 'Send' }).click();
    await d.page.getByText('echo: the flow question', { exact: true }).filter({ visible: true }).last().waitFor();
    const replay = d.upstream.requests.slice(before).find((r) => r.path === '/chat/completions' || r.path.endsWith('/chat/completions'))!;
    assert.equal(replay.body.temperature, 0.3, 'the replay carries the recorded parameters');
    assert.deepEqual(replay.body.messages, [{ role: 'user', content: 'the flow question' }]);

    await d.assay.flush();
    const list = (await (await d.assay.api('/api/traces?limit=5')).json()) as { data: unknown[] };
    assert.equal(list.data.length, 2, 'the replay is a second trace');
  });

  test('a narrow laptop screen: no page scrolls sideways, the navigation wraps', async () => {
    await d.page.setViewportSize({ width: 900, height: 700 });
    for (const path of ['/', '/traces', '/sessions', '/playground', '/models', '/keys', '/prompts', '/datasets', '/experiments']) {
      await d.open(path);
      await d.page.locator('main h1').first().waitFor();
      const overflow = await d.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.ok((overflow as number) <= 0, `${path} overflows by ${overflow}px at 900px`);
    }
    await d.page.setViewportSize({ width: 1280, height: 800 });
  });

  test('dark mode follows the system and the theme switch; text stays readable', async () => {
    await d.page.emulateMedia({ colorScheme: 'dark' });
    await d.open('/traces');
    await d.page.locator('main h1').first().waitFor();
    const colors = async () =>
      (await d.page.evaluate(`(() => { const s = getComputedStyle(document.body); return [s.backgroundColor, s.color]; })()`)) as [string, string];
    const lum = (rgb: string) => {
      const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    let [bg, fg] = await colors();
    assert.ok(lum(bg) < 60 && lum(fg) > 180, `dark: ${bg} / ${fg}`);
    await d.page.getByLabel('Theme').selectOption('light');
    [bg, fg] = await colors();
    assert.ok(lum(bg) > 200 && lum(fg) < 80, `light: ${bg} / ${fg}`);
    await d.page.getByLabel('Theme').selectOption('system');
    await d.page.emulateMedia({ colorScheme: 'light' });
  });

  test('keyboard: skip link, then Tab to a navigation link and Enter opens it', async () => {
    await d.open('/');
    await d.page.locator('main h1').first().waitFor();
    await d.page.keyboard.press('Tab');
    assert.equal(await d.page.evaluate('document.activeElement?.textContent'), 'Skip to content');
    let found = false;
    for (let i = 0; i < 10 && !found; i++) {
      await d.page.keyboard.press('Tab');
      found = (await d.page.evaluate('document.activeElement?.textContent')) === 'Sessions';
    }
    assert.ok(found, 'the Sessions link is reachable with Tab');
    await d.page.keyboard.press('Enter');
    await d.page.waitForURL(/\/sessions$/);
  });
});
