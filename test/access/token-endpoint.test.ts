import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import {
  assertion, assertionToken, backendKey, codeFlow, createUser, PASSWORD, registerClient, seedDirectory, tokenRequest, type BackendKey,
} from '../support/auth.js';

/**
 * The token endpoint as the SMART team's own tools use it: fhirclient 2.6.3 refreshing for a public app, and
 * the bulk-data test suite (bdt) probing client_credentials with private_key_jwt. Each case failed on main.
 */
describe('token endpoint: what SMART clients and bdt expect', () => {
  let t: TestCarnet;
  let patientId: string;
  let key: BackendKey;
  const form = async (scope: string, extra: { jku?: string } = {}) => assertionToken(t, 'bdt', key, scope, extra);

  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    const created = await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Béland', given: ['Rose'] }] } });
    patientId = created.body.id;
    await createUser(t, { username: 'rose', password: PASSWORD, displayName: 'Rose Béland', role: 'patient', fhirUser: `Patient/${patientId}` });
    key = await backendKey('bdt-key');
    await registerClient(t, { id: 'bdt', name: 'bdt', kind: 'backend', jwks: { keys: [key.jwk] }, scope: 'system/*.rs', organization: 'Organization/org-a' });
  });
  after(() => t.close());

  const refreshBody = (refreshToken: string) => `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}`;
  const post = (payload: string, headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }) =>
    t.carnet.server.inject({ method: 'POST', url: '/auth/token', headers, payload });

  test('fhirclient 2.6.3 refreshes a public app with grant_type and refresh_token only; rotation and reuse detection stay', async () => {
    const flow = await codeFlow(t, { username: 'rose', password: PASSWORD, scope: 'openid fhirUser offline_access launch/patient patient/*.rs' });
    const first = flow.token?.refresh_token as string;
    assert.ok(first);
    // Exactly the request of fhirclient's Client.refresh(): no client_id, no Authorization header.
    const refreshed = await post(refreshBody(first));
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    const second = refreshed.json().refresh_token as string;
    assert.ok(second && second !== first, 'the refresh token rotates');
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token: refreshed.json().access_token })).status, 200);
    // fhirclient with refreshTokenWithClientId sends client_id too.
    const withId = await post(`${refreshBody(second)}&client_id=test-app`);
    assert.equal(withId.statusCode, 200, withId.body);
    const third = withId.json();
    // Presenting a used token again, even without client_id, revokes the whole grant.
    const reused = await post(refreshBody(first));
    assert.equal(reused.statusCode, 400);
    assert.equal(reused.json().error, 'invalid_grant');
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token: third.access_token })).status, 401, 'the grant is revoked');
    assert.equal((await post(refreshBody(third.refresh_token))).json().error, 'invalid_grant');
    const unknown = await post(refreshBody('no-such-token'));
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().error, 'invalid_grant');
  });

  test('a confidential client\'s refresh token still needs that client\'s authentication, and is not used up by a refused attempt', async () => {
    await registerClient(t, {
      id: 'clinic-web', name: 'Clinic web', kind: 'confidential', secret: 'clinic-web-secret-0123456789', redirectUris: ['https://app.example/callback'],
      scope: 'openid offline_access launch/patient patient/*.rs',
    });
    const flow = await codeFlow(t, { username: 'rose', password: PASSWORD, clientId: 'clinic-web', clientSecret: 'clinic-web-secret-0123456789', scope: 'offline_access launch/patient patient/*.rs' });
    const refreshToken = flow.token?.refresh_token as string;
    assert.ok(refreshToken, `flow ended with ${flow.status}`);
    const anonymous = await post(refreshBody(refreshToken));
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json().error, 'invalid_client');
    const basic = `Basic ${Buffer.from('clinic-web:clinic-web-secret-0123456789').toString('base64')}`;
    const authenticated = await post(refreshBody(refreshToken), { 'content-type': 'application/x-www-form-urlencoded', authorization: basic });
    assert.equal(authenticated.statusCode, 200, authenticated.body);
  });

  test('a body that is not a form gets the OAuth error JSON invalid_request, never a FHIR OperationOutcome (bdt, RFC 6749 §3.2)', async () => {
    const cases: [string, Record<string, string>, string][] = [
      ['JSON', { 'content-type': 'application/json' }, JSON.stringify({ grant_type: 'client_credentials', scope: 'system/*.rs' })],
      ['JSON, no body', { 'content-type': 'application/json' }, ''],
      ['text', { 'content-type': 'text/plain' }, 'grant_type=client_credentials'],
      ['no content type', {}, ''],
    ];
    for (const [name, headers, payload] of cases) {
      for (const url of ['/auth/token', '/auth/revoke', '/auth/introspect']) {
        const r = await t.carnet.server.inject({ method: 'POST', url, headers, payload });
        assert.equal(r.statusCode, 400, `${name} at ${url}: ${r.body}`);
        assert.match(String(r.headers['content-type']), /^application\/json/);
        assert.equal(r.json().error, 'invalid_request', `${name} at ${url}`);
        assert.equal(r.json().resourceType, undefined);
      }
    }
    const twice = await post('grant_type=client_credentials&scope=system/*.rs&scope=system/Patient.rs');
    assert.equal(twice.json().error, 'invalid_request', 'a parameter sent twice');
    const noGrant = await post('scope=system/*.rs');
    assert.equal(noGrant.json().error, 'invalid_request', 'grant_type is required');
    const charset = await t.carnet.server.inject({
      method: 'POST', url: '/auth/token', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      payload: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/Patient.rs', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'x' }).toString(),
    });
    assert.equal(charset.json().error, 'invalid_client', 'a form with a charset parameter is a form');
  });

  test('scopes: empty is invalid_scope, missing is invalid_request, unknown resource types (v1 and v2) are invalid_scope', async () => {
    const empty = await form('');
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json().error, 'invalid_scope');
    const missing = await tokenRequest(t, {
      grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion(t, 'bdt', key),
    });
    assert.equal(missing.statusCode, 400, missing.body);
    assert.equal(missing.json().error, 'invalid_request');
    for (const scope of ['system/UnknownResource.read', 'system/UnknownResource.r', 'launch fhirUser', 'system/Patient.xyz', 'system/Patient.write', 'system/Patient.rs?a=b']) {
      const r = await form(scope);
      assert.equal(r.json().error, 'invalid_scope', scope);
    }
    const mixed = await form('system/Patient.read system/Observation.rs system/UnknownResource.rs');
    assert.equal(mixed.statusCode, 200, mixed.body);
    assert.deepEqual(mixed.json().scope.split(' ').sort(), ['system/Observation.rs', 'system/Patient.read'], 'v1 and v2 together; the unknown type is left out');
    const v1 = await form('system/*.*');
    assert.equal(v1.json().scope, 'system/*.rs', 'no write scope beyond the registration');
  });

  test('a client assertion whose jku header is not the registered JWKS URL is refused', async () => {
    assert.equal((await form('system/Patient.rs')).statusCode, 200);
    const withJku = await form('system/Patient.rs', { jku: 'test-bad-jku' });
    assert.equal(withJku.statusCode, 401);
    assert.equal(withJku.json().error, 'invalid_client');
    const rotating = await backendKey('url-key', 'RS384');
    const server: Server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [rotating.jwk] })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      await registerClient(t, { id: 'bdt-url', name: 'bdt (JWKS URL)', kind: 'backend', jwksUri: url, scope: 'system/*.rs', organization: 'Organization/org-a' });
      assert.equal((await assertionToken(t, 'bdt-url', rotating, 'system/*.rs', { jku: url })).statusCode, 200, 'the registered URL');
      assert.equal((await assertionToken(t, 'bdt-url', rotating, 'system/*.rs')).statusCode, 200, 'no jku');
      const other = await assertionToken(t, 'bdt-url', rotating, 'system/*.rs', { jku: `${url}?other` });
      assert.equal(other.statusCode, 401);
    } finally {
      server.close();
    }
  });

  test('without a token, /fhir answers 401 whether the route exists or not; with one, 404 for what does not exist', async () => {
    const anonymous: [string, string][] = [
      ['GET', '/fhir/NoSuchType'], ['GET', '/fhir/NoSuchType/1'], ['GET', '/fhir/Patient/1/_nope/2/3'], ['GET', '/fhir/$nope'],
      ['DELETE', '/fhir/metadata'], ['OPTIONS', '/fhir/Patient'], ['GET', '/fhir/Patient'], ['GET', '/fhirx'],
    ];
    for (const [method, url] of anonymous) {
      const r = await t.request(method, url, { token: null });
      if (url === '/fhirx') {
        assert.equal(r.status, 404, 'outside /fhir nothing changes');
        continue;
      }
      assert.equal(r.status, 401, `${method} ${url}: ${r.text}`);
      assert.equal(r.body.resourceType, 'OperationOutcome');
      assert.match(String(r.headers['www-authenticate']), /^Bearer realm="carnet"/);
    }
    assert.equal((await t.request('GET', '/fhir/metadata', { token: null })).status, 200);
    assert.equal((await t.request('GET', '/fhir/NoSuchType')).status, 404);
    assert.equal((await t.request('OPTIONS', '/fhir/Patient')).status, 404);
    assert.equal((await t.request('GET', '/fhir/NoSuchType', { token: 'not-a-valid-token' })).status, 401);
  });
});
