import type { Patient } from '@medplum/fhirtypes';
import type { Browser } from 'playwright-core';
import type { Carnet } from '../src/app/app.js';
import { totp } from '../src/auth/totp.js';
import { DEMO_TOTP_SECRET } from '../src/demo/accounts.js';
import { summarize } from './stats.js';

/**
 * The workspace's part of `npm run bench:web`: a physician signed in once (password and the demo second
 * factor), then for each run a patient search typed as a clinician would (the family name without its
 * accents, the given name), from the click on "Rechercher" to the grouped results shown (target p95 ≤
 * 150 ms), and the summary, from the click on the patient to the IPS shown.
 */
export interface WorkspaceFigures {
  readonly search: ReturnType<typeof summarize>;
  readonly summary: ReturnType<typeof summarize>;
}

const plain = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '');

export async function benchWorkspace(browser: Browser, origin: string, carnet: Carnet, runs: number): Promise<WorkspaceFigures> {
  const { rows } = await carnet.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Patient' AND NOT deleted ORDER BY rid LIMIT $1", [runs]);
  const patients = rows.map((r) => JSON.parse(r.content) as Patient).filter((p) => p.name?.[0]?.family && p.name[0].given?.[0]);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${origin}/clinique/`);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.fill('#username', 'medecin');
  await page.fill('#password', 'demo-physician-carnet');
  await page.locator('button[type=submit]').first().click();
  await page.fill('#code', totp(DEMO_TOTP_SECRET, new Date()));
  await page.locator('button[type=submit]').first().click();
  await page.getByRole('heading', { level: 1, name: 'Trouver un patient' }).waitFor();
  const search: number[] = [];
  const summary: number[] = [];
  for (let i = 0; i < runs; i++) {
    const patient = patients[i % patients.length] as Patient;
    await page.getByLabel('Nom de famille').fill(plain(patient.name?.[0]?.family ?? ''));
    await page.getByLabel('Prénom').fill(plain(patient.name?.[0]?.given?.[0] ?? ''));
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.locator('ol.results li').first().waitFor();
    search.push(Date.now() - t0);
    const t1 = Date.now();
    await page.locator('ol.results li h2 a').first().click();
    await page.locator('.summary-section h2').first().waitFor();
    summary.push(Date.now() - t1);
    await page.getByRole('link', { name: 'Patients', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Trouver un patient' }).waitFor();
  }
  await context.close();
  return { search: summarize(search), summary: summarize(summary) };
}
