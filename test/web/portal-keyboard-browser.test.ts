import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { focused, tabTo } from './keyboard.js';
import { noChromium, seedPortalFixtures, shot, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The portal without a pointer: from the landing page to the login form, signing in, reading a result's
 * table, making a consent choice and signing out, with the keyboard only (Tab, Shift+Tab, arrows, Enter,
 * Space) — and every element that takes the focus shows it.
 */
describe('the portal with the keyboard only', { skip: noChromium }, () => {
  let web: WebCarnet;
  before(async () => {
    web = await startWebCarnet();
    await seedPortalFixtures(web);
  });
  after(async () => {
    await web?.close();
  });

  test('sign in, read a result’s table, make a consent choice, sign out — no pointer, focus always visible', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0] });
    const page = await context.newPage();
    await page.goto(`${web.origin}/`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    const skip = await tabTo(page, () => true, { max: 1 });
    assert.equal(skip.text, 'Aller au contenu', 'the first stop is the skip link');
    await tabTo(page, (f) => f.tag === 'A' && f.text === 'Mon carnet');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#username');
    assert.equal((await focused(page)).tag, 'INPUT', 'the login form starts in its first field');
    await page.keyboard.type('patient');
    await page.keyboard.press('Tab');
    await page.keyboard.type('demo-patient-carnet');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${web.origin}/portail/`);
    await page.getByRole('heading', { name: 'Médicaments actuels' }).waitFor();

    await tabTo(page, (f) => f.tag === 'A' && f.text === 'Résultats');
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Glycémie à jeun (portail)', exact: true }).waitFor();
    assert.equal((await focused(page)).tag, 'H1', 'the new page’s heading has the focus');
    // The person's other source records bring analytes of their own: open tables until the fixture's.
    const table = page.getByRole('region', { name: 'Tableau des résultats : Glycémie à jeun (portail)' });
    for (let i = 0; i < 20 && !(await table.isVisible()); i++) {
      await tabTo(page, (f) => f.tag === 'SUMMARY');
      await page.keyboard.press('Enter');
      await page.waitForTimeout(100);
    }
    await table.waitFor();
    assert.equal(await table.locator('tbody tr').count(), 2);
    const region = await tabTo(page, (f) => f.tag === 'DIV');
    assert.equal(region.text.includes('Date'), true, 'the table’s scrolling region is a keyboard stop');
    await page.keyboard.press('ArrowRight');
    await shot(page, 'keyboard-resultats');

    await tabTo(page, (f) => f.tag === 'A' && f.text === 'Mes choix', { back: true });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Ajouter un choix' }).waitFor();
    const radio = await tabTo(page, (f) => f.type === 'radio');
    assert.equal(radio.checked, true, 'Tab enters the group on its chosen option');
    // Down to the last kind of choice (the radio group's order: web/src/portail/pages/Choix.tsx KINDS).
    for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowDown');
    const research = await focused(page);
    assert.equal(research.text, 'Refuser que mes données servent à la recherche');
    assert.equal(research.checked, true, 'the arrows choose');
    await page.getByText('Vos données ne serviront à aucun projet de recherche').waitFor();
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Enregistrer ce choix');
    await page.keyboard.press('Enter');
    await page.getByText('Votre choix est enregistré. Il s’applique dès maintenant.').waitFor();
    assert.equal((await focused(page)).text, 'Enregistrer ce choix', 'saving keeps the focus where it was');
    const consents = (await web.t.request('GET', `/fhir/Consent?patient=${web.patientId}&status=active`)).body;
    assert.equal(consents.total, 1);
    assert.equal(consents.entry[0].resource.scope.coding[0].code, 'research');
    await shot(page, 'keyboard-choix');

    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Se déconnecter', { back: true, max: 200 });
    await page.keyboard.press('Enter');
    await page.waitForURL(`${web.origin}/`);
    await context.close();
  });
});
