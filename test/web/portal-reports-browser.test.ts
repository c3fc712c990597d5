import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LOINC, V2_0074 } from '../../src/fhir/code-systems.js';
import { axeViolations, noChromium, seedPortalFixtures, shot, signInAs, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The portal's Rapports page in a real browser against a real Carnet with the demo population: the demo
 * patient's imaging report (its conclusion), discharge summary (its sections, from the XHTML narrative, as
 * text) and consultation note (a plain-text attachment), newest first; another person's report never
 * shows; axe-core finds nothing in French and English, on a phone and a desktop; no horizontal scrolling.
 */
describe('the portal’s Rapports page in a browser', { skip: noChromium }, () => {
  let web: WebCarnet;
  before(async () => {
    web = await startWebCarnet();
    const { other } = await seedPortalFixtures(web);
    const p = (id: string) => ({ reference: `Patient/${id}` });
    const note = 'Patiente vue pour essoufflement.\n\nPlan : échographie cardiaque dans 6 semaines.';
    for (const body of [
      { resourceType: 'DiagnosticReport', status: 'final', category: [{ coding: [{ system: V2_0074, code: 'RAD' }] }], code: { coding: [{ system: LOINC, code: '36643-5' }], text: 'Radiographie pulmonaire (portail)' },
        subject: p(web.patientId), effectiveDateTime: '2026-03-02T10:00:00-05:00', performer: [{ display: 'Clinique radiologique Portail' }], resultsInterpreter: [{ display: 'Dr Marc Gagnon' }],
        conclusion: 'Poumons clairs. Pas de signe d’insuffisance cardiaque.' },
      { resourceType: 'DiagnosticReport', status: 'final', category: [{ coding: [{ system: V2_0074, code: 'RAD' }] }], code: { text: 'Mammographie d’une autre personne' },
        subject: p(other), effectiveDateTime: '2026-03-03T10:00:00-05:00', conclusion: 'Texte d’une autre personne.' },
      { resourceType: 'Composition', status: 'final', type: { coding: [{ system: LOINC, code: '18842-5' }], text: 'Résumé de départ' }, subject: p(web.patientId), date: '2025-11-20T15:00:00-05:00',
        author: [{ display: 'Dre Anne Roy' }], title: 'Résumé de départ — Hôpital du Portail', custodian: { display: 'Hôpital du Portail' },
        section: [{ title: 'Motif d’admission', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Pneumonie <b>communautaire</b>.</p></div>' } },
          { title: 'Suivi', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Revoir le médecin de famille dans 2 semaines.</p></div>' } }] },
      { resourceType: 'DocumentReference', status: 'current', type: { coding: [{ system: LOINC, code: '11488-4' }] }, subject: p(web.patientId), date: '2026-04-10T14:00:00-04:00',
        author: [{ display: 'Dr Paul Côté' }], description: 'Consultation en cardiologie (portail)',
        content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(note, 'utf8').toString('base64') } }] },
    ]) {
      const r = await web.t.request('POST', `/fhir/${body.resourceType}`, { body });
      assert.equal(r.status, 201, r.text);
    }
  });
  after(async () => {
    await web?.close();
  });

  test('imaging, discharge summaries and consultation notes with their text; nobody else’s; axe in fr and en, phone and desktop', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0], locale: 'fr-CA' });
    const page = await context.newPage();
    await page.goto(`${web.origin}/portail/rapports`);
    await signInAs(page, 'patient', 'demo-patient-carnet');
    await page.waitForURL(`${web.origin}/portail/rapports`);
    await page.getByRole('heading', { name: 'Rapports', level: 1 }).waitFor();

    const imaging = page.getByRole('region', { name: 'Imagerie médicale' });
    const xray = imaging.getByRole('article', { name: 'Radiographie pulmonaire (portail)' });
    await xray.waitFor();
    assert.match(await xray.innerText(), /Poumons clairs\. Pas de signe d’insuffisance cardiaque\./);
    assert.match(await xray.innerText(), /2 mars 2026 — par Dr Marc Gagnon — Clinique radiologique Portail/);
    assert.equal(await page.getByText('Mammographie d’une autre personne').count(), 0, 'another person’s report never shows');
    assert.equal(await page.getByText('Texte d’une autre personne.').count(), 0);

    const discharge = page.getByRole('region', { name: 'Résumés de départ (hospitalisations)' }).getByRole('article', { name: 'Résumé de départ — Hôpital du Portail' });
    await discharge.getByRole('heading', { name: 'Motif d’admission' }).waitFor();
    await discharge.getByText('Pneumonie communautaire.').waitFor();
    await discharge.getByText('Revoir le médecin de famille dans 2 semaines.').waitFor();

    const consult = page.getByRole('region', { name: 'Notes de consultation' }).getByRole('article', { name: 'Consultation en cardiologie (portail)' });
    await consult.getByText('Patiente vue pour essoufflement.').waitFor();
    await consult.getByText('Plan : échographie cardiaque dans 6 semaines.').waitFor();

    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling on a phone');
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, phone)');
    await shot(page, 'rapports-fr-phone');
    await page.setViewportSize(VIEWPORTS[1]);
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, desktop)');
    await shot(page, 'rapports-fr-desktop');

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await page.getByRole('region', { name: 'Medical imaging' }).getByRole('article', { name: 'Radiographie pulmonaire (portail)' }).waitFor();
    await page.getByRole('link', { name: 'Reports' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe (en, desktop)');
    await shot(page, 'rapports-en-desktop');
    await page.setViewportSize(VIEWPORTS[0]);
    assert.deepEqual(await axeViolations(page), [], 'axe (en, phone)');
    await shot(page, 'rapports-en-phone');
    await context.close();
  });
});
