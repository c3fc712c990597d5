import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DEMO_CLIENT_SECRET } from '../../src/config/config.js';
import { axeViolations, noChromium, OWN_DRUG, seedPortalFixtures, shot, signInAs, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The portal's record pages in a real browser: Santé (from the IPS), Qui a consulté mon dossier (the access
 * log, break-the-glass highlighted), Mes choix (a consent change the API then honours for a clinic's system,
 * written once on a double click, withdrawn), Télécharger ($everything and $summary as files); axe-core
 * finds no violation on them, in French and English, on a phone and a desktop.
 */
describe('the portal’s record pages in a browser', { skip: noChromium }, () => {
  let web: WebCarnet;
  let clinicToken: string;
  const clinicReads = async () => {
    // A search that returns the resources (a count alone names no patient in the audit trail).
    const r = await fetch(`${web.origin}/fhir/MedicationRequest?patient=${web.patientId}&_count=100`, { headers: { authorization: `Bearer ${clinicToken}` } });
    return { status: r.status, total: ((await r.json()) as { entry?: unknown[] }).entry?.length ?? 0 };
  };
  before(async () => {
    web = await startWebCarnet();
    await seedPortalFixtures(web);
    const p = `Patient/${web.patientId}`;
    for (const body of [
      { resourceType: 'Condition', subject: { reference: p }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, code: { text: 'Hypertension (portail)' }, onsetDateTime: '2019-05-01' },
      { resourceType: 'AllergyIntolerance', patient: { reference: p }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] }, code: { text: 'Pénicilline (portail)' }, criticality: 'high', reaction: [{ manifestation: [{ text: 'Urticaire' }] }] },
      { resourceType: 'Immunization', status: 'completed', patient: { reference: p }, vaccineCode: { text: 'Influenza (portail)' }, occurrenceDateTime: '2025-10-15', lotNumber: 'LOT-42' },
    ]) {
      const r = await web.t.request('POST', `/fhir/${body.resourceType}`, { body });
      assert.equal(r.status, 201, r.text);
    }
    // The demo clinic's system (consents apply to it) reads the record: an access the person sees.
    const token = await fetch(`${web.origin}/auth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`demo-system:${DEMO_CLIENT_SECRET}`).toString('base64')}` },
      body: 'grant_type=client_credentials&scope=system/*.rs',
    });
    clinicToken = ((await token.json()) as { access_token: string }).access_token;
    assert.ok(((await clinicReads()).total ?? 0) > 0, 'the clinic sees the medications before any choice');
  });
  after(async () => {
    await web?.close();
  });

  const signedIn = async (path: string, viewport: (typeof VIEWPORTS)[number] = VIEWPORTS[0]) => {
    const context = await web.browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${web.origin}${path}`);
    await signInAs(page, 'patient', 'demo-patient-carnet');
    await page.waitForURL(`${web.origin}${path}`);
    return { context, page };
  };

  test('Santé: problems, allergies (risk in words), vaccinations from the person’s IPS', async () => {
    const { context, page } = await signedIn('/portail/sante');
    const problems = page.getByRole('region', { name: 'Problèmes de santé actifs' });
    await problems.getByRole('heading', { name: 'Hypertension (portail)' }).waitFor();
    assert.match(await problems.innerText(), /Depuis le 1 mai 2019|Depuis le 1er mai 2019/);
    const allergies = page.getByRole('region', { name: 'Allergies et intolérances' });
    assert.match(await allergies.innerText(), /Pénicilline \(portail\)[\s\S]*Risque élevé[\s\S]*Réaction : Urticaire/);
    const vaccines = page.getByRole('region', { name: 'Vaccins' });
    assert.match(await vaccines.innerText(), /Influenza \(portail\)[\s\S]*Reçu le 15 octobre 2025[\s\S]*Lot : LOT-42/);
    await shot(page, 'sante-fr-phone');
    await context.close();
  });

  test('Qui a consulté: the clinic’s access with its organisation and what it read; the person’s own views set aside', async () => {
    const { context, page } = await signedIn('/portail/acces');
    const clinic = page.getByRole('listitem').filter({ hasText: 'Organisation : Clinique démo Saint-Laurent' }).first();
    await clinic.waitFor();
    assert.match(await clinic.innerText(), /Consulté : ordonnances/);
    assert.match(await clinic.innerText(), /Rôle : système informatique/);
    assert.match(String(await page.getByRole('status').first().textContent()), /accès affiché[s]?.*de vos propres consultations masquée?s?/);
    assert.equal(await page.getByRole('listitem').filter({ hasText: 'Rôle : la personne elle-même' }).count(), 0);
    await page.getByLabel('Inclure mes propres consultations').check();
    await page.getByRole('listitem').filter({ hasText: 'Rôle : la personne elle-même' }).first().waitFor();
    await page.getByLabel('Organisation', { exact: true }).selectOption({ label: 'Clinique démo Saint-Laurent' });
    assert.equal(await page.getByRole('listitem').filter({ hasText: 'Rôle : la personne elle-même' }).count(), 0, 'filtered by organisation');
    await shot(page, 'acces-fr-phone');
    await context.close();
  });

  test('Mes choix: excluding the clinic is explained first, written once on a double click, honoured by the API, then withdrawn', async () => {
    const { context, page } = await signedIn('/portail/choix', VIEWPORTS[1]);
    await page.getByRole('heading', { name: 'Vos choix en vigueur' }).waitFor();
    await page.getByText('Vous n’avez fait aucun choix').waitFor();
    await page.getByLabel('Exclure une organisation').check();
    await page.getByLabel('Nom de l’organisation').fill('Clinique démo');
    await page.getByRole('button', { name: 'Chercher' }).click();
    await page.getByLabel('Clinique démo Saint-Laurent').check();
    assert.match(await page.locator('.effect').innerText(), /Clinique démo Saint-Laurent ne verra plus rien de votre dossier/);
    await page.getByRole('button', { name: 'Enregistrer ce choix' }).dblclick();
    await page.getByText('Votre choix est enregistré. Il s’applique dès maintenant.').waitFor();
    await page.getByRole('heading', { name: 'Exclue : Clinique démo Saint-Laurent' }).waitFor();
    const consents = (await web.t.request('GET', `/fhir/Consent?patient=${web.patientId}&status=active`)).body;
    assert.equal(consents.total, 1, 'one Consent, whatever the double click');
    const hidden = await clinicReads();
    assert.equal(hidden.total ?? 0, 0, 'the clinic’s next read honours the choice');
    await shot(page, 'choix-fr-desktop');
    await page.getByRole('button', { name: 'Retirer ce choix' }).click();
    await page.getByText('Le choix est retiré. Il ne s’applique plus.').waitFor();
    await page.getByText('Vous n’avez fait aucun choix').waitFor();
    assert.ok(((await clinicReads()).total ?? 0) > 0, 'withdrawn: the clinic sees the record again');
    await context.close();
  });

  test('Télécharger: the whole record as a Bundle and as NDJSON, and the IPS', async () => {
    const { context, page } = await signedIn('/portail/telecharger');
    const take = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      return { name: download.suggestedFilename(), text: await readFile(await download.path(), 'utf8') };
    };
    const bundle = await take('Télécharger (Bundle FHIR, JSON)');
    assert.match(bundle.name, /^carnet-dossier-\d{4}-\d{2}-\d{2}\.json$/);
    const parsed = JSON.parse(bundle.text) as { resourceType: string; entry: { resource: { resourceType: string; id: string; medicationCodeableConcept?: { text?: string } } }[] };
    assert.equal(parsed.resourceType, 'Bundle');
    assert.ok(parsed.entry.some((e) => e.resource.resourceType === 'Patient' && e.resource.id === web.patientId));
    assert.ok(parsed.entry.some((e) => e.resource.medicationCodeableConcept?.text === OWN_DRUG));
    await page.getByText(/Le fichier carnet-dossier-.*\.json est téléchargé/).waitFor();
    const ndjson = await take('Télécharger (NDJSON, une ressource par ligne)');
    const lines = ndjson.text.trim().split('\n').map((l) => JSON.parse(l) as { resourceType: string });
    assert.equal(lines.length, parsed.entry.length);
    const ips = await take('Télécharger mon résumé (IPS, JSON)');
    const doc = JSON.parse(ips.text) as { type: string; entry: { resource: { resourceType: string } }[] };
    assert.equal(doc.type, 'document');
    assert.equal(doc.entry[0]?.resource.resourceType, 'Composition');
    await context.close();
  });

  test('no axe violation on Santé, Qui a consulté, Mes choix and Télécharger, in French and English, phone and desktop', async () => {
    const pages = [
      { path: '/portail/sante', ready: (p: Page) => p.getByRole('heading', { name: 'Hypertension (portail)' }) },
      { path: '/portail/acces', ready: (p: Page) => p.getByRole('listitem').first() },
      { path: '/portail/choix', ready: (p: Page) => p.locator('.effect') },
      { path: '/portail/telecharger', ready: (p: Page) => p.getByRole('button').nth(2) },
    ];
    for (const viewport of VIEWPORTS) {
      const { context, page } = await signedIn('/portail/', viewport);
      await page.getByRole('heading', { name: OWN_DRUG }).waitFor();
      for (const lang of ['fr', 'en']) {
        if (lang === 'en') await page.getByRole('button', { name: 'English' }).click();
        for (const target of pages) {
          await page.evaluate((path) => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }, target.path);
          await target.ready(page).waitFor();
          await shot(page, `${target.path.split('/').pop()}-${lang}-${viewport.name}`);
          assert.deepEqual(await axeViolations(page), [], `axe on ${target.path} (${lang}, ${viewport.name})`);
          assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `no horizontal scrolling on ${target.path}`);
        }
      }
      await context.close();
    }
  });
});
