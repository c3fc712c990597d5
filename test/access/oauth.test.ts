import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import {
  admin, assertionToken, backendKey, clientSecretToken, codeFlow, createUser, PASSWORD, registerClient, seedDirectory, tokenRequest, type BackendKey,
} from '../support/auth.js';

/** The authorization server through its real endpoints: discovery, every grant, PKCE, refresh, revocation, keys. */
describe('OAuth 2.0 / OpenID Connect / SMART', () => {
  let t: TestCarnet;
  let patientId: string;
  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    const created = await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Côté', given: ['Éloïse'] }] } });
    patientId = created.body.id;
    await createUser(t, { username: 'eloise', password: PASSWORD, displayName: 'Éloïse Côté', role: 'patient', fhirUser: `Patient/${patientId}` });
  });
  after(() => t.close());

  test('discovery documents, the JWKS and the CapabilityStatement answer without a token', async () => {
    const oidc = await t.request('GET', '/.well-known/openid-configuration', { token: null });
    assert.equal(oidc.status, 200);
    assert.equal(oidc.body.issuer, 'http://carnet.test');
    assert.deepEqual(oidc.body.code_challenge_methods_supported, ['S256']);
    assert.ok(oidc.body.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
    const smart = await t.request('GET', '/fhir/.well-known/smart-configuration', { token: null });
    assert.equal(smart.status, 200);
    assert.ok(smart.body.capabilities.includes('permission-v2'));
    assert.equal(smart.body.token_endpoint, 'http://carnet.test/auth/token');
    const jwks = await t.request('GET', '/auth/jwks', { token: null });
    assert.ok(jwks.body.keys.length >= 1 && jwks.body.keys.every((k: { d?: string }) => k.d === undefined), 'public keys only');
    const metadata = await t.request('GET', '/fhir/metadata', { token: null });
    assert.equal(metadata.status, 200);
    assert.equal(metadata.body.rest[0].security.service[0].coding[0].code, 'SMART-on-FHIR');
  });

  test('deny by default: no token, a bad token, a route that does not fit the principal', async () => {
    const none = await t.request('GET', '/fhir/Patient', { token: null });
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Bearer realm="carnet"/);
    assert.equal(none.body.resourceType, 'OperationOutcome');
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token: 'eyJhbGciOiJub25lIn0.e30.' })).status, 401);
    const forged = (await t.systemToken()).slice(0, -4) + 'AAAA';
    assert.equal((await t.request('GET', '/fhir/Patient', { token: forged })).status, 401);
    assert.equal((await t.request('POST', '/hl7v2', { token: null, headers: { 'content-type': 'text/plain' }, body: 'MSH|' })).status, 401);
    const patient = await codeFlow(t, { username: 'eloise', password: PASSWORD, scope: 'launch/patient patient/*.rs' });
    const token = patient.token?.access_token as string;
    assert.equal((await t.request('POST', '/hl7v2', { token, headers: { 'content-type': 'text/plain' }, body: 'MSH|' })).status, 403);
    assert.equal((await t.request('GET', '/auth/admin/users', { token })).status, 403);
  });

  test('client credentials with a secret (basic and post), scopes bounded by the registration', async () => {
    await registerClient(t, { id: 'lab', name: 'Lab LIS', kind: 'confidential', secret: 'lab-secret-0123456789', scope: 'system/Observation.crs system/Patient.rs', organization: 'Organization/org-a' });
    const token = await clientSecretToken(t, 'lab', 'lab-secret-0123456789', 'system/*.cruds');
    assert.equal(decodeJwt(token).scope, 'system/Observation.crs system/Patient.rs', 'narrowed to what the registration allows');
    const post = await tokenRequest(t, { grant_type: 'client_credentials', client_id: 'lab', client_secret: 'lab-secret-0123456789', scope: 'system/Observation.rs' });
    assert.equal(post.statusCode, 200);
    assert.equal(post.json().scope, 'system/Observation.rs');
    assert.equal(post.headers['cache-control'], 'no-store');
    const wrong = await tokenRequest(t, { grant_type: 'client_credentials', client_id: 'lab', client_secret: 'nope', scope: 'system/Observation.rs' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error, 'invalid_client');
    const users = await tokenRequest(t, { grant_type: 'client_credentials', client_id: 'lab', client_secret: 'lab-secret-0123456789', scope: 'user/*.rs' });
    assert.equal(users.json().error, 'invalid_scope');
    const labToken = post.json().access_token;
    assert.equal((await t.request('GET', '/fhir/Condition', { token: labToken })).status, 403, 'no scope for Condition');
    assert.equal((await t.request('GET', '/fhir/Observation', { token: labToken })).status, 200);
  });

  test('SMART Backend Services: private_key_jwt with a registered JWKS; replayed, misaddressed and long-lived assertions are refused', async () => {
    const key = await backendKey('k1');
    await registerClient(t, { id: 'emr', name: 'Clinic EMR', kind: 'backend', jwks: { keys: [key.jwk] }, scope: 'system/*.rs', organization: 'Organization/org-a' });
    const ok = await assertionToken(t, 'emr', key, 'system/Patient.rs');
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().scope, 'system/Patient.rs');
    assert.equal(ok.json().expires_in, 300);
    const replay = await assertionToken(t, 'emr', key, 'system/Patient.rs', { jti: 'same-jti' });
    assert.equal(replay.statusCode, 200);
    assert.equal((await assertionToken(t, 'emr', key, 'system/Patient.rs', { jti: 'same-jti' })).statusCode, 401, 'a jti is accepted once');
    assert.equal((await assertionToken(t, 'emr', key, 'system/Patient.rs', { aud: 'https://elsewhere/token' })).statusCode, 401);
    assert.equal((await assertionToken(t, 'emr', key, 'system/Patient.rs', { exp: Math.floor(Date.now() / 1000) + 3600 })).statusCode, 401);
    const stranger = await backendKey('k1');
    assert.equal((await assertionToken(t, 'emr', stranger, 'system/Patient.rs')).statusCode, 401, 'a key the client did not register');
  });

  test('SMART Backend Services with a JWKS URL: the client rotates its keys and keeps working', async () => {
    let keys: BackendKey[] = [await backendKey('old', 'RS384')];
    const server: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      await registerClient(t, { id: 'pharmacy-system', name: 'Pharmacy', kind: 'backend', jwksUri: url, scope: 'system/MedicationDispense.cru', organization: 'Organization/org-pharm' });
      assert.equal((await assertionToken(t, 'pharmacy-system', keys[0] as BackendKey, 'system/MedicationDispense.c')).statusCode, 200);
      const fresh = await backendKey('new', 'RS384');
      keys = [keys[0] as BackendKey, fresh];
      await new Promise((r) => setTimeout(r, 5_100)); // the JWKS URL is fetched again after its cool-down
      assert.equal((await assertionToken(t, 'pharmacy-system', fresh, 'system/MedicationDispense.c')).statusCode, 200, 'the new key is fetched');
    } finally {
      server.close();
    }
  });

  test('authorization code + PKCE through the login form: patient context, id_token, refresh', async () => {
    const flow = await codeFlow(t, { username: 'eloise', password: PASSWORD, scope: 'openid fhirUser offline_access launch/patient patient/*.rs' });
    assert.ok(flow.token, `flow ended with ${flow.status}`);
    assert.equal(new URL(flow.location as string).searchParams.get('state'), 'st-123');
    assert.equal(new URL(flow.location as string).searchParams.get('iss'), 'http://carnet.test');
    assert.equal(flow.token.patient, patientId);
    assert.match(flow.token.scope, /patient\/\*\.rs/);
    const id = decodeJwt(flow.token.id_token as string);
    assert.equal(id.fhirUser, `http://carnet.test/fhir/Patient/${patientId}`);
    assert.equal(id.nonce, 'n-1');
    assert.equal(id.aud, 'test-app');
    assert.ok(flow.pages[0]?.includes('lang="fr-CA"'), 'the login page is French first');
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token: flow.token.access_token })).status, 200);
    // refresh rotates; a reused refresh token revokes the whole grant
    const first = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: flow.token.refresh_token as string, client_id: 'test-app' });
    assert.equal(first.statusCode, 200, first.body);
    assert.notEqual(first.json().refresh_token, flow.token.refresh_token);
    const reused = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: flow.token.refresh_token as string, client_id: 'test-app' });
    assert.equal(reused.json().error, 'invalid_grant');
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token: first.json().access_token })).status, 401, 'the grant is revoked');
    assert.equal((await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: first.json().refresh_token, client_id: 'test-app' })).json().error, 'invalid_grant');
  });

  test('PKCE is required and checked; a code works once and its second use revokes what it gave', async () => {
    const missing = await t.carnet.server.inject({ method: 'GET', url: `/auth/authorize?response_type=code&client_id=test-app&redirect_uri=${encodeURIComponent('https://app.example/callback')}&scope=openid&state=s` });
    assert.equal(missing.statusCode, 302);
    assert.equal(new URL(String(missing.headers.location)).searchParams.get('error'), 'invalid_request');
    const unknownRedirect = await t.carnet.server.inject({ method: 'GET', url: '/auth/authorize?response_type=code&client_id=test-app&redirect_uri=https://evil.example/&scope=openid' });
    assert.equal(unknownRedirect.statusCode, 400, 'never redirect to an unregistered URI');
    // a code is redeemed with the wrong verifier
    const flow = await codeFlow(t, { username: 'eloise', password: PASSWORD, scope: 'launch/patient patient/*.rs' });
    assert.ok(flow.token);
    const code = new URL(flow.location as string).searchParams.get('code') as string;
    const again = await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/callback', client_id: 'test-app', code_verifier: 'x'.repeat(43) });
    assert.equal(again.json().error, 'invalid_grant');
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token: flow.token.access_token })).status, 401, 'the code was replayed: its tokens are revoked');
  });

  test('professionals need their second factor; wrong codes and passwords count towards a lockout', async () => {
    const dr = await createUser(t, { username: 'dr.a', password: PASSWORD, displayName: 'Dr A', role: 'physician', fhirUser: 'Practitioner/dr-a', practitionerRole: 'PractitionerRole/dr-a-role' });
    assert.ok(dr.totp?.secret);
    const wrongCode = await codeFlow(t, { username: 'dr.a', password: PASSWORD, scope: 'user/*.rs' });
    assert.equal(wrongCode.token, undefined);
    assert.ok(wrongCode.pages.some((p) => p.includes('role="alert"') && p.includes('aria-invalid="true"')), 'the wrong code is announced and tied to its field');
    const ok = await codeFlow(t, { username: 'dr.a', password: PASSWORD, totpSecret: dr.totp?.secret as string, scope: 'openid user/*.rs' });
    assert.ok(ok.token, 'password + TOTP');
    assert.equal(decodeJwt(ok.token.access_token).org, 'Organization/org-a');
    await createUser(t, { username: 'victim', password: PASSWORD, displayName: 'V', role: 'patient', fhirUser: `Patient/${patientId}` });
    for (let i = 0; i < 5; i++) {
      const bad = await codeFlow(t, { username: 'victim', password: 'wrong password!', scope: 'patient/*.rs launch/patient' });
      assert.equal(bad.token, undefined);
    }
    const locked = await codeFlow(t, { username: 'victim', password: PASSWORD, scope: 'patient/*.rs launch/patient' });
    assert.equal(locked.token, undefined, 'locked even with the right password');
    assert.equal(locked.status, 429);
  });

  test('forms are bound to the browser (CSRF) and the approval can be refused', async () => {
    const forged = await t.carnet.server.inject({
      method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'request=abc&csrf=def&username=eloise&password=x',
    });
    assert.equal(forged.statusCode, 400);
    const denied = await codeFlow(t, { username: 'eloise', password: PASSWORD, scope: 'patient/*.rs launch/patient', deny: true });
    assert.equal(new URL(denied.location as string).searchParams.get('error'), 'access_denied');
  });

  test('revocation and introspection (RFC 7009, RFC 7662)', async () => {
    await registerClient(t, { id: 'resource-server', name: 'RS', kind: 'confidential', secret: 'rs-secret-0123456789', scope: 'system/Patient.rs' });
    const flow = await codeFlow(t, { username: 'eloise', password: PASSWORD, scope: 'offline_access launch/patient patient/*.rs' });
    const access = flow.token?.access_token as string;
    const basic = { authorization: `Basic ${Buffer.from('resource-server:rs-secret-0123456789').toString('base64')}` };
    const introspect = (token: string) => t.carnet.server.inject({ method: 'POST', url: '/auth/introspect', headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic }, payload: `token=${token}` });
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token: access })).status, 200, 'verified once, then remembered');
    const active = (await introspect(access)).json();
    assert.equal(active.active, true);
    assert.equal(active.patient, patientId);
    assert.equal((await introspect(flow.token?.refresh_token as string)).json().active, true);
    const revoke = await t.carnet.server.inject({ method: 'POST', url: '/auth/revoke', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${access}&client_id=test-app` });
    assert.equal(revoke.statusCode, 200);
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token: access })).status, 401);
    assert.equal((await introspect(access)).json().active, false);
    await t.carnet.server.inject({ method: 'POST', url: '/auth/revoke', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${flow.token?.refresh_token}&client_id=test-app` });
    assert.equal((await introspect(flow.token?.refresh_token as string)).json().active, false);
    assert.equal((await t.carnet.server.inject({ method: 'POST', url: '/auth/introspect', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${access}` })).statusCode, 401, 'introspection needs client authentication');
  });

  test('a remembered token still expires', async () => {
    let now = Date.now();
    const timed = await startTestCarnet({ clock: () => new Date(now) });
    try {
      const access = await timed.systemToken();
      assert.equal((await timed.request('GET', '/fhir/Patient?_count=1', { token: access })).status, 200);
      assert.equal((await timed.request('GET', '/fhir/Patient?_count=1', { token: access })).status, 200, 'second use: from the verified-token cache');
      now += 3_600_000;
      assert.equal((await timed.request('GET', '/fhir/Patient?_count=1', { token: access })).status, 401, 'expired an hour later');
    } finally {
      await timed.close();
    }
  });

  test('signing key rotation: new tokens use the new key, tokens signed before stay valid, the JWKS publishes both', async () => {
    const before = await clientSecretToken(t, 'lab', 'lab-secret-0123456789', 'system/Observation.rs');
    const oldKid = decodeProtectedHeader(before).kid;
    const newKid = await t.carnet.auth.keys.rotate();
    assert.notEqual(newKid, oldKid);
    const jwks = (await t.request('GET', '/auth/jwks', { token: null })).body.keys.map((k: { kid: string }) => k.kid);
    assert.ok(jwks.includes(oldKid) && jwks.includes(newKid));
    const after = await clientSecretToken(t, 'lab', 'lab-secret-0123456789', 'system/Observation.rs');
    assert.equal(decodeProtectedHeader(after).kid, newKid);
    assert.equal((await t.request('GET', '/fhir/Observation', { token: before })).status, 200);
    assert.equal((await t.request('GET', '/fhir/Observation', { token: after })).status, 200);
  });

  test('a proxy for two children chooses whose record the app opens', async () => {
    const child = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Côté', given: ['Léo'] }] } })).body.id;
    const rp1 = (await t.request('POST', '/fhir/RelatedPerson', { body: { resourceType: 'RelatedPerson', patient: { reference: `Patient/${patientId}` }, active: true } })).body.id;
    const rp2 = (await t.request('POST', '/fhir/RelatedPerson', { body: { resourceType: 'RelatedPerson', patient: { reference: `Patient/${child}` }, active: true } })).body.id;
    await createUser(t, { username: 'parent', password: PASSWORD, displayName: 'Parent', role: 'proxy', fhirUser: `RelatedPerson/${rp1}`, proxyFor: [`RelatedPerson/${rp1}`, `RelatedPerson/${rp2}`] });
    const flow = await codeFlow(t, { username: 'parent', password: PASSWORD, scope: 'launch/patient patient/*.rs', patient: child });
    assert.ok(flow.pages.some((p) => p.includes('action="/auth/patient"')), 'the picker was shown');
    assert.equal(flow.token?.patient, child);
    const token = flow.token?.access_token as string;
    assert.equal((await t.request('GET', `/fhir/Patient/${child}`, { token })).status, 200);
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token })).status, 404, 'patient scopes reach the chosen record only');
    const users = await admin(t, 'GET', '/auth/admin/users');
    assert.ok(users.body.users.some((u: { username: string }) => u.username === 'parent'));
  });
});
