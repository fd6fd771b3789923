/**
 * Browser tests: a real Assay server (fake OpenAI upstream, temp SQLite) serving the built
 * dashboard, driven by playwright-core in the system Chromium. The dashboard is built first when
 * packages/web/dist is missing or older than its sources.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_KEY, startAssay, type TestAssay } from '../../../assay/test/helpers/assay.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../assay/test/helpers/fake-openai.js';

export { ADMIN_KEY };
export const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.ASSAY_CHROMIUM ?? '/usr/bin/chromium';
export const browserSkip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set ASSAY_CHROMIUM)`;

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build the dashboard when its build is missing or stale (about a second). */
export function ensureBuilt(): void {
  const index = join(WEB_ROOT, 'dist/index.html');
  const sources = Math.max(newest(join(WEB_ROOT, 'src')), statSync(join(WEB_ROOT, 'index.html')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(process.execPath, [join(WEB_ROOT, '../../node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: WEB_ROOT, stdio: 'inherit' });
}

export interface Dashboard {
  assay: TestAssay;
  upstream: FakeOpenAI;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Navigate within the dashboard. */
  open(path: string): Promise<void>;
  signIn(key?: string): Promise<void>;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDashboard(opts: { config?: Record<string, unknown>; viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}): Promise<Dashboard> {
  ensureBuilt();
  const upstream = await startFakeOpenAI();
  const assay = await startAssay({
    providers: [{ id: 'up', type: 'openai', base_url: upstream.url, api_key: 'k', models: ['gpt-4o-mini', 'gpt-4o'] }],
    routes: [{ name: 'smart', targets: [{ model: 'up/gpt-4o-mini' }], fallbacks: ['up/gpt-4o'] }],
    ...opts.config,
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, colorScheme: opts.colorScheme ?? 'light', baseURL: assay.url });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return {
    assay,
    upstream,
    browser,
    context,
    page,
    open: async (path) => {
      await page.goto(path);
    },
    signIn: async (key = ADMIN_KEY) => {
      await page.goto('/');
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    },
    /** Saves docs/screenshots/<name>.png when ASSAY_SCREENSHOTS=1 (npm run screenshots). */
    screenshot: async (name) => {
      if (process.env.ASSAY_SCREENSHOTS !== '1') return;
      const dir = join(WEB_ROOT, '../../docs/screenshots');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, `${name}.png`) });
    },
    close: async () => {
      await browser.close().catch(() => undefined);
      await assay.stop();
      await upstream.close();
    },
  };
}
