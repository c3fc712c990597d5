import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { V3_ROLE_CODE } from '../../src/fhir/code-systems.js';
import { privacyConsent } from '../support/persons.js';
import { codeFlow, createUser, PASSWORD, registerClient, REDIRECT, seedDirectory } from '../support/auth.js';

/**
 * Whom a person acts for, and a minor's record narrowing for their parent at the control age (issue #19):
 * a parent with a record of her own acts for a child of 9 and a teenager of 15. GET /auth/persons lists the
 * three; `patient_hint` opens the one chosen without the login page's choice; the child's record is open to
 * her (audited `proxy for`), the teenager's keeps only the Patient and appointments (searches, reads,
 * $everything, the access log, a consent written for them), and her own record is hers.
 */
describe('a parent acting for her children; the record narrowing at 14', () => {
  let t: TestCarnet;
  const born = (years: number, days: number) => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth(), now.getUTCDate()) - days * 86_400_000).toISOString().slice(0, 10);
  };
  const SCOPE = 'openid fhirUser launch/patient patient/*.rs patient/Consent.cu online_access';
  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    await registerClient(t, { id: 'family-app', name: 'Famille', kind: 'public', redirectUris: [REDIRECT], scope: 'openid fhirUser online_access launch/patient patient/*.cruds', trusted: true });
    const put = async (resource: Record<string, unknown>) => {
      const r = await t.request('PUT', `/fhir/${resource.resourceType}/${resource.id}`, { body: resource });
      assert.ok(r.status < 300, r.text);
    };
    await put({ resourceType: 'Patient', id: 'mom', name: [{ family: 'Demers', given: ['Sophie'] }], birthDate: born(41, 0) });
    await put({ resourceType: 'Patient', id: 'kid', name: [{ family: 'Demers', given: ['Léa'] }], birthDate: born(9, 0) });
    await put({ resourceType: 'Patient', id: 'teen', name: [{ family: 'Demers', given: ['Noah'] }], birthDate: born(15, 0) });
    for (const child of ['kid', 'teen']) {
      await put({ resourceType: 'RelatedPerson', id: `mom-of-${child}`, patient: { reference: `Patient/${child}` }, relationship: [{ coding: [{ system: V3_ROLE_CODE, code: 'MTH', display: 'mother' }] }] });
      await put({ resourceType: 'Observation', id: `obs-${child}`, status: 'final', code: { text: 'Hémoglobine' }, subject: { reference: `Patient/${child}` } });
      await put({ resourceType: 'Appointment', id: `appt-${child}`, status: 'proposed', participant: [{ actor: { reference: `Patient/${child}` }, status: 'accepted' }] });
    }
    await put({ resourceType: 'Observation', id: 'obs-mom', status: 'final', code: { text: 'Hémoglobine' }, subject: { reference: 'Patient/mom' } });
    await createUser(t, { username: 'sophie', password: PASSWORD, displayName: 'Sophie Demers', role: 'patient', fhirUser: 'Patient/mom', proxyFor: ['RelatedPerson/mom-of-kid', 'RelatedPerson/mom-of-teen'] });
  });
  after(async () => {
    await t.close();
  });
  const open = async (hint: string) => {
    const r = await codeFlow(t, { username: 'sophie', password: PASSWORD, clientId: 'family-app', scope: SCOPE, extra: { patient_hint: hint } });
    assert.ok(r.token, `signed in for ${hint}: ${r.status}`);
    assert.equal(r.token.patient, hint, 'the hint chose the record, with no choice page');
    return r.token.access_token;
  };
  const ids = (b: Bundle) => (b.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();

  test('GET /auth/persons: herself and her two children, the teenager’s access narrowed since 14', async () => {
    const token = await open('mom');
    const r = await t.request('GET', '/auth/persons', { token });
    assert.equal(r.status, 200, r.text);
    const persons = r.body.persons as { patient: string; self: boolean; name: string; access: string; narrowedSince?: string; current: boolean; relationship?: { code?: string } }[];
    assert.equal(r.body.controlAge, 14);
    assert.deepEqual(persons.map((p) => [p.patient, p.self, p.access, p.current]), [['Patient/mom', true, 'full', true], ['Patient/kid', false, 'full', false], ['Patient/teen', false, 'narrowed', false]]);
    assert.equal(persons[2]?.narrowedSince, `${Number(born(15, 0).slice(0, 4)) + 14}${born(15, 0).slice(4)}`, 'the 14th birthday');
    assert.equal(persons[1]?.relationship?.code, 'MTH');
    assert.equal(persons[0]?.name, 'Sophie Demers');
    const system = await t.request('GET', '/auth/persons');
    assert.equal(system.status, 403, 'a system’s token has nobody to act for');
  });

  test('the child’s record is open to her, audited as a proxy’s; her own as hers', async () => {
    const kid = await open('kid');
    assert.deepEqual(ids((await t.request('GET', '/fhir/Observation?patient=kid', { token: kid })).body), ['Observation/obs-kid']);
    assert.equal((await t.request('GET', '/fhir/Observation/obs-mom', { token: kid })).status, 404, 'a token for the child reaches the child only');
    assert.equal((await t.request('GET', '/fhir/Observation/obs-kid', { token: kid })).status, 200);
    const { rows } = await t.carnet.db.query<{ content: string }>('SELECT content FROM audit_event WHERE content LIKE $1', ['%proxy for Patient/kid%']);
    assert.ok(rows.length >= 1, 'audited as proxy for the child');
    const mom = await open('mom');
    assert.deepEqual(ids((await t.request('GET', '/fhir/Observation?patient=mom', { token: mom })).body), ['Observation/obs-mom']);
    assert.equal((await t.request('GET', '/fhir/Patient/mom/$access-log', { token: mom })).status, 200);
  });

  test('the teenager’s record narrows: Patient and appointments only; no clinical data, access log or consent', async () => {
    const teen = await open('teen');
    assert.equal((await t.request('GET', '/fhir/Patient/teen', { token: teen })).status, 200, 'who they are');
    assert.deepEqual(ids((await t.request('GET', '/fhir/Appointment?patient=teen', { token: teen })).body), ['Appointment/appt-teen'], 'their appointments');
    assert.deepEqual(ids((await t.request('GET', '/fhir/Observation?patient=teen', { token: teen })).body), [], 'no results');
    assert.equal((await t.request('GET', '/fhir/Observation/obs-teen', { token: teen })).status, 404);
    const everything = (await t.request('GET', '/fhir/Patient/teen/$everything', { token: teen })).body as Bundle;
    assert.deepEqual(ids(everything).filter((id) => !id.startsWith('OperationOutcome')), ['Appointment/appt-teen', 'Patient/teen']);
    assert.equal((await t.request('GET', '/fhir/Patient/teen/$access-log', { token: teen })).status, 403, 'their access log is theirs');
    const { id: _id, ...body } = privacyConsent('c', 'teen', { type: 'deny' });
    const consent = await t.request('POST', '/fhir/Consent', { token: teen, body });
    assert.equal(consent.status, 403, 'their consents are theirs to give');
  });

  test('a hint naming someone she does not act for is not honoured: the choice page asks', async () => {
    const r = await codeFlow(t, { username: 'sophie', password: PASSWORD, clientId: 'family-app', scope: SCOPE, patient: 'kid', extra: { patient_hint: 'somebody-else' } });
    assert.ok(r.pages.some((p) => p.includes('action="/auth/patient"')), 'the login page asks whose record');
    assert.equal(r.token?.patient, 'kid', 'and opens the one chosen there');
  });
});
