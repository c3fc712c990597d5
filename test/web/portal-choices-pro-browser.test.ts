import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle } from '@medplum/fhirtypes';
import { professionalToken, registerClient, REDIRECT } from '../support/auth.js';
import { axeViolations, noChromium, seedPortalFixtures, shot, signInAs, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * Mes choix, a choice about one professional (issue #19), in a real browser against a real Carnet with the
 * demo data: the demo patient hides her record from Dre Marie Tremblay (found by name in the directory),
 * the effect said before saving; the API then gives Dre Tremblay nothing while the clinic's nurse still
 * sees it (the consent engine, in SQL); withdrawing the choice restores it. axe-core: nothing, fr phone and
 * en desktop.
 */
describe('Mes choix: hiding the record from one professional', { skip: noChromium }, () => {
  let web: WebCarnet;
  let physician: string;
  let nurse: string;
  before(async () => {
    web = await startWebCarnet();
    await seedPortalFixtures(web);
    await registerClient(web.t, { id: 'test-app', name: 'Test app', kind: 'public', redirectUris: [REDIRECT], scope: 'openid fhirUser user/*.cruds' });
    // Accounts of their own for the demo clinic's physician and nurse (the same Practitioners as the demo's).
    physician = await professionalToken(web.t, 'tremblay2', 'physician', 'demo-physician', 'openid fhirUser user/*.rs');
    nurse = await professionalToken(web.t, 'roy2', 'nurse', 'demo-nurse', 'openid fhirUser user/*.rs');
  });
  after(async () => {
    await web?.close();
  });
  const seen = async (token: string) => ((await web.t.request('GET', `/fhir/Observation?patient=${web.patientId}&_count=100`, { token })).body as Bundle).entry?.length ?? 0;

  test('hidden from Dre Tremblay only, the effect said first; honoured by the API; withdrawn', async () => {
    const before = await seen(physician);
    assert.ok(before > 0, 'the physician sees the record before');
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0], locale: 'fr-CA' });
    const page = await context.newPage();
    await page.goto(`${web.origin}/portail/choix`);
    await signInAs(page, 'patient', 'demo-patient-carnet');
    await page.getByRole('heading', { name: 'Mes choix', level: 1 }).waitFor();
    await page.getByRole('radio', { name: 'Cacher mon dossier à un professionnel' }).check();
    await page.getByText('Choisissez un professionnel.').waitFor();
    await page.getByLabel('Nom du professionnel').fill('Tremblay');
    await page.getByRole('button', { name: 'Chercher' }).click();
    await page.getByRole('radio', { name: 'Dre Marie Tremblay' }).check();
    await page.getByText('Dre Marie Tremblay ne verra plus rien de votre dossier lorsqu’il ou elle se connecte. Les autres professionnels, y compris ses collègues, le verront comme avant.').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, phone, professional chosen)');
    await shot(page, 'choix-professionnel-fr-phone', { fullPage: false });
    await page.getByRole('button', { name: 'Enregistrer ce choix' }).click();
    await page.getByText('Votre choix est enregistré. Il s’applique dès maintenant.').waitFor();
    await page.getByRole('heading', { name: 'Caché à : Dre Marie Tremblay' }).waitFor();

    assert.equal(await seen(physician), 0, 'Dre Tremblay’s next search returns nothing');
    assert.equal(await seen(nurse), before, 'the clinic’s nurse still sees it all');

    await page.setViewportSize(VIEWPORTS[1]);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Hidden from: Dre Marie Tremblay' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe (en, desktop)');
    await shot(page, 'choices-professional-en-desktop');
    await page.getByRole('button', { name: 'Withdraw this choice' }).or(page.getByRole('button', { name: /^Remove/ })).first().click();
    await page.getByRole('heading', { name: 'Hidden from: Dre Marie Tremblay' }).waitFor({ state: 'detached' });
    assert.equal(await seen(physician), before, 'withdrawn: she sees it again');
    await context.close();
  });
});
