import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totp } from '../../src/auth/totp.js';
import { DEMO_TOTP_SECRET } from '../../src/demo/accounts.js';
import { seedClinicFixtures, type ClinicFixtures } from './clinic-support.js';
import { focused, tabTo } from './keyboard.js';
import { noChromium, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The workspace without a pointer: sign in (password, second factor), find a patient, open their record,
 * break the glass, read their results' table — Tab, Enter and typing only, the focus visible at every stop.
 */
describe('the workspace with the keyboard only', { skip: noChromium }, () => {
  let web: WebCarnet;
  let fx: ClinicFixtures;
  before(async () => {
    web = await startWebCarnet();
    fx = await seedClinicFixtures(web);
  });
  after(async () => {
    await web?.close();
  });

  test('sign in, find a patient, break the glass, read the results — no pointer, focus always visible', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[1] });
    const page = await context.newPage();
    await page.goto(`${web.origin}/clinique/`);
    await page.getByRole('heading', { level: 1, name: 'Espace clinique' }).waitFor();
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Se connecter');
    await page.keyboard.press('Enter');
    // Carnet's login page: the username field has the focus.
    await page.waitForSelector('#username');
    assert.equal((await focused(page)).tag, 'INPUT');
    await page.keyboard.type('medecin');
    await page.keyboard.press('Tab');
    await page.keyboard.type('demo-physician-carnet');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#code');
    await page.keyboard.type(totp(DEMO_TOTP_SECRET, new Date()));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Trouver un patient' }).waitFor();

    // Find the patient: the fields in order, Enter submits.
    await tabTo(page, (f) => f.tag === 'INPUT' && f.text === 'Nom de famille');
    await page.keyboard.type('Belanger Cote');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).text, 'Prénom');
    await page.keyboard.type('Eloise');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: fx.hiddenName }).waitFor();
    await tabTo(page, (f) => f.tag === 'A' && f.text === fx.hiddenName);
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Identité du patient' }).waitFor();
    assert.equal((await focused(page)).tag, 'H1', 'the record’s heading has the focus');

    // Break the glass: the form takes the focus, the reason is typed, Enter on the button asks.
    await tabTo(page, (f) => f.tag === 'BUTTON' && /Accès d’urgence/.test(f.text));
    await page.keyboard.press('Enter');
    assert.equal((await focused(page)).tag, 'TEXTAREA', 'the reason has the focus');
    await page.keyboard.type('Patiente inconsciente, vérifier ses antécédents');
    await tabTo(page, (f) => f.tag === 'SELECT');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Ouvrir le dossier en urgence');
    await page.keyboard.press('Enter');
    await page.getByText(/Accès d’urgence actif jusqu’à/).waitFor();
    assert.match((await focused(page)).text, /Accès d’urgence actif/, 'the banner has the focus');
    await page.getByText('Asthme (test clinique)').waitFor();

    // The results tab, then a result's table.
    await tabTo(page, (f) => f.tag === 'A' && f.text === 'Résultats');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/resultats$/);
    assert.equal((await focused(page)).tag, 'H1');
    await context.close();
  });

  test('the demo patient’s results by keyboard: the table of an analyte opens with Enter', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0] });
    const page = await context.newPage();
    await page.goto(`${web.origin}/clinique/patient/${web.patientId}/resultats`);
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Se connecter');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#username');
    await page.keyboard.type('infirmiere');
    await page.keyboard.press('Tab');
    await page.keyboard.type('demo-nurse-carnet');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#code');
    await page.keyboard.type(totp(DEMO_TOTP_SECRET, new Date()));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/resultats$/);
    await page.locator('.analyte').first().waitFor();
    await tabTo(page, (f) => f.tag === 'SUMMARY');
    await page.keyboard.press('Enter');
    await page.locator('.analyte details[open] table').first().waitFor();
    await context.close();
  });
});
