import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  CHROMIUM_PRESENT,
  CHROMIUM_REQUIRED,
  DEMO_STRATEGIES,
  TOKEN,
  admin,
  startDashboardHost,
  strategyReport,
} from './support.js';

// The dashboard in a real headless Chromium (Debian's package, driven by playwright-core) against
// a real host under demo traffic, in real time: the page, its stream and the admin routes it calls
// are the ones a user gets. With CI=true this runs and fails without /usr/bin/chromium.

const REPORTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'reports');
const run = CHROMIUM_REQUIRED || CHROMIUM_PRESENT;

describe.skipIf(!run)('the dashboard in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let url: string;
  let stop: () => Promise<void>;
  const consoleErrors: ConsoleMessage[] = [];
  const pageErrors: Error[] = [];

  beforeAll(async () => {
    ({ url, stop } = await startDashboardHost());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m);
    });
    page.on('pageerror', (e) => pageErrors.push(e));
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await stop?.();
  });

  /** Waits until the page has applied `n` stream events (the page counts them on its body). */
  const updates = (n: number) =>
    expect
      .poll(async () => Number(await page.getAttribute('body', 'data-updates')), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(n);
  const tile = (id: string) => page.locator(`.tile[data-strategy="${id}"]`);
  const confirm = async () => {
    await page.locator('#confirm[open]').waitFor();
    await page.click('#confirm-ok');
  };

  it('serves the page without the token, asks for it, and shows a tile per demo strategy once it is given', async () => {
    await page.goto(`${url}/plugins/dashboard/`);
    await expect.poll(() => page.textContent('#connection')).toBe('token needed');
    await page.fill('#token', TOKEN);
    await page.click('#token-save');
    for (const id of DEMO_STRATEGIES) await tile(id).and(page.locator('[data-rendered="true"]')).waitFor();
    // The token stays in the tab (sessionStorage) and never in a URL.
    expect(await page.evaluate("sessionStorage.getItem('dw-dashboard-token')")).toBe(TOKEN);
    expect(page.url()).not.toContain(TOKEN);
    expect(await tile('default').locator('.badge').textContent()).toBe('closed');
  });

  it('turns a tile open within 2 s of a trip through the admin API', async () => {
    await updates(3);
    const res = await admin(url, '/subsystems/resilience/actions/trip', {
      method: 'POST',
      body: { strategyId: 'breaker-consecutive', reason: 'browser test' },
    });
    expect(res.status).toBe(200);
    const started = Date.now();
    await tile('breaker-consecutive').and(page.locator('[data-state="open"]')).waitFor({ timeout: 2_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    // Worst first: the open circuit sorts ahead of the closed ones, and the event log names the operator.
    expect(await page.locator('.tile').first().getAttribute('data-strategy')).toBe('breaker-consecutive');
    await page.locator('#events li[data-origin="operator"]', { hasText: 'breaker-consecutive' }).first().waitFor();
  });

  it('writes a screenshot of the live page', async () => {
    await updates(8);
    // The test artifact (git-ignored) on every run; the README's image only with DW_WRITE_REPORTS=1,
    // so a test run leaves the working tree clean.
    const artifacts = join(REPORTS, 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    const path = join(artifacts, 'dashboard.png');
    await page.screenshot({ path });
    expect(statSync(path).size).toBeGreaterThan(10_000);
    if (process.env.DW_WRITE_REPORTS === '1') copyFileSync(path, join(REPORTS, 'dashboard.png'));
  });

  it('runs operator actions with the token, after a confirmation', async () => {
    await tile('default').locator('button[data-action="isolate"]').click();
    await page.click('#confirm-cancel');
    expect((await strategyReport(url, 'default')).state).toBe('closed');

    await tile('default').locator('button[data-action="isolate"]').click();
    await confirm();
    await tile('default').and(page.locator('[data-state="isolated"]')).waitFor({ timeout: 2_000 });
    expect((await strategyReport(url, 'default')).state).toBe('isolated');

    await tile('default').locator('button[data-action="reset"]').click();
    await confirm();
    await tile('default').and(page.locator('[data-state="closed"]')).waitFor({ timeout: 2_000 });

    await tile('bulkhead-semaphore').locator('button[data-action="limit"]').click();
    await page.fill('#confirm-limit', '7');
    await confirm();
    await expect.poll(async () => (await strategyReport(url, 'bulkhead-semaphore')).maxConcurrency).toBe(7);
  });

  it('fails the actions without the token, and says why', async () => {
    await page.click('#token-forget');
    await tile('default').locator('button[data-action="trip"]').click();
    await confirm();
    await expect.poll(() => page.textContent('#message')).toContain('401 ERR_UNAUTHORIZED');
    expect((await strategyReport(url, 'default')).state).toBe('closed');
  });

  it('logged no console error but the 401s of the two requests deliberately made without the token', () => {
    expect(pageErrors).toEqual([]);
    const unexpected = consoleErrors.filter(
      (m) =>
        !(
          m.text().includes('status of 401') &&
          ['/plugins/dashboard/events', '/subsystems/resilience/actions/trip'].includes(
            new URL(m.location().url).pathname,
          )
        ),
    );
    expect(unexpected.map((m) => `${m.text()} at ${m.location().url}`)).toEqual([]);
    expect(consoleErrors.length).toBeLessThanOrEqual(2);
  });
});
