import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { codeFlow, createUser, PASSWORD, REDIRECT, registerClient, seedDirectory, tokenRequest } from '../support/auth.js';

/**
 * The apps a person has authorised and withdrawing one (issue #19, Applications): GET /auth/grants lists
 * the signed-in person's live grants only; POST /auth/grants/{id}/revoke withdraws one of theirs — its
 * access tokens are refused at once and its refresh token no longer works; another person's grant, an
 * unknown one or one already withdrawn is 404 (nothing learnt, nothing changed); a system's token is 403;
 * each call is audited.
 */
describe('a person’s authorised apps and withdrawing one', () => {
  let t: TestCarnet;
  let patientId: string;
  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    await registerClient(t, { id: 'other-app', name: 'Appli Santé+', kind: 'public', redirectUris: [REDIRECT], scope: 'openid fhirUser offline_access patient/*.rs' });
    patientId = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Grants' }] } })).body.id as string;
    const other = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Other' }] } })).body.id as string;
    await createUser(t, { username: 'ana', password: PASSWORD, displayName: 'Ana', role: 'patient', fhirUser: `Patient/${patientId}` });
    await createUser(t, { username: 'bob', password: PASSWORD, displayName: 'Bob', role: 'patient', fhirUser: `Patient/${other}` });
  });
  after(async () => {
    await t.close();
  });

  const login = async (username: string, clientId: string, scope: string) => {
    const r = await codeFlow(t, { username, password: PASSWORD, clientId, scope });
    assert.ok(r.token, `login of ${username} at ${clientId}: ${r.status}`);
    return r.token;
  };
  const grantsOf = async (token: string) => {
    const r = await t.request('GET', '/auth/grants', { token });
    assert.equal(r.status, 200, r.text);
    return (r.body as { grants: { id: string; client: { id: string; name: string; firstParty: boolean }; scope: string; current: boolean }[] }).grants;
  };

  test('lists one’s own live grants; withdrawing one stops its tokens; another’s, unknown or withdrawn is 404; systems 403', async () => {
    const own = await login('ana', 'test-app', 'openid fhirUser offline_access user/*.rs');
    const app = await login('ana', 'other-app', 'openid fhirUser offline_access patient/*.rs');
    const bob = await login('bob', 'test-app', 'openid fhirUser user/*.rs');

    const mine = await grantsOf(own.access_token);
    assert.deepEqual(mine.map((g) => g.client.id).sort(), ['other-app', 'test-app'], 'only Ana’s grants');
    assert.equal(mine.find((g) => g.client.id === 'other-app')?.client.name, 'Appli Santé+');
    assert.deepEqual(mine.filter((g) => g.current).map((g) => g.client.id), ['test-app'], 'the grant of the token asking is marked');
    const bobs = await grantsOf(bob.access_token);
    assert.equal(bobs.length, 1);

    const target = mine.find((g) => g.client.id === 'other-app')?.id as string;
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token: app.access_token })).status, 200, 'the app reads before');
    assert.equal((await t.request('POST', `/auth/grants/${bobs[0]?.id}/revoke`, { token: own.access_token })).status, 404, 'another person’s grant');
    assert.equal((await grantsOf(bob.access_token)).length, 1, 'and it still works');
    assert.equal((await t.request('POST', '/auth/grants/nope/revoke', { token: own.access_token })).status, 404);
    assert.equal((await t.request('POST', `/auth/grants/${target}/revoke`, { token: own.access_token })).status, 204);
    assert.equal((await t.request('GET', `/fhir/Patient/${patientId}`, { token: app.access_token })).status, 401, 'its access token is refused at once');
    const refreshed = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: app.refresh_token as string, client_id: 'other-app' });
    assert.equal(refreshed.statusCode, 400, 'its refresh token no longer works');
    assert.equal((await t.request('POST', `/auth/grants/${target}/revoke`, { token: own.access_token })).status, 404, 'already withdrawn');
    assert.deepEqual((await grantsOf(own.access_token)).map((g) => g.client.id), ['test-app']);

    assert.equal((await t.request('GET', '/auth/grants')).status, 403, 'a system (the bootstrap client) has no grants of a person');
    const { rows } = await t.carnet.db.query<{ content: string }>('SELECT content FROM audit_event WHERE content LIKE $1', [`%auth-grant/${target}%`]);
    assert.ok(rows.length >= 2, 'each withdrawal attempt is audited with the grant');
  });
});
