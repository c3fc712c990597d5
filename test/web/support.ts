import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { DEMO_ORGANIZATION, seedDemoAccounts, seedDemoDirectory } from '../../src/demo/accounts.js';
import { loadPopulation, silentProgress } from '../../src/generate/load.js';
import { generatePopulation } from '../../src/generate/population.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { freePort } from '../../bench/server.js';

/**
 * The browser apps against a real Carnet: a demo population (small), the demo accounts, the built apps
 * (dist/web, `npm run build`), listening on a loopback port that is also its base URL (the SMART
 * discovery and the redirect URI name it), driven by the system's Chromium (never a downloaded one).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const noChromium = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;

export const VIEWPORTS = [{ name: 'phone', width: 375, height: 667 }, { name: 'desktop', width: 1280, height: 800 }] as const;

export interface WebCarnet {
  readonly t: TestCarnet;
  readonly origin: string;
  readonly browser: Browser;
  /** The demo patient account's Patient id. */
  readonly patientId: string;
  close(): Promise<void>;
}

export async function startWebCarnet(persons = 4): Promise<WebCarnet> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const t = await startTestCarnet({ env: { CARNET_BASE_URL: origin, CARNET_DEMO: 'on' } });
  // What `carnet serve` does in demo mode (seedDemoIfEmpty), here on PostgreSQL too.
  await seedDemoDirectory(t.carnet);
  await loadPopulation(t.carnet.ctx, generatePopulation({ persons, seed: 'web' }), silentProgress, Date.now, DEMO_ORGANIZATION);
  const accounts = await seedDemoAccounts(t.carnet);
  const patientId = accounts?.find((a) => a.role === 'patient')?.who.split('/')[1];
  if (!patientId) throw new Error('the demo seeded no patient account');
  await t.carnet.server.listen({ port, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  return {
    t, origin, browser, patientId,
    async close() {
      await browser.close();
      await t.close();
    },
  };
}

/** Keeps a full-page screenshot when CARNET_SCREENSHOTS names a directory (docs/portal.md uses them). */
export async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.CARNET_SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}

/** axe-core's violations on the page (every rule it runs by default: WCAG 2.x A/AA and best practices). */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

/** Signs in on Carnet's login page (the portal redirected there). */
export async function signInAs(page: Page, username: string, password: string): Promise<void> {
  await page.waitForSelector('#username');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.locator('button[type=submit]').first().click();
}
