import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { DEMO_ORGANIZATION, seedDemoAccounts, seedDemoDirectory } from '../../src/demo/accounts.js';
import { loadPopulation, silentProgress } from '../../src/generate/load.js';
import { generatePopulation } from '../../src/generate/population.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { freePort } from '../../bench/server.js';

/**
 * The browser apps against a real Carnet: a demo population (small), the demo accounts, the built apps
 * (dist/apps, `npm run build`), listening on a loopback port that is also its base URL (the SMART
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
export async function shot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const dir = process.env.CARNET_SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: options.fullPage ?? true });
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

export const OWN_DRUG = 'Metformine 500 mg (portail)';

/**
 * The portal tests' own data for the demo patient, written through the API (a current medication with a
 * pharmacy fill, a stopped one with its reason, glucose from two laboratories in two units), and data of
 * another person that must never show.
 */
export async function seedPortalFixtures(web: WebCarnet): Promise<{ otherDrug: string; nextRefill: Date; other: string }> {
  const ownDrug = OWN_DRUG;
  let nextRefill: Date;
  // A current medication for the demo patient and one for somebody else, through the public API.
  // Another person: not one of the demo patient's own source records, which the MPI links to her Person
  // and her token covers (docs/security.md, one person, one record).
  const links = (await web.t.request('GET', `/fhir/Patient/${web.patientId}/$mpi-links`)).body as { parameter?: { name: string; valueReference?: { reference: string } }[] };
  const own = new Set((links.parameter ?? []).filter((p) => p.name === 'patient').map((p) => p.valueReference?.reference.replace('Patient/', '')));
  const other = (await web.t.request('GET', '/fhir/Patient?_count=50')).body.entry.map((e: { resource: { id: string } }) => e.resource.id).find((id: string) => id !== web.patientId && !own.has(id));
  const otherDrug = 'Warfarine 5 mg (autre personne)';
  const now = new Date();
  const validity = { start: new Date(now.getTime() - 30 * 86_400_000).toISOString().slice(0, 10), end: new Date(now.getTime() + 300 * 86_400_000).toISOString().slice(0, 10) };
  for (const [patient, text] of [[web.patientId, ownDrug], [other, otherDrug]] as const) {
    const r = await web.t.request('POST', '/fhir/MedicationRequest', {
      body: {
        resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: `Patient/${patient}` },
        medicationCodeableConcept: { text }, authoredOn: validity.start, dosageInstruction: [{ text: '1 comprimé deux fois par jour' }],
        dispenseRequest: { validityPeriod: validity },
      },
    });
    assert.equal(r.status, 201, r.text);
  }
  // A fill of that medication at a pharmacy a week ago, and a medication stopped with its reason.
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000);
  for (const body of [
    {
      resourceType: 'MedicationDispense', status: 'completed', subject: { reference: `Patient/${web.patientId}` }, medicationCodeableConcept: { text: ownDrug },
      whenHandedOver: weekAgo.toISOString(), daysSupply: { value: 30, unit: 'jours', system: 'http://unitsofmeasure.org', code: 'd' },
      quantity: { value: 60, unit: 'comprimés' }, location: { display: 'Pharmacie du Portail' },
    },
    {
      resourceType: 'MedicationRequest', status: 'stopped', intent: 'order', subject: { reference: `Patient/${web.patientId}` }, medicationCodeableConcept: { text: 'Atorvastatine 20 mg (portail)' },
      authoredOn: '2025-01-10', statusReason: { text: 'Douleurs musculaires' }, dispenseRequest: { validityPeriod: { start: '2025-01-10', end: '2025-04-02' } },
    },
  ]) {
    const r = await web.t.request('POST', `/fhir/${body.resourceType}`, { body });
    assert.equal(r.status, 201, r.text);
  }
  nextRefill = new Date(weekAgo.getTime() + 30 * 86_400_000);
  // Glucose from two laboratories in two units (the older in µmol/L, converted to the newest's mmol/L), the newest high.
  // A LOINC code the generated population never uses: the demo patient's other source records (hers too,
  // person-wide) carry serum fasting glucose (14771-0) of their own.
  const glucose = (patient: string, date: string, value: number, unit: string, lab: string) => ({
    resourceType: 'Observation', status: 'final', subject: { reference: `Patient/${patient}` },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '14770-2', display: 'Fasting glucose [Moles/volume] in Capillary blood by Glucometer' }], text: 'Glycémie à jeun (portail)' },
    effectiveDateTime: date, performer: [{ display: lab }], valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
    referenceRange: [{ low: { value: unit === 'mmol/L' ? 4 : 4000, code: unit }, high: { value: unit === 'mmol/L' ? 6 : 6000, code: unit } }],
  });
  for (const body of [
    glucose(web.patientId, '2025-02-10T08:00:00-05:00', 5400, 'umol/L', 'Laboratoire Alpha'),
    glucose(web.patientId, '2026-01-15T08:00:00-05:00', 7.3, 'mmol/L', 'Laboratoire Bêta'),
    { ...glucose(other, '2026-01-20T08:00:00-05:00', 9.9, 'mmol/L', 'Laboratoire Alpha'), code: { text: 'Analyse d’une autre personne' } },
  ]) {
    const r = await web.t.request('POST', '/fhir/Observation', { body });
    assert.equal(r.status, 201, r.text);
  }
  return { otherDrug, nextRefill, other };
}
