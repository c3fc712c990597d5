import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Patient } from '@medplum/fhirtypes';
import { totp } from '../../src/auth/totp.js';
import { DEMO_TOTP_SECRET } from '../../src/demo/accounts.js';
import { consentFor } from '../../web/src/portail/consent.js';
import { signInAs, type WebCarnet } from './support.js';

/**
 * The workspace's browser tests: signing in as a demo professional (password, then the demo second
 * factor), and the fixtures they need — a consent that hides the demo patient's record from the demo
 * clinic (so its professionals see "something is hidden" and may break the glass), a pair of records the
 * MPI queues for review, and an HL7 v2 message the gateway keeps as a dead letter.
 */
export const PASSWORDS: Record<string, string> = {
  medecin: 'demo-physician-carnet', infirmiere: 'demo-nurse-carnet', pharmacien: 'demo-pharmacist-carnet',
  confidentialite: 'demo-privacy-officer-carnet', admin: 'demo-admin-carnet', patient: 'demo-patient-carnet',
};

/** Each code is accepted once per account: wait for the next 30-second step when one was just used. */
const lastStep = new Map<string, number>();

export async function signInClinic(page: Page, username: string): Promise<void> {
  await signInAs(page, username, PASSWORDS[username] as string);
  if (username === 'patient') return;
  await page.waitForSelector('#code');
  let step = Math.floor(Date.now() / 30_000);
  if (lastStep.get(username) === step) {
    await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - Date.now() + 200));
    step += 1;
  }
  lastStep.set(username, step);
  await page.fill('#code', totp(DEMO_TOTP_SECRET, new Date()));
  await page.locator('button[type=submit]').first().click();
}

/** A browser context signed in to the workspace as `username`, on the page the app opens first. */
export async function clinicContext(web: WebCarnet, username: string, viewport: { width: number; height: number }, path = '/clinique/'): Promise<{ context: BrowserContext; page: Page; token: () => string | undefined }> {
  const context = await web.browser.newContext({ viewport });
  const page = await context.newPage();
  let token: string | undefined;
  page.on('response', async (r) => {
    if (r.url().endsWith('/auth/token') && r.request().method() === 'POST' && r.ok()) token = ((await r.json()) as { access_token: string }).access_token;
  });
  await page.goto(`${web.origin}${path}`);
  await page.getByRole('button', { name: /Se connecter|Sign in/ }).first().click();
  await page.waitForURL(/\/auth\/authorize\?/);
  await signInClinic(page, username);
  await page.waitForURL((url) => url.pathname.startsWith('/clinique/') && !url.searchParams.has('code'));
  await page.getByRole('button', { name: /Se déconnecter|Sign out/ }).waitFor();
  return { context, page, token: () => token };
}

export interface ClinicFixtures {
  readonly patient: Patient;
  readonly name: string;
  readonly hiddenId: string;
  readonly hiddenName: string;
  readonly reviewPair: readonly [string, string];
}

export async function seedClinicFixtures(web: WebCarnet): Promise<ClinicFixtures> {
  const patient = (await web.t.request('GET', `/fhir/Patient/${web.patientId}`)).body as Patient;
  const name = [...(patient.name?.[0]?.given ?? []), patient.name?.[0]?.family].join(' ');
  // Another person whose record is hidden from the demo clinic by their consent.
  const created = await web.t.request('POST', '/fhir/Patient', {
    body: {
      resourceType: 'Patient', identifier: [{ system: 'urn:carnet:test:clinic', value: 'HID-1' }], name: [{ family: 'Bélanger-Côté', given: ['Éloïse'] }],
      gender: 'female', birthDate: '1984-07-19', managingOrganization: { reference: 'Organization/demo-clinic', display: 'Clinique démo Saint-Laurent' },
    },
  });
  assert.equal(created.status, 201, created.text);
  const hiddenId = (created.body as Patient).id as string;
  const condition = await web.t.request('POST', '/fhir/Condition', {
    body: { resourceType: 'Condition', subject: { reference: `Patient/${hiddenId}` }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, code: { text: 'Asthme (test clinique)' } },
  });
  assert.equal(condition.status, 201, condition.text);
  const consent = await web.t.request('POST', '/fhir/Consent', { body: consentFor({ kind: 'hide-resource', resource: `Condition/${(condition.body as { id: string }).id}` }, `Patient/${hiddenId}`, new Date()) });
  assert.equal(consent.status, 201, consent.text);
  // The demo physician saw the demo patient three days ago ("Mes patients": a recent encounter, besides the demo care team).
  const seen = await web.t.request('POST', '/fhir/Encounter', {
    body: {
      resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: `Patient/${web.patientId}` },
      participant: [{ individual: { reference: 'Practitioner/demo-physician' } }], period: { start: new Date(Date.now() - 3 * 86_400_000).toISOString(), end: new Date(Date.now() - 3 * 86_400_000 + 1_800_000).toISOString() },
    },
  });
  assert.equal(seen.status, 201, seen.text);
  // Two records the MPI is not sure about (same names, birth days differ): one review item.
  const pair: string[] = [];
  for (const [system, value, birthDate] of [['urn:sys:review-a', 'RV-1', '1962-03-08'], ['urn:sys:review-b', 'RV-2', '1962-03-26']] as const) {
    const r = await web.t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', identifier: [{ system, value }], name: [{ family: 'Lachapelle', given: ['Huguette'] }], gender: 'female', birthDate } });
    assert.equal(r.status, 201, r.text);
    pair.push((r.body as Patient).id as string);
  }
  // An HL7 v2 message of an event the gateway does not take: kept as a dead letter.
  const hl7 = await web.t.carnet.server.inject({
    method: 'POST', url: '/hl7v2', headers: { 'content-type': 'x-application/hl7-v2+er7', authorization: `Bearer ${await web.t.systemToken()}` },
    payload: 'MSH|^~\\&|ADT|CHUM|CARNET|QC|20240305||ADT^A09^ADT_A09|WS-1|P|2.5.1\rPID|1||1^^^CHUM^MR\r',
  });
  assert.equal(hl7.statusCode, 400, hl7.body);
  return { patient, name, hiddenId, hiddenName: 'Éloïse Bélanger-Côté', reviewPair: [pair[0] as string, pair[1] as string] };
}

/** The phone the workspace is checked on (the 390×844). */
export const PHONE = { width: 390, height: 844 } as const;

/**
 * Every table on the page fits its column: nothing cut off, no sideways scrolling inside its region
 * (on a phone the workspace's tables become one card per row), and the page itself does not scroll sideways.
 * Answers what does not fit, so an assertion can say which.
 */
export async function tablesOverflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const wrong: string[] = [];
    if (document.documentElement.scrollWidth > window.innerWidth) wrong.push(`page ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
    for (const table of Array.from(document.querySelectorAll('table'))) {
      if (table.closest('details:not([open])')) continue;
      const box = table.parentElement as HTMLElement;
      const name = table.querySelector('caption')?.textContent ?? table.className;
      if (box.scrollWidth > box.clientWidth + 1) wrong.push(`${name}: ${box.scrollWidth} > ${box.clientWidth}`);
      const right = table.getBoundingClientRect().right;
      if (right > window.innerWidth + 1) wrong.push(`${name}: ends at ${right}`);
    }
    return wrong;
  });
}
