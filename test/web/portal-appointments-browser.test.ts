import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { AVAILABILITY_URL, PUBLIC_BOOKING_URL } from '../../src/scheduling/schedule-facts.js';
import { axeViolations, noChromium, shot, signInAs, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The portal's Rendez-vous page in a real browser against a real Carnet with the demo population: the demo
 * patient's family doctor (a clinic of the test's own, open Mon–Fri from recurring availability, at most one
 * future appointment per patient) — find an opening, book it (hold then book) with the keyboard, a refusal
 * said in words (too many appointments) and focused, ten openings at a time with "more", move it, cancel it
 * with a reason; axe-core finds nothing in French and English, on a phone and a desktop; no horizontal
 * scrolling. The browser is a French-Canadian one (fr-CA) on a device set to Paris time.
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
    // A French-Canadian browser on a device set to another zone: the page still speaks Montréal time.
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0], locale: 'fr-CA', timezoneId: 'Europe/Paris' });
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
    await page.getByText(/^C’est réservé : votre rendez-vous est le .*\. Vous recevrez un rappel la veille\.$/).waitFor();
    const upcoming = page.getByRole('list', { name: 'À venir' });
    await upcoming.getByRole('heading', { name: label.replace('Réserver le ', '') }).waitFor();
    await shot(page, 'portal-appointments-booked-fr-phone');

    // Ten openings at a time; "more" shows ten more and takes the reader to the first of them.
    await search(page, montreal(5));
    const bookButtons = page.getByRole('button', { name: /^Réserver le / });
    assert.equal(await bookButtons.count(), 10);
    await page.getByRole('button', { name: 'Voir 10 plages de plus' }).click();
    await page.getByText('20 plages libres, les plus proches en premier.').waitFor();
    assert.equal(await bookButtons.count(), 20);
    const eleventh = (await bookButtons.nth(10).getAttribute('aria-label')) ?? '';
    assert.equal(await page.evaluate(() => document.activeElement?.querySelector('button')?.getAttribute('aria-label')), eleventh, 'the first new opening has the focus');

    // A second booking at this clinic is beyond its rule: said in words, brought into view and focused, nothing written.
    await bookButtons.nth(14).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'nombre maximal de rendez-vous' });
    await refusal.waitFor();
    assert.equal(await upcoming.getByRole('listitem').count(), 1);
    await page.waitForFunction(() => {
      const active = document.activeElement as HTMLElement | null;
      const box = active?.getBoundingClientRect();
      return active?.getAttribute('role') === 'alert' && box !== undefined && box.top >= 0 && box.bottom <= window.innerHeight;
    }, undefined, { timeout: 5000 });
    // What the person sees at that moment (the screen, not the page): the refusal, in view and focused.
    await shot(page, 'portal-appointments-refused-fr-phone', { fullPage: false });
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
    await past.getByText('Déplacé à un autre moment (voir le nouveau rendez-vous).').waitFor();
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

  test('a proxy books for the person they act for: whose record it is, said; the booking is that person’s, audited as the proxy’s', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0], locale: 'fr-CA' });
    const page = await context.newPage();
    await page.goto(`${web.origin}/portail/rendez-vous`);
    await signInAs(page, 'proxy', 'demo-proxy-carnet');
    // A proxy chooses on the login page whose record to open (the one they act for).
    const choose = page.getByRole('button', { name: 'Continuer' });
    await choose.or(page.getByRole('heading', { name: 'Rendez-vous', level: 1 })).first().waitFor();
    if (await choose.isVisible()) {
      await page.getByRole('radio').first().check();
      await choose.click();
    }
    await page.waitForURL(`${web.origin}/portail/rendez-vous`);
    const patient = (await web.t.request('GET', `/fhir/Patient/${web.patientId}`)).body as { name?: { given?: string[]; family?: string }[] };
    await page.getByText(new RegExp(`Dossier de\\s+${patient.name?.[0]?.given?.[0] ?? ''}`)).waitFor();
    await page.getByText('Votre médecin de famille : Dre Julie Lavoie').or(page.getByText(/médecin de famille : Dre Julie Lavoie/)).first().waitFor();
    await search(page, montreal(7));
    const first = page.getByRole('button', { name: /^Réserver le / }).first();
    const label = (await first.getAttribute('aria-label')) ?? '';
    await first.click();
    await page.getByText(/^C’est réservé : votre rendez-vous est le /).waitFor();
    await page.getByRole('list', { name: 'À venir' }).getByRole('heading', { name: label.replace('Réserver le ', '') }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'status', 'the confirmation has the focus (the list it was chosen from is gone)');
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, phone, proxy)');
    await shot(page, 'portal-appointments-proxy-fr-phone', { fullPage: false });

    const booked = (await web.t.request('GET', `/fhir/Appointment?patient=Patient/${web.patientId}&status=booked`)).body as { entry?: { resource: { id: string; participant: { actor?: { reference?: string } }[] } }[] };
    assert.equal(booked.entry?.length, 1, 'one booking, for the person the proxy acts for');
    const id = booked.entry?.[0]?.resource.id as string;
    const { rows } = await web.t.carnet.db.query<{ content: string }>('SELECT content FROM audit_event WHERE content LIKE $1 AND content LIKE $2', [`%Appointment/${id}%`, `%proxy for Patient/${web.patientId}%`]);
    assert.ok(rows.length >= 1, 'the booking is audited as the proxy’s');
    // Cancelled again through the page: the first test's rule (one upcoming appointment) stays as it was.
    await page.getByRole('list', { name: 'À venir' }).getByRole('button', { name: 'Annuler ce rendez-vous' }).click();
    await page.getByRole('button', { name: 'Confirmer l’annulation' }).click();
    await page.getByText('Vous n’avez aucun rendez-vous à venir.').waitFor();
    await context.close();
  });
});
