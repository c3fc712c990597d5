import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { CLINIC_CLIENT_ID, ensurePortalClient, PORTAL_CLIENT_ID } from '../../src/auth/portal-client.js';
import { WEB_DIR } from '../../src/http/web-plugin.js';
import { acceptsGzip } from '../../src/http/static-site.js';
import { findClient } from '../../src/storage/auth-store.js';
import { startTestCarnet, usingPostgres, type TestCarnet } from '../support/harness.js';

/**
 * Carnet serves its browser apps itself (dist/apps, built by `npm run build`): pages revalidated on every
 * load under a strict Content-Security-Policy, hashed assets cached for a year, gzip, ETags, client-side
 * routes falling back to their app, JSON still at `/` for programs, the demo logins in demo mode only, and
 * the portal's public SMART client registered at startup.
 */
const built = existsSync(join(WEB_DIR, 'index.html'));

describe('serving the browser apps', { skip: built ? false : 'dist/apps is not built (npm run build)' }, () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(async () => {
    await t?.close();
  });
  const get = (url: string, headers: Record<string, string> = {}) => t.carnet.server.inject({ method: 'GET', url, headers });

  test('`/` is the landing page for a browser, under a strict CSP, and JSON for a program', async () => {
    const page = await get('/', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<div id="root"><\/div>/);
    const csp = String(page.headers['content-security-policy']);
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"]) assert.ok(csp.includes(directive), directive);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/, 'nothing inline, nothing from elsewhere');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(page.body, /https?:\/\//, 'every resource is self-hosted');
    const json = await get('/', { accept: 'application/json' });
    assert.deepEqual(JSON.parse(json.body), { name: 'Carnet', version: JSON.parse(json.body).version, fhir: 'http://carnet.test/fhir' });
  });

  test('hashed assets: cached for a year, gzip when accepted, ETag revalidation; unknown assets 404', async () => {
    const page = await get('/portail/', { accept: 'text/html' });
    const scripts = [...page.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(scripts.some((s) => s.endsWith('.js')), 'the portal page loads its script from /assets/');
    const asset = scripts.find((s) => s.endsWith('.js')) as string;
    const plain = await get(asset);
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(plain.headers['content-type']), /^text\/javascript/);
    assert.equal(plain.headers['content-encoding'], undefined);
    const zipped = await get(asset, { 'accept-encoding': 'gzip, br' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(zipped.rawPayload).toString(), plain.body);
    const again = await get(asset, { 'if-none-match': String(plain.headers.etag) });
    assert.equal(again.statusCode, 304);
    assert.equal((await get('/assets/nothing-here.js')).statusCode, 404);
    assert.equal((await get('/assets/../../package.json')).statusCode, 404);
  });

  test('client-side routes fall back to their app; the apps’ pages are revalidated', async () => {
    for (const url of ['/portail', '/portail/', '/portail/resultats', '/clinique/', '/clinique/patients/x']) {
      const r = await get(url, { accept: 'text/html' });
      assert.equal(r.statusCode, 200, url);
      assert.match(String(r.headers['content-type']), /^text\/html/, url);
      assert.equal(r.headers['cache-control'], 'no-cache', url);
    }
    assert.notEqual((await get('/portail/x')).body, (await get('/clinique/x')).body, 'each app its own page');
    assert.equal((await get('/favicon.svg')).statusCode, 200);
    assert.ok(readdirSync(join(WEB_DIR, 'assets')).length > 0);
  });

  test('the demo logins are listed in demo mode on the embedded database only', async () => {
    const listed = await get('/demo/logins');
    if (usingPostgres) {
      assert.equal(listed.statusCode, 404);
    } else {
      assert.equal(listed.statusCode, 200);
      const body = JSON.parse(listed.body) as { logins: { username: string; role: string; password: string }[]; totpCode: string };
      assert.ok(body.logins.some((l) => l.username === 'patient' && l.role === 'patient' && l.password.length >= 12));
      for (const role of ['physician', 'nurse', 'pharmacist', 'privacy-officer', 'admin']) assert.ok(body.logins.some((l) => l.role === role), `a demo ${role}`);
      assert.match(body.totpCode, /^\d{6}$/, 'the demo second factor’s current code');
    }
    const production = await startTestCarnet({ env: { CARNET_DEMO: 'off', CARNET_SECRET: 'a-production-secret-of-at-least-32-characters' } });
    try {
      assert.equal((await production.carnet.server.inject({ method: 'GET', url: '/demo/logins' })).statusCode, 404);
    } finally {
      await production.close();
    }
  });

  test('the portal is a public SMART client registered at startup; its redirect URI follows the base URL', async () => {
    const client = await findClient(t.carnet.db, PORTAL_CLIENT_ID);
    assert.equal(client?.kind, 'public');
    assert.deepEqual(client?.redirectUris, ['http://carnet.test/portail/']);
    assert.ok(client?.scope.includes('launch/patient') && client.scope.includes('openid'));
    await ensurePortalClient(t.carnet.db, 'https://carnet.example.org/', new Date());
    assert.deepEqual((await findClient(t.carnet.db, PORTAL_CLIENT_ID))?.redirectUris, ['https://carnet.example.org/portail/']);
    await ensurePortalClient(t.carnet.db, 'http://carnet.test', new Date());
    assert.deepEqual((await findClient(t.carnet.db, PORTAL_CLIENT_ID))?.redirectUris, ['http://carnet.test/portail/']);
  });

  test('the workspace is a public SMART client too, with user/ scopes and its own redirect URI', async () => {
    const client = await findClient(t.carnet.db, CLINIC_CLIENT_ID);
    assert.equal(client?.kind, 'public');
    assert.equal(client?.trusted, true);
    assert.deepEqual(client?.redirectUris, ['http://carnet.test/clinique/']);
    assert.ok(client?.scope.includes('user/*.cruds') && !client.scope.includes('patient/'));
  });

  test('Accept-Encoding: gzip unless refused with q=0', () => {
    assert.equal(acceptsGzip('gzip, deflate, br'), true);
    assert.equal(acceptsGzip('br;q=1, gzip;q=0.5'), true);
    assert.equal(acceptsGzip('gzip;q=0'), false);
    assert.equal(acceptsGzip('*'), true);
    assert.equal(acceptsGzip(undefined), false);
    assert.equal(acceptsGzip('identity'), false);
  });
});
