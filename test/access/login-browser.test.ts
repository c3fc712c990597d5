import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { listenOnSocket, startTestCarnet, type TestCarnet } from '../support/harness.js';
import { createUser, PASSWORD, pkce, REDIRECT, seedDirectory, tokenRequest } from '../support/auth.js';

/**
 * The login flow in a real browser (the system's headless Chromium; no browser is downloaded): French
 * first, labels, focus, errors tied to their field, the language switch, approval, the redirect with a code.
 * Set CARNET_SCREENSHOTS=<dir> to keep screenshots of each page.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('login pages in a browser', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` }, () => {
  let t: TestCarnet;
  let browser: Browser;
  let origin: string;
  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    const patient = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Bouchard', given: ['Anaïs'] }] } })).body.id;
    await createUser(t, { username: 'anais', password: PASSWORD, displayName: 'Anaïs Bouchard', role: 'patient', fhirUser: `Patient/${patient}` });
    origin = await listenOnSocket(t);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('sign in: French first, accessible errors, English on request, approval, code', async () => {
    const page = await browser.newPage({ viewport: { width: 420, height: 860 } });
    const shots = process.env.CARNET_SCREENSHOTS;
    const shot = async (name: string) => { if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true }); };
    // The app's redirect URI does not exist here: the browser's request for it is what we watch for.
    let redirected: string | undefined;
    const { verifier, challenge } = pkce();
    const q = new URLSearchParams({ response_type: 'code', client_id: 'test-app', redirect_uri: REDIRECT, scope: 'openid fhirUser launch/patient patient/*.rs', state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256' });
    await page.goto(`${origin}/auth/authorize?${q}`);
    await shot('1-login-fr');
    assert.equal(await page.getAttribute('html', 'lang'), 'fr-CA');
    assert.equal(await page.title(), 'Connexion à Carnet — Carnet');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'username', 'the first field has the focus');
    await page.getByLabel('Nom d’utilisateur').fill('anais');
    await page.getByLabel('Mot de passe').fill('wrong password!!');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await shot('2-login-error');
    const alert = page.getByRole('alert');
    assert.match(await alert.innerText(), /La connexion n’a pas réussi/);
    assert.equal(await page.getAttribute('#password', 'aria-invalid'), 'true');
    assert.match(String(await page.getAttribute('#password', 'aria-describedby')), /password-error/);
    assert.equal(await page.inputValue('#username'), 'anais', 'the username is kept');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password', 'focus goes to the field in error');
    await page.getByRole('link', { name: 'English' }).click();
    await shot('3-login-en');
    assert.equal(await page.getAttribute('html', 'lang'), 'en-CA');
    await page.getByLabel('Username').fill('anais');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shot('4-approve');
    assert.match(await page.locator('h1').innerText(), /Allow the application/);
    const [request] = await Promise.all([
      page.waitForEvent('request', (r) => r.url().startsWith(REDIRECT)),
      page.getByRole('button', { name: 'Allow' }).click(),
    ]);
    redirected = request.url();
    assert.ok(redirected, 'redirected to the app');
    const url = new URL(redirected as string);
    assert.equal(url.searchParams.get('state'), 'xyz');
    const token = await tokenRequest(t, { grant_type: 'authorization_code', code: url.searchParams.get('code') as string, redirect_uri: REDIRECT, client_id: 'test-app', code_verifier: verifier });
    assert.equal(token.statusCode, 200, token.body);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'carnet_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Lax', 'session cookie: HttpOnly, SameSite=Lax');
    await page.close();
  });
});
