import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Consent, Resource } from '@medplum/fhirtypes';
import { codeFlow, createUser, PASSWORD, professionalToken, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { ACT, ids, LOINC, NAM, observation, personOf, privacyConsent, put, sourcePatient, steward } from '../support/persons.js';

/**
 * Consent is per person (issue #14, slice 2), through the real server: a Consent written on one source
 * record governs every record linked to the same Person — their data, the Person resource, identifier
 * searches, $match, $everything — and records linked later; stricter wins when two records' consents
 * conflict; after an unlink each record keeps the consents written on it; break-the-glass on any record
 * opens the whole person.
 */
const NAM_VALUE = 'TREL83541214';
const MH_CODE = '44261-6'; // PHQ-9: labelled MH (mental health) at write time

describe('person-wide consent: one consent for every source record of a person', () => {
  let t: TestCarnet;
  let patient: string;
  let physician: string;
  let nurse: string;
  const get = (url: string, token: string) => t.request('GET', url, { token });
  const status = async (url: string, token: string) => (await get(url, token)).status;
  const match = (token: string) => t.request('POST', '/fhir/Patient/$match', { token, body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: sourcePatient('probe', 'Tremblay', 'urn:probe', { identifier: [{ system: NAM, value: NAM_VALUE }] }) }] } });

  before(async () => {
    t = await startTestCarnet({ env: { CARNET_PERSON_SCOPE_TTL_MS: '600000' } });
    await seedDirectory(t);
    await put(t, sourcePatient('clinic', 'Tremblay', 'urn:clinic', { identifier: [{ system: 'urn:clinic', value: 'C-1' }, { system: NAM, value: NAM_VALUE }] }));
    await put(t, sourcePatient('pharmacy', 'Tremblay', 'urn:pharmacy', { identifier: [{ system: 'urn:pharmacy', value: 'P-1' }, { system: NAM, value: NAM_VALUE }] }));
    await put(t, sourcePatient('lab', 'Nadeau', 'urn:lab', { gender: 'unknown', birthDate: '1983-12-04' }));
    await put(t, observation('o-clinic', 'clinic', '2345-7'));
    await put(t, observation('o-pharmacy', 'pharmacy', '718-7'));
    await put(t, observation('o-lab', 'lab', '2093-3'));
    await put(t, observation('o-mh', 'lab', MH_CODE));
    const mh = (await t.request('GET', '/fhir/Observation/o-mh')).body as Resource;
    assert.ok(mh.meta?.security?.some((s) => s.code === 'MH'), 'labelled MH');
    await createUser(t, { username: 'lea', password: PASSWORD, displayName: 'Léa', role: 'patient', fhirUser: 'Patient/clinic' });
    patient = (await codeFlow(t, { username: 'lea', password: PASSWORD, scope: 'user/*.cruds' })).token?.access_token as string;
    physician = await professionalToken(t, 'dra', 'physician', 'dr-a');
    nurse = await professionalToken(t, 'nursea', 'nurse', 'nurse-a', 'user/*.rs');
  });
  after(() => t.close());

  test('an opening written on the lab record opens its mental-health result; the clinic record\'s hide does not reach it while unlinked', async () => {
    assert.equal(await status('/fhir/Observation/o-mh', physician), 404, 'closed to all but its writer by default');
    await put(t, privacyConsent('open-mh', 'lab', { type: 'permit', provision: [{ type: 'permit', securityLabel: [{ system: ACT, code: 'MH' }] }] }));
    assert.equal(await status('/fhir/Observation/o-mh', physician), 200);
    // Created with its id by the platform (a client-chosen id is for platform clients); the patient changes it below.
    await put(t, privacyConsent('clinic-consent', 'clinic', { type: 'permit', provision: [{ type: 'deny', securityLabel: [{ system: ACT, code: 'MH' }] }] }));
    assert.equal(await status('/fhir/Observation/o-mh', physician), 200, 'another person, as far as the MPI knows');
  });

  test('once linked, stricter wins: the clinic record\'s hide beats the lab record\'s opening', async () => {
    await steward(t, 'lab', '$mpi-link', await personOf(t, 'clinic'));
    assert.equal(await status('/fhir/Observation/o-mh', physician), 404);
    assert.deepEqual(ids((await get('/fhir/Observation?patient=lab', physician)).body), ['Observation/o-lab'], 'search applies it too');
    assert.equal(await status('/fhir/Observation/o-lab', physician), 200, 'only the category is hidden');
    assert.equal(await status('/fhir/Observation/o-mh', patient), 200, 'the patient sees her own data');
  });

  test('an opt-out on one record hides the whole person: data, Person, identifiers, $match, $everything', async () => {
    for (const token of [physician, nurse]) assert.ok(((await match(token)).body.entry?.length ?? 0) > 0, 'before: $match finds her');
    const person = (await personOf(t, 'clinic')).replace('Person/', '');
    assert.equal(await status(`/fhir/Person/${person}`, physician), 200, 'before: the Person is visible');
    await put(t, privacyConsent('clinic-consent', 'clinic', { type: 'deny' }), patient);
    for (const token of [physician, nurse]) {
      for (const ref of ['Observation/o-clinic', 'Observation/o-pharmacy', 'Observation/o-lab', 'Patient/lab', 'Patient/pharmacy', `Person/${person}`]) {
        assert.equal(await status(`/fhir/${ref}`, token), 404, ref);
      }
      for (const url of [`/fhir/Patient?identifier=${NAM}|${NAM_VALUE}`, '/fhir/Observation?patient=lab', '/fhir/Person?patient=lab', `/fhir/Person?patient=clinic`, '/fhir/Patient?family=Nadeau']) {
        const r = await get(url, token);
        assert.equal(r.status, 200, url);
        assert.deepEqual(ids(r.body as Bundle), [], url);
      }
      assert.equal((await get('/fhir/Observation?patient=pharmacy&_summary=count', token)).body.total, 0);
      assert.equal((await match(token)).body.entry?.length ?? 0, 0, '$match');
      assert.equal(await status('/fhir/Patient/lab/$everything', token), 404);
    }
    const own = ids((await get('/fhir/Observation?patient=clinic', patient)).body);
    assert.deepEqual(own, ['Observation/o-clinic', 'Observation/o-lab', 'Observation/o-mh', 'Observation/o-pharmacy'], 'the patient still sees all of it');
  });

  test('after an unlink, each record keeps what it had', async () => {
    await steward(t, 'lab', '$mpi-unlink');
    assert.equal(await status('/fhir/Observation/o-lab', physician), 200);
    assert.equal(await status('/fhir/Observation/o-mh', physician), 200, 'the lab record\'s own opening again');
    assert.equal(await status('/fhir/Observation/o-pharmacy', physician), 404, 'the opt-out stays with the clinic\'s person');
  });

  test('a record linked later comes under the person\'s consent at once', async () => {
    await steward(t, 'lab', '$mpi-link', await personOf(t, 'clinic'));
    assert.equal(await status('/fhir/Observation/o-lab', physician), 404);
  });

  test('break-the-glass on any record of the person opens all of it, and is flagged', async () => {
    const glass = await t.request('POST', '/fhir/Patient/lab/$break-the-glass', { token: physician, body: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'unconscious at the emergency room' }] } });
    assert.equal(glass.status, 200, glass.text);
    for (const ref of ['Observation/o-clinic', 'Observation/o-pharmacy', 'Observation/o-lab']) assert.equal(await status(`/fhir/${ref}`, physician), 200, ref);
    assert.deepEqual(ids((await get('/fhir/Observation?patient=clinic', physician)).body), ['Observation/o-clinic']);
    assert.equal(await status('/fhir/Observation/o-clinic', nurse), 404, 'only the professional who broke the glass');
    const log = (await get('/fhir/Patient/clinic/$access-log?_count=500', patient)).body as Bundle;
    const flagged = (log.entry ?? []).filter((e) => JSON.stringify(e.resource).includes('ETREAT') && JSON.stringify(e.resource).includes('Observation/o-clinic'));
    assert.ok(flagged.length > 0, 'the patient sees the emergency reads of her clinic record flagged');
    const consent = (await get('/fhir/Consent/clinic-consent', patient)).body as Consent;
    assert.equal(consent.provision?.type, 'deny');
  });
});
