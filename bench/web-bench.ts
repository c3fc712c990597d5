#!/usr/bin/env node
/**
 * `npm run bench:web`: the portal measured in Chromium (Debian's /usr/bin/chromium, headless) against a
 * real Carnet on the loopback (embedded PGlite, a generated demo population, the demo accounts):
 *
 *  - cold load of Accueil: a fresh browser context (empty cache) with the login session cookie, from
 *    navigation to /portail/ through the silent SMART sign-in (authorize → code → token) to the largest
 *    contentful paint and to the current medications shown (target LCP ≤ 1.5 s);
 *  - page changes: from a click in the navigation to the new page's data shown (target ≤ 300 ms);
 *  - initial JavaScript of the portal, gzip (target ≤ 250 KB): the scripts index.html loads;
 *  - the workspace (bench/web-workspace-bench.ts): patient search and the summary, end to end.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createCarnet } from '../src/app/app.js';
import { loadConfig } from '../src/config/config.js';
import { DEMO_ORGANIZATION, seedDemoAccounts, seedDemoDirectory } from '../src/demo/accounts.js';
import { loadPopulation } from '../src/generate/load.js';
import { generatePopulation } from '../src/generate/population.js';
import { WEB_DIR } from '../src/http/web-plugin.js';
import { openPGlite } from '../src/storage/pglite-database.js';
import { freePort } from './server.js';
import { summarize } from './stats.js';
import { benchWorkspace } from './web-workspace-bench.js';

const { values } = parseArgs({ options: { persons: { type: 'string', default: '30' }, runs: { type: 'string', default: '15' } } });
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The gzip size of the scripts the portal's index.html loads before anything else. */
async function initialJs(): Promise<{ files: string[]; gzip: number }> {
  const html = await readFile(join(WEB_DIR, 'portail', 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1] as string);
  let gzip = 0;
  for (const file of files) gzip += gzipSync(await readFile(join(WEB_DIR, file))).length;
  return { files, gzip };
}

/** The page's data is shown: no "Chargement…" status is left (each query shows one while it loads). */
async function loaded(page: Page): Promise<void> {
  await page.waitForFunction(() => ![...document.querySelectorAll('[role=status]')].some((e) => /Chargement/.test(e.textContent ?? '')));
}

async function main(): Promise<void> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = loadConfig({ CARNET_BASE_URL: origin, CARNET_BACKGROUND: 'off', LOG_LEVEL: 'warn', CARNET_DEMO: 'on', CARNET_DATA_DIR: 'memory://' });
  const carnet = await createCarnet(config, { db: await openPGlite('memory://'), log: pino({ level: 'warn' }) });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    process.stderr.write(`loading ${values.persons} persons …\n`);
    await seedDemoDirectory(carnet);
    await loadPopulation(carnet.ctx, generatePopulation({ persons: Number(values.persons), seed: 'bench-web', referenceDate: new Date().toISOString().slice(0, 10) }), undefined, Date.now, DEMO_ORGANIZATION);
    await seedDemoAccounts(carnet);
    await carnet.server.listen({ port, host: '127.0.0.1' });
    // One interactive sign-in; its session cookie makes every later load a silent SMART sign-in.
    const first = await browser.newContext({ viewport: { width: 375, height: 667 } });
    const login = await first.newPage();
    await login.goto(`${origin}/portail/`);
    await login.fill('#username', 'patient');
    await login.fill('#password', 'demo-patient-carnet');
    await login.locator('button[type=submit]').first().click();
    await login.getByRole('heading', { name: 'Médicaments actuels' }).waitFor();
    const cookies = await first.cookies();
    await first.close();

    const cold: number[] = [];
    const lcp: number[] = [];
    const changes: number[] = [];
    const fresh = async (): Promise<BrowserContext> => {
      const context = await browser.newContext({ viewport: { width: 375, height: 667 } });
      await context.addCookies(cookies);
      return context;
    };
    for (let i = 0; i < Number(values.runs); i++) {
      const context = await fresh();
      const page = await context.newPage();
      await page.addInitScript(() => {
        const w = window as unknown as { __lcp: number };
        w.__lcp = 0;
        new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__lcp = e.startTime; }).observe({ type: 'largest-contentful-paint', buffered: true });
      });
      const start = Date.now();
      await page.goto(`${origin}/portail/`);
      await page.waitForURL(`${origin}/portail/`);
      await page.locator('#meds-title').waitFor();
      await loaded(page);
      cold.push(Date.now() - start);
      // LCP of the final document (after the redirects), plus the time spent before it started.
      const navStart = await page.evaluate(() => performance.timeOrigin);
      const pageLcp = await page.evaluate(() => (window as unknown as { __lcp: number }).__lcp);
      lcp.push(navStart - start + pageLcp);
      for (const [link, title] of [['Résultats', 'Résultats'], ['Médicaments', 'Médicaments'], ['Santé', 'Santé'], ['Accueil', 'Accueil']] as const) {
        const t0 = Date.now();
        await page.getByRole('link', { name: link, exact: true }).click();
        await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
        await loaded(page);
        changes.push(Date.now() - t0);
      }
      await context.close();
    }
    const js = await initialJs();
    const workspace = await benchWorkspace(browser, origin, carnet, Number(values.runs));
    const f = (x: number) => x.toFixed(0);
    const c = summarize(cold);
    const l = summarize(lcp);
    const p = summarize(changes);
    console.log(`bench:web — ${values.runs} cold loads of Accueil (phone viewport, empty cache, silent SMART sign-in), ${values.persons} demo persons, Chromium headless`);
    console.log(`  LCP of Accueil (ms): p50 ${f(l.p50)} p95 ${f(l.p95)} max ${f(l.max)} (target ≤ 1500)`);
    console.log(`  Accueil with its data (ms): p50 ${f(c.p50)} p95 ${f(c.p95)} max ${f(c.max)}`);
    console.log(`  page changes to data shown (ms, ${p.count}): p50 ${f(p.p50)} p95 ${f(p.p95)} max ${f(p.max)} (target ≤ 300)`);
    console.log(`  initial JS of the portal: ${(js.gzip / 1024).toFixed(1)} KiB gzip in ${js.files.length} files (target ≤ 250 KB)`);
    const ws = workspace.search;
    const wm = workspace.summary;
    console.log(`  workspace patient search, click to grouped results (ms, ${ws.count}): p50 ${f(ws.p50)} p95 ${f(ws.p95)} max ${f(ws.max)} (target ≤ 150)`);
    console.log(`  workspace summary, click to the IPS shown (ms, ${wm.count}): p50 ${f(wm.p50)} p95 ${f(wm.p95)} max ${f(wm.max)}`);
  } finally {
    await browser.close();
    await carnet.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
