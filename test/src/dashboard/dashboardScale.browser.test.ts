import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { ResilienceServiceToken } from '@datawarehouse/sdk';
import { HostRuntime } from '@datawarehouse/host';
import { CHROMIUM, CHROMIUM_ARGS, CHROMIUM_PRESENT, CHROMIUM_REQUIRED } from './support.js';

// The page with 1,000 strategies: a slot per strategy, only those in view drawn, worst first,
// the filter. Loopback without a token (the default), so the page connects at once.

const run = CHROMIUM_REQUIRED || CHROMIUM_PRESENT;
const COUNT = 1000;
const ids = Array.from({ length: COUNT }, (_, i) => `strategy-${String(i).padStart(4, '0')}`);

describe.skipIf(!run)('the dashboard with 1,000 strategies in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let host: HostRuntime;
  const dir = mkdtempSync(join(tmpdir(), 'dw-dashboard-scale-'));
  const errors: string[] = [];

  beforeAll(async () => {
    const configPath = join(dir, 'dw.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        nodeId: 'scale',
        admin: { port: 0 },
        statusIntervalMs: 0,
        plugins: [
          {
            module: '@datawarehouse/plugin-ultimate-resilience',
            options: { builtinStrategies: false, strategies: ids.map((id) => ({ id })) },
          },
          { module: '@datawarehouse/plugin-dashboard' },
        ],
      }),
    );
    host = await HostRuntime.startAsync({ configPath, watchConfig: false });
    const service = host.kernel.resolve(ResilienceServiceToken);
    await Promise.all(ids.map((id) => service.executeWithResilience(id, async () => 1)));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${host.adminUrl}/plugins/dashboard/`);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await host?.stopAsync();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a slot per strategy and draws only the tiles in view', async () => {
    await expect.poll(() => page.locator('.tile').count(), { timeout: 10_000 }).toBe(COUNT);
    await page.locator('.tile[data-rendered="true"]').first().waitFor();
    const rendered = await page.locator('.tile[data-rendered="true"]').count();
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(100);
    expect(await page.locator('.tile .uplot').count()).toBeLessThanOrEqual(rendered);
    expect(await page.textContent('#count')).toBe(`${COUNT} of ${COUNT} strategies`);
  });

  it('puts a tripped strategy first (worst first), and draws a tile scrolled into view', async () => {
    const res = await fetch(`${host.adminUrl}/subsystems/resilience/actions/trip`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ strategyId: 'strategy-0777' }),
    });
    expect(res.status).toBe(200);
    await expect
      .poll(() => page.locator('.tile').first().getAttribute('data-strategy'), { timeout: 3_000 })
      .toBe('strategy-0777');
    await page.locator('.tile').first().and(page.locator('[data-state="open"]')).waitFor({ timeout: 3_000 });
    const last = page.locator('.tile').last();
    expect(await last.getAttribute('data-rendered')).toBeNull();
    await last.scrollIntoViewIfNeeded();
    await last.and(page.locator('[data-rendered="true"]')).waitFor({ timeout: 3_000 });
  });

  it('filters by name', async () => {
    await page.fill('#filter', 'strategy-012');
    await expect.poll(() => page.textContent('#count')).toBe(`10 of ${COUNT} strategies`);
    expect(await page.locator('.tile:visible').count()).toBe(10);
    await page.fill('#filter', '');
    await expect.poll(() => page.locator('.tile:visible').count()).toBe(COUNT);
    expect(errors).toEqual([]);
  });
});
