import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { axeViolations, noChromium, shot, signInAs, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The portal's switch between people (issue #19) in a real browser against a real Carnet with the demo
 * data: the demo parent (Sophie Demers) has her own record and acts for Léa (9) and Noah (15). She opens
 * her own, switches from the header to Léa's — every page then shows Léa's record and nothing of hers —
 * then to Noah's, which from 14 is his own: the pages say so (why, since when, what she still may do) and
 * show none of his results; his appointments page still works. axe-core finds nothing in French and
 * English, on a phone and a desktop; no horizontal scrolling on a phone.
 */
describe('the portal’s switch between the people one acts for', { skip: noChromium }, () => {
  let web: WebCarnet;
  before(async () => {
    web = await startWebCarnet();
  });
  after(async () => {
    await web?.close();
  });
  const noScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const switchTo = async (page: Page, name: string) => {
    await page.getByRole('button', { name: 'Changer de personne' }).click();
    await page.getByRole('button', { name: `Ouvrir le dossier de ${name}` }).click();
    await page.getByText(new RegExp(`Dossier de\\s+${name}`)).waitFor();
  };

  test('her own record, then Léa’s from the header, then Noah’s narrowed at 14 — said in words; axe fr/en, phone/desktop', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0], locale: 'fr-CA' });
    const page = await context.newPage();
    await page.goto(`${web.origin}/portail/resultats`);
    await signInAs(page, 'parent', 'demo-parent-carnet');
    // At sign-in Carnet's login page asks whose record (three people); she opens her own.
    await page.getByRole('radio', { name: /Sophie Demers/ }).check();
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.waitForURL(`${web.origin}/portail/resultats`);
    await page.getByText(/Dossier de\s+Sophie Demers/).waitFor();
    await page.getByText('(vous)').waitFor();
    await page.getByRole('heading', { name: 'Hémoglobine' }).waitFor();
    await page.getByText('128').first().waitFor();

    // The list of people: Léa (her child, 9) and Noah (15, limited access).
    await page.getByRole('button', { name: 'Changer de personne' }).click();
    assert.equal(await page.getByRole('button', { name: 'Changer de personne' }).getAttribute('aria-expanded'), 'true');
    await page.getByText(/votre enfant, 9 ans/).waitFor();
    await page.getByText(/votre enfant, 15 ans/).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, phone, list open)');
    assert.ok(await noScroll(page), 'no horizontal scrolling on a phone');
    await shot(page, 'personnes-liste-fr-phone', { fullPage: false });
    await page.getByRole('button', { name: 'Changer de personne' }).click();

    // Léa's record: the same page, now hers (her result, not her mother's).
    await switchTo(page, 'Léa Demers');
    assert.equal(new URL(page.url()).pathname, '/portail/resultats', 'the same page, for the person chosen');
    await page.getByRole('heading', { name: 'Hémoglobine' }).waitFor();
    await page.getByText('118').first().waitFor();
    assert.equal(await page.getByText('128').count(), 0, 'nothing of her mother’s record');
    await page.getByRole('link', { name: 'Santé' }).click();
    await page.getByText('RRO (rougeole, rubéole, oreillons)').first().waitFor();
    assert.equal(await page.evaluate(() => JSON.stringify(sessionStorage).includes('access_token')), false, 'no token in web storage after the switch');

    // Noah's: from 14 his own. Every clinical page says why, since when and what she may still do.
    await switchTo(page, 'Noah Demers');
    await page.getByRole('link', { name: 'Résultats' }).click();
    await page.getByRole('heading', { name: 'Le dossier de Noah Demers lui appartient maintenant' }).waitFor();
    await page.getByText(/Depuis ses 14 ans, le .+, Noah Demers décide qui peut voir son dossier de santé\./).waitFor();
    await page.getByText(/Au Québec, à partir de 14 ans/).waitFor();
    assert.equal(await page.getByText('Ferritine').count(), 0, 'none of his results');
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, phone, narrowed)');
    assert.ok(await noScroll(page));
    await shot(page, 'personnes-limite-fr-phone', { fullPage: false });
    await page.getByRole('link', { name: 'Voir les rendez-vous de Noah Demers' }).click();
    await page.getByRole('heading', { name: 'Rendez-vous', level: 1 }).waitFor();
    await page.getByText(/Dossier de\s+Noah Demers/).waitFor();

    // English, desktop: the same words.
    await page.setViewportSize(VIEWPORTS[1]);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('link', { name: 'Home' }).click();
    await page.getByRole('heading', { name: 'Noah Demers’s record is now their own' }).waitFor();
    await page.getByText(/your child, 15 years old/).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe (en, desktop, narrowed)');
    await shot(page, 'personnes-limite-en-desktop', { fullPage: false });
    await page.getByRole('button', { name: 'Switch person' }).click();
    await page.getByText(/your child, 9 years old/).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe (en, desktop, list open)');
    await shot(page, 'personnes-liste-en-desktop', { fullPage: false });
    // Back to herself: her own record again.
    await page.getByRole('button', { name: 'Open Sophie Demers’s record' }).click();
    await page.getByText(/Record of\s+Sophie Demers/).waitFor();
    await page.getByRole('button', { name: 'Français' }).click();
    await page.getByText('(vous)').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, desktop)');
    await context.close();
  });
});
