import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { AVAILABILITY_URL, PUBLIC_BOOKING_URL } from '../../src/scheduling/schedule-facts.js';
import { axeViolations, noChromium, shot, signInAs, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The portal's Rendez-vous page in a real browser against a real Carnet with the demo population: the demo
 * patient's family doctor (a clinic of the test's own, open Mon–Fri from recurring availability, at most one
 * future appointment per patient) — find an opening, book it (hold then book) with the keyboard, a refusal
 * said in words (too many appointments), move it, cancel it with a reason; axe-core finds nothing in
 * French and English, on a phone and a desktop; no horizontal scrolling.
 */
const CLINIC_RULES_URL = 'urn:carnet:extension:clinic-scheduling-rules';
const DAY = 86_400_000;
const montreal = (offset: number) => new Date(Date.now() + offset * DAY).toLocaleDateString('en-CA', { timeZone: 'America/Toronto' });

describe('the portal’s Rendez-vous page in a browser', { skip: noChromium }, () => {
  let web: WebCarnet;
  before(async () => {
    web = await startWebCarnet();
    const put = async (resource: { resourceType: string; id: string } & Record<string, unknown>) => {
      const r = await web.t.request('PUT', `/fhir/${resource.resourceType}/${resource.id}`, { body: resource });
      assert.ok(r.status < 300, r.text);
    };
    await put({ resourceType: 'Organization', id: 'gmf-portail', name: 'GMF du Portail', extension: [{ url: CLINIC_RULES_URL, extension: [{ url: 'maxFutureAppointments', valueInteger: 1 }] }] });
    await put({ resourceType: 'Practitioner', id: 'dre-portail', name: [{ family: 'Lavoie', given: ['Julie'], prefix: ['Dre'] }] });
    await put({ resourceType: 'PractitionerRole', id: 'role-portail', practitioner: { reference: 'Practitioner/dre-portail', display: 'Dre Julie Lavoie' }, organization: { reference: 'Organization/gmf-portail' } });
    const days = ['mon', 'tue', 'wed', 'thu', 'fri'].map((valueCode) => ({ url: 'daysOfWeek', valueCode }));
    await put({ resourceType: 'Schedule', id: 'sch-portail', active: true, actor: [{ reference: 'PractitionerRole/role-portail', display: 'Dre Julie Lavoie' }],
      extension: [{ url: PUBLIC_BOOKING_URL, valueBoolean: true }, { url: AVAILABILITY_URL, extension: [
        { url: 'availableTime', extension: [...days, { url: 'availableStartTime', valueTime: '08:00:00' }, { url: 'availableEndTime', valueTime: '16:00:00' }] },
        { url: 'visitMinutes', valuePositiveInt: 20 }] }] });
    const patient = (await web.t.request('GET', `/fhir/Patient/${web.patientId}`)).body;
    await put({ ...patient, generalPractitioner: [{ reference: 'PractitionerRole/role-portail', display: 'Dre Julie Lavoie' }] });
  });
  after(async () => {
    await web?.close();
  });

  const open = async (page: Page) => {
    await page.goto(`${web.origin}/portail/rendez-vous`);
    await signInAs(page, 'patient', 'demo-patient-carnet');
    await page.waitForURL(`${web.origin}/portail/rendez-vous`);
    await page.getByRole('heading', { name: 'Rendez-vous', level: 1 }).waitFor();
    await page.getByText('Votre médecin de famille : Dre Julie Lavoie').waitFor();
  };
  const search = async (page: Page, from: string, label = 'Du (date)', button = 'Chercher des plages libres') => {
    await page.getByLabel(label).fill(from);
    await page.getByRole('button', { name: button }).click();
    await page.getByText(/plages? libres?, l/).or(page.getByText(/open times?, the soonest/)).first().waitFor();
  };
  const noScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  test('find, book with the keyboard, a refusal in words, move, cancel with a reason; axe in fr and en, phone and desktop', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0] });
    const page = await context.newPage();
    await open(page);
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, phone, empty)');
    await search(page, montreal(4));
    await shot(page, 'portal-appointments-find-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, phone, openings)');
    assert.ok(await noScroll(page), 'no horizontal scrolling on a phone');

    // Booking with the keyboard: Tab to the first "Réserver" button, Enter.
    const first = page.getByRole('button', { name: /^Réserver le / }).first();
    const label = (await first.getAttribute('aria-label')) ?? '';
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => (document.activeElement?.getAttribute('aria-label') ?? '').startsWith('Réserver le '))) break;
    }
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), label, 'the first opening is reached with Tab');
    await page.keyboard.press('Enter');
    await page.getByText(/^C’est réservé : votre rendez-vous est le /).waitFor();
    const upcoming = page.getByRole('list', { name: 'À venir' });
    await upcoming.getByRole('heading', { name: label.replace('Réserver le ', '') }).waitFor();
    await shot(page, 'portal-appointments-booked-fr-phone');

    // A second booking at this clinic is beyond its rule: said in words, nothing written.
    await search(page, montreal(5));
    await page.getByRole('button', { name: /^Réserver le / }).first().click();
    await page.getByRole('alert').filter({ hasText: 'nombre maximal de rendez-vous' }).waitFor();
    assert.equal(await upcoming.getByRole('listitem').count(), 1);
    await shot(page, 'portal-appointments-refused-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, phone, refusal)');

    // Move it, then cancel it with a reason.
    await upcoming.getByRole('button', { name: 'Déplacer' }).click();
    await page.getByRole('heading', { name: /^Choisir une nouvelle plage/ }).waitFor();
    await search(page, montreal(6));
    await page.getByRole('button', { name: /^Déplacer le rendez-vous au / }).first().click();
    await page.getByText(/^C’est fait : votre rendez-vous est déplacé au /).waitFor();
    assert.equal(await upcoming.getByRole('listitem').count(), 1);
    await upcoming.getByRole('button', { name: 'Annuler ce rendez-vous' }).click();
    await page.getByLabel('Motif (facultatif, transmis à la clinique)').fill('Je vais mieux');
    await page.getByRole('button', { name: 'Confirmer l’annulation' }).click();
    await page.getByText(/est annulé\. La plage est libérée/).waitFor();
    await page.getByText('Vous n’avez aucun rendez-vous à venir.').waitFor();
    const past = page.getByRole('list', { name: 'Rendez-vous passés et annulés' });
    await past.getByText('Motif de l’annulation : Je vais mieux').waitFor();
    await shot(page, 'portal-appointments-cancelled-fr-phone');

    // English, then the desktop.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Appointments', level: 1 }).waitFor();
    await search(page, montreal(4), 'From (date)', 'Look for open times');
    assert.deepEqual(await axeViolations(page), [], 'axe (en, phone)');
    await shot(page, 'portal-appointments-find-en-phone');
    await page.setViewportSize(VIEWPORTS[1]);
    assert.deepEqual(await axeViolations(page), [], 'axe (en, desktop)');
    await shot(page, 'portal-appointments-en-desktop');
    await page.getByRole('button', { name: 'Français' }).click();
    await page.getByRole('heading', { name: 'Rendez-vous', level: 1 }).waitFor();
    await search(page, montreal(4));
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, desktop)');
    await shot(page, 'portal-appointments-fr-desktop');
    await context.close();
  });
});
