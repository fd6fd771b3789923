/** The shell in a real browser: sign in with a key (HttpOnly cookie), keys page, sign out, errors. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, browserSkip, startDashboard, type Dashboard } from './helpers/browser.js';

describe('dashboard shell', { skip: browserSkip }, () => {
  let d: Dashboard;
  before(async () => {
    d = await startDashboard();
  });
  after(async () => {
    await d?.close();
  });

  test('a wrong key is refused with the server’s message; the right one signs in with an HttpOnly cookie', async () => {
    await d.open('/');
    await d.page.getByLabel('API key').fill('sk-assay-wrong');
    await d.page.getByRole('button', { name: 'Sign in' }).click();
    await d.page.getByRole('alert').getByText('That key is not valid').waitFor();
    await d.screenshot('sign-in');

    await d.signIn();
    const cookies = await d.context.cookies();
    const session = cookies.find((c) => c.name === 'assay_session')!;
    assert.ok(session, 'session cookie set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.notEqual(session.value, ADMIN_KEY, 'the cookie is not the key');
    assert.equal(await d.page.evaluate('document.cookie'), '', 'not readable from scripts');
    assert.equal(await d.page.evaluate("JSON.stringify(localStorage).includes('sk-assay')"), false);
  });

  test('keys: create (shown once), then revoke', async () => {
    await d.page.getByRole('link', { name: 'Keys' }).click();
    await d.page.getByLabel('Name').fill('e2e-bot');
    await d.page.getByRole('button', { name: 'Create key' }).click();
    const shown = await d.page.getByTestId('new-key').textContent();
    assert.match(shown ?? '', /^sk-assay-/);
    const res = await fetch(`${d.assay.url}/v1/models`, { headers: { authorization: `Bearer ${shown}` } });
    assert.equal(res.status, 200, 'the new key works');
    await d.screenshot('keys');

    d.page.once('dialog', (dlg) => void dlg.accept());
    await d.page.getByRole('button', { name: 'Revoke key e2e-bot' }).click();
    await d.page.getByRole('button', { name: 'Revoke key e2e-bot' }).waitFor({ state: 'detached' });
    const after = await fetch(`${d.assay.url}/v1/models`, { headers: { authorization: `Bearer ${shown}` } });
    assert.equal(after.status, 401, 'the revoked key no longer works');
  });

  test('sign out ends the session on the server', async () => {
    const cookie = (await d.context.cookies()).find((c) => c.name === 'assay_session')!;
    await d.page.getByRole('button', { name: 'Sign out' }).click();
    await d.page.getByLabel('API key').waitFor();
    const res = await fetch(`${d.assay.url}/api/session`, { headers: { cookie: `assay_session=${cookie.value}` } });
    assert.equal(res.status, 401);
  });
});
