import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { usingPostgres } from '../support/harness.js';
import { axeViolations, noChromium, OWN_DRUG as ownDrug, seedPortalFixtures, shot, signInAs, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The landing page and the portal in a real browser against a real Carnet with the demo population: the
 * portal signs in as a SMART app through Carnet's authorization server, shows the demo patient's own data
 * and nobody else's, keeps tokens out of storage, and signs out by revoking its grant; axe-core finds no
 * violation on any page, in French and English, on a phone and a desktop.
 */
describe('the landing page and the portal in a browser', { skip: noChromium }, () => {
  let web: WebCarnet;
  let otherDrug: string;
  let nextRefill: Date;
  before(async () => {
    web = await startWebCarnet();
    ({ otherDrug, nextRefill } = await seedPortalFixtures(web));
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

  test('Résultats: one analyte across laboratories in one unit, the flag and the range in words, a described chart and its table', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0] });
    const page = await context.newPage();
    await page.goto(`${web.origin}/portail/resultats`);
    await signInAs(page, 'patient', 'demo-patient-carnet');
    await page.waitForURL(`${web.origin}/portail/resultats`);
    const section = page.getByRole('region', { name: 'Glycémie à jeun (portail)', exact: true });
    await section.waitFor();
    assert.match(await section.innerText(), /7,3\s*mmol\/L/, 'µmol/L converted to the newest unit, French number format');
    assert.match(await section.innerText(), /Plus élevé que l’habituel/, 'the flag in words');
    assert.match(await section.innerText(), /Valeur habituelle : entre 4 et 6 mmol\/L/, 'the range in plain words');
    const chart = section.getByRole('img', { name: /Évolution : Glycémie à jeun/ });
    await chart.waitFor();
    assert.match(String(await chart.locator('desc').textContent()), /2 résultats du 10 février 2025 au 15 janvier 2026/);
    await section.getByText('Tous les résultats de cette analyse (tableau)').click();
    const rows = await section.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 2);
    assert.match(rows[0] as string, /15 janv\. 2026.*7,3 mmol\/L.*Plus élevé.*Laboratoire Bêta/s);
    assert.match(rows[1] as string, /10 févr\. 2025.*5,4 mmol\/L.*Dans les valeurs habituelles.*Laboratoire Alpha/s);
    assert.equal(await page.getByText('Analyse d’une autre personne').count(), 0, 'nobody else’s results');
    assert.equal(await page.getByRole('link', { name: 'Résultats' }).getAttribute('aria-current'), 'page');
    await shot(page, 'resultats-fr-phone');
    // Moving to Accueil by the navigation: the new page's heading takes the focus.
    await page.getByRole('link', { name: 'Accueil' }).click();
    await page.getByRole('heading', { name: ownDrug }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1');
    await context.close();
  });

  test('Médicaments: current and past by drug, where it was dispensed, the next refill, the reason for a stop', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[1] });
    const page = await context.newPage();
    await page.goto(`${web.origin}/portail/medicaments`);
    await signInAs(page, 'patient', 'demo-patient-carnet');
    const current = page.getByRole('region', { name: 'Médicaments actuels' });
    const own = current.getByRole('listitem').filter({ has: page.getByRole('heading', { name: ownDrug }) });
    await own.waitFor();
    const text = await own.innerText();
    assert.match(text, /Posologie : 1 comprimé deux fois par jour/);
    assert.match(text, /Pharmacie : Pharmacie du Portail/);
    assert.match(text, /pour 30 jours/);
    const refill = new Intl.DateTimeFormat('fr-CA', { dateStyle: 'long', timeZone: 'UTC' }).format(nextRefill);
    assert.match(text, new RegExp(`Prochain renouvellement prévu vers le ${refill}`));
    const past = page.getByRole('region', { name: 'Médicaments antérieurs' });
    const stopped = past.getByRole('listitem').filter({ has: page.getByRole('heading', { name: /Atorvastatine 20 mg \(portail\)/ }) });
    assert.match(await stopped.innerText(), /Cessé le 2 avril 2025[\s\S]*Raison de l’arrêt : Douleurs musculaires/);
    assert.equal(await page.getByText(otherDrug).count(), 0, 'nobody else’s medication');
    await shot(page, 'medicaments-fr-desktop');
    await context.close();
  });

  test('every page has no axe violation, in French and English, on a phone and a desktop', async () => {
    const pages = [
      { path: '/portail/', ready: (p: Page, lang: string) => p.getByRole('heading', { name: lang === 'fr' ? 'Médicaments actuels' : 'Current medications' }), name: 'accueil' },
      { path: '/portail/resultats', ready: (p: Page) => p.getByRole('img', { name: /Glycémie à jeun|Fasting glucose/ }).first(), name: 'resultats' },
      { path: '/portail/medicaments', ready: (p: Page) => p.getByRole('heading', { name: /Atorvastatine 20 mg \(portail\)/ }), name: 'medicaments' },
    ];
    for (const viewport of VIEWPORTS) {
      const context = await web.browser.newContext({ viewport });
      const page: Page = await context.newPage();
      await page.goto(`${web.origin}/portail/`);
      await signInAs(page, 'patient', 'demo-patient-carnet');
      await page.getByRole('heading', { name: ownDrug }).waitFor();
      for (const lang of ['fr', 'en']) {
        for (const target of pages) {
          await page.evaluate((path) => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }, target.path);
          await target.ready(page, lang).waitFor();
          await page.locator('details').evaluateAll((all) => all.forEach((d) => d.setAttribute('open', '')));
          await shot(page, `${target.name}-${lang}-${viewport.name}`);
          assert.deepEqual(await axeViolations(page), [], `axe on ${target.path} (${lang}, ${viewport.name})`);
          assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `no horizontal scrolling on ${target.path}`);
        }
        if (lang === 'fr') {
          await page.getByRole('button', { name: 'English' }).click();
          await page.getByRole('heading', { name: 'Current medications' }).or(page.getByRole('heading', { name: 'Results', level: 1 })).first().waitFor();
          assert.equal(await page.getAttribute('html', 'lang'), 'en-CA');
        }
      }
      await context.close();
    }
  });
});
