import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { usingPostgres } from '../support/harness.js';
import { axeViolations, noChromium, shot, signInAs, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The landing page and the portal in a real browser against a real Carnet with the demo population: the
 * portal signs in as a SMART app through Carnet's authorization server, shows the demo patient's own data
 * and nobody else's, keeps tokens out of storage, and signs out by revoking its grant; axe-core finds no
 * violation on any page, in French and English, on a phone and a desktop.
 */
describe('the landing page and the portal in a browser', { skip: noChromium }, () => {
  let web: WebCarnet;
  let otherDrug: string;
  const ownDrug = 'Metformine 500 mg (portail)';
  before(async () => {
    web = await startWebCarnet();
    // A current medication for the demo patient and one for somebody else, through the public API.
    const other = (await web.t.request('GET', '/fhir/Patient?_count=50')).body.entry.map((e: { resource: { id: string } }) => e.resource.id).find((id: string) => id !== web.patientId);
    otherDrug = 'Warfarine 5 mg (autre personne)';
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
  });
  after(async () => {
    await web?.close();
  });

  test('the landing page: French first, English remembered, links to both apps, demo accounts in demo mode; no axe violation', async () => {
    for (const viewport of VIEWPORTS) {
      const context = await web.browser.newContext({ viewport });
      const page = await context.newPage();
      const response = await page.goto(`${web.origin}/`);
      const csp = response?.headers()['content-security-policy'] ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      await page.getByRole('heading', { level: 1 }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'fr-CA');
      assert.match(await page.locator('h1').innerText(), /votre dossier de santé partagé/);
      assert.equal(await page.getByRole('link', { name: 'Mon carnet' }).getAttribute('href'), '/portail/');
      assert.equal(await page.getByRole('link', { name: 'Espace clinique' }).getAttribute('href'), '/clinique/');
      if (!usingPostgres) await page.getByRole('heading', { name: 'Comptes de démonstration' }).waitFor();
      await shot(page, `landing-fr-${viewport.name}`);
      assert.deepEqual(await axeViolations(page), [], `axe on the landing page (fr, ${viewport.name})`);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling');
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Carnet — your shared health record' }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'en-CA');
      await page.reload();
      await page.getByRole('heading', { name: 'Carnet — your shared health record' }).waitFor();
      assert.equal(await page.title(), 'Carnet — your shared health record — Carnet', 'the choice is remembered');
      await shot(page, `landing-en-${viewport.name}`);
      assert.deepEqual(await axeViolations(page), [], `axe on the landing page (en, ${viewport.name})`);
      await context.close();
    }
  });

  test('the portal signs in through Carnet (code + PKCE), shows the person’s own data, keeps tokens in memory, signs out by revoking', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0] });
    const page = await context.newPage();
    let accessToken: string | undefined;
    page.on('response', async (r) => {
      if (r.url().endsWith('/auth/token') && r.request().method() === 'POST' && r.ok()) accessToken = ((await r.json()) as { access_token: string }).access_token;
    });
    await page.goto(`${web.origin}/portail/`);
    await page.waitForURL(/\/auth\/authorize\?/);
    const authorize = new URL(page.url());
    assert.equal(authorize.searchParams.get('client_id'), 'carnet-portail');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('ui_locales'), 'fr-CA', 'the login page opens in the person’s language');
    await signInAs(page, 'patient', 'demo-patient-carnet');
    await page.waitForURL(`${web.origin}/portail/`);
    const patient = (await web.t.request('GET', `/fhir/Patient/${web.patientId}`)).body;
    const name = [...(patient.name[0].given ?? []), patient.name[0].family].join(' ');
    await page.getByText(`Bonjour, ${name}`).waitFor();
    await page.getByRole('heading', { name: ownDrug }).waitFor();
    assert.equal(await page.getByText(otherDrug).count(), 0, 'nobody else’s medication');
    assert.match(await page.locator('header').innerText(), new RegExp(`Dossier de\\s+${name}`));
    assert.ok(!new URL(page.url()).searchParams.has('code'), 'the code is taken out of the address');
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
    assert.ok(accessToken, 'the token endpoint answered');
    assert.ok(!stored.includes(accessToken as string) && !/access_token|refresh_token/.test(stored), 'no token in web storage');
    const before = await fetch(`${web.origin}/fhir/Patient/${web.patientId}`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(before.status, 200);
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(`${web.origin}/`);
    const after = await fetch(`${web.origin}/fhir/Patient/${web.patientId}`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(after.status, 401, 'signing out revoked the grant');
    // The authorization server's session ended too: the portal asks for the password again.
    await page.goto(`${web.origin}/portail/`);
    await page.waitForSelector('#username');
    await context.close();
  });

  test('Accueil has no axe violation, in French and English, on a phone and a desktop', async () => {
    for (const viewport of VIEWPORTS) {
      const context = await web.browser.newContext({ viewport });
      const page: Page = await context.newPage();
      await page.goto(`${web.origin}/portail/`);
      await signInAs(page, 'patient', 'demo-patient-carnet');
      await page.getByRole('heading', { name: ownDrug }).waitFor();
      await shot(page, `accueil-fr-${viewport.name}`);
      assert.deepEqual(await axeViolations(page), [], `axe on Accueil (fr, ${viewport.name})`);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling');
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Current medications' }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'en-CA');
      await shot(page, `accueil-en-${viewport.name}`);
      assert.deepEqual(await axeViolations(page), [], `axe on Accueil (en, ${viewport.name})`);
      await context.close();
    }
  });
});
