import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codeFlow, REDIRECT, registerClient } from '../support/auth.js';
import { axeViolations, noChromium, shot, signInAs, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The portal's Applications page in a real browser: the apps the demo patient has authorised (the portal
 * itself, marked as the one in use, and another app she allowed through the ordinary SMART flow), and
 * withdrawing the other one — the message takes the focus, and the app's token is refused by the API at
 * once; axe-core finds nothing in French and English, on a phone and a desktop.
 */
describe('the portal’s Applications page in a browser', { skip: noChromium }, () => {
  let web: WebCarnet;
  let appToken: string;
  before(async () => {
    web = await startWebCarnet();
    await registerClient(web.t, { id: 'appli-sante', name: 'Appli Santé+', kind: 'public', redirectUris: [REDIRECT], scope: 'openid fhirUser offline_access patient/*.rs' });
    const flow = await codeFlow(web.t, { username: 'patient', password: 'demo-patient-carnet', clientId: 'appli-sante', scope: 'openid fhirUser offline_access patient/*.rs', patient: web.patientId });
    assert.ok(flow.token, `the app's login: ${flow.status}`);
    appToken = flow.token.access_token;
    assert.equal((await web.t.request('GET', `/fhir/Patient/${web.patientId}`, { token: appToken })).status, 200);
  });
  after(async () => {
    await web?.close();
  });

  test('the authorised apps, the one in use marked; withdrawing another stops it at once; axe in fr and en, phone and desktop', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0], locale: 'fr-CA' });
    const page = await context.newPage();
    await page.goto(`${web.origin}/portail/applications`);
    await signInAs(page, 'patient', 'demo-patient-carnet');
    await page.waitForURL(`${web.origin}/portail/applications`);
    await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
    const list = page.getByRole('list', { name: 'Applications autorisées' });
    const other = list.getByRole('article', { name: 'Appli Santé+' });
    await other.getByText('Peut lire votre dossier.').waitFor();
    const portal = list.getByRole('article', { name: 'Mon carnet' });
    await portal.getByText(/Vous utilisez cette application en ce moment/).waitFor();
    assert.equal(await portal.getByRole('button').count(), 0, 'the app in use is stopped by signing out, not here');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling on a phone');
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, phone)');
    await shot(page, 'applications-fr-phone');

    await other.getByRole('button', { name: 'Retirer l’autorisation de Appli Santé+' }).click();
    await other.getByText('Appli Santé+ n’aura plus accès à votre dossier. Confirmer ?').waitFor();
    await other.getByRole('button', { name: 'Oui, retirer l’autorisation' }).dblclick();
    await page.getByText('C’est fait : Appli Santé+ n’a plus accès à votre dossier.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'status', 'the message has the focus');
    await list.getByRole('article', { name: 'Appli Santé+' }).waitFor({ state: 'detached' });
    assert.equal((await web.t.request('GET', `/fhir/Patient/${web.patientId}`, { token: appToken })).status, 401, 'the app is refused at once');
    await shot(page, 'applications-withdrawn-fr-phone', { fullPage: false });
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, phone, withdrawn)');

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
    await page.getByRole('list', { name: 'Authorised apps' }).getByRole('article', { name: 'Mon carnet' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe (en, phone)');
    await page.setViewportSize(VIEWPORTS[1]);
    assert.deepEqual(await axeViolations(page), [], 'axe (en, desktop)');
    await shot(page, 'applications-en-desktop');
    await page.getByRole('button', { name: 'Français' }).click();
    await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe (fr, desktop)');
    await shot(page, 'applications-fr-desktop');
    await context.close();
  });
});
