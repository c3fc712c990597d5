import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent, Bundle, Consent } from '@medplum/fhirtypes';
import { codeFlow, createUser, PASSWORD, professionalToken, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { ACT, ids, observation, personOf, privacyConsent, put, sourcePatient } from '../support/persons.js';

/**
 * Consent through `Patient/$merge` and `$unmerge` (issue #14), through the real server: two records of
 * one person that the MPI kept apart, one with an opening (mental health open to all), the other opted
 * out. Merged, the stricter consent wins for the whole merged person — data, Patient, Person, identifier
 * searches, $everything — until the person decides; the Person is hidden too, except to a professional
 * who broke the glass (flagged in the access log). Unmerged, each record has its own consent again, and
 * the grant stays with the record it was given on.
 */
const MH_CODE = '44261-6'; // PHQ-9: labelled MH at write time

describe('consent through $merge and $unmerge', () => {
  let t: TestCarnet;
  let physician: string;
  let other: string;
  let officer: string;
  const status = async (url: string, token: string) => (await t.request('GET', url, { token })).status;
  const search = async (url: string, token: string) => {
    const r = await t.request('GET', url, { token });
    assert.equal(r.status, 200, `${url}: ${r.text.slice(0, 200)}`);
    return ids(r.body as Bundle);
  };
  const mpi = async (op: '$merge' | '$unmerge', parameter: { name: string; valueReference: { reference: string } }[]) => {
    const r = await t.request('POST', `/fhir/Patient/${op}`, { body: { resourceType: 'Parameters', parameter: [...parameter, { name: 'actor', valueString: 'admin:test' }, { name: 'reason', valueString: 'same person' }] } });
    assert.equal(r.status, 200, r.text);
  };
  const person = async (id: string) => (await personOf(t, id)).replace('Person/', '');

  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    // Different demographics: the MPI does not link them on its own (a steward merges them later).
    await put(t, sourcePatient('keep', 'Gagnon', 'urn:clinic', { birthDate: '1970-05-06', name: [{ family: 'Gagnon', given: ['Luc'] }], gender: 'male' }));
    await put(t, sourcePatient('dup', 'Gagnon-Roy', 'urn:hospital', { birthDate: '1971-06-05', name: [{ family: 'Roy', given: ['Lucien'] }], gender: 'male' }));
    await put(t, observation('o-keep', 'keep', '2345-7'));
    await put(t, observation('o-keep-mh', 'keep', MH_CODE));
    await put(t, observation('o-dup', 'dup', '718-7'));
    await put(t, privacyConsent('c-keep-open', 'keep', { type: 'permit', provision: [{ type: 'permit', securityLabel: [{ system: ACT, code: 'MH' }] }] }));
    await put(t, privacyConsent('c-dup-optout', 'dup', { type: 'deny' }));
    physician = await professionalToken(t, 'dra', 'physician', 'dr-a');
    other = await professionalToken(t, 'drb', 'physician', 'dr-b');
    const po = await createUser(t, { username: 'privacy', password: PASSWORD, displayName: 'PO', role: 'privacy-officer' });
    officer = (await codeFlow(t, { username: 'privacy', password: PASSWORD, totpSecret: po.totp?.secret as string, scope: 'user/*.rs' })).token?.access_token as string;
  });
  after(() => t.close());

  test('before: two persons, each under its own consent', async () => {
    assert.notEqual(await person('keep'), await person('dup'), 'the MPI kept them apart');
    for (const token of [physician, other]) {
      for (const ref of ['Patient/keep', 'Observation/o-keep', 'Observation/o-keep-mh', `Person/${await person('keep')}`]) assert.equal(await status(`/fhir/${ref}`, token), 200, ref);
      for (const ref of ['Patient/dup', 'Observation/o-dup', `Person/${await person('dup')}`]) assert.equal(await status(`/fhir/${ref}`, token), 404, ref);
    }
  });

  test('merged: the stricter consent (the opt-out) wins for the merged person, the Person included', async () => {
    await mpi('$merge', [{ name: 'source-patient', valueReference: { reference: 'Patient/dup' } }, { name: 'target-patient', valueReference: { reference: 'Patient/keep' } }]);
    const merged = await person('keep');
    assert.equal(await person('dup'), merged, 'one person now');
    for (const token of [physician, other]) {
      for (const ref of ['Patient/keep', 'Patient/dup', 'Observation/o-keep', 'Observation/o-keep-mh', 'Observation/o-dup', `Person/${merged}`, 'Consent/c-keep-open']) {
        assert.equal(await status(`/fhir/${ref}`, token), 404, ref);
      }
      for (const url of ['/fhir/Observation?patient=keep', '/fhir/Patient?identifier=urn:hospital|dup', '/fhir/Patient?identifier=urn:clinic|keep', `/fhir/Person?patient=keep`, '/fhir/Person?name=Gagnon']) {
        assert.deepEqual(await search(url, token), [], url);
      }
      assert.equal(await status('/fhir/Patient/keep/$everything', token), 404);
    }
    // The platform (a steward) sees where everything went: the opt-out moved with the source's records.
    const optOut = (await t.request('GET', '/fhir/Consent/c-dup-optout')).body as Consent;
    assert.equal(optOut.patient?.reference, 'Patient/keep');
  });

  test('merged and opted out, the Person is seen only under break-the-glass, and that is flagged', async () => {
    const merged = await person('keep');
    const glass = await t.request('POST', '/fhir/Patient/dup/$break-the-glass', { token: physician, body: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'unconscious at the emergency room' }] } });
    assert.equal(glass.status, 200, glass.text);
    for (const ref of [`Person/${merged}`, 'Patient/keep', 'Observation/o-keep', 'Observation/o-dup', 'Observation/o-keep-mh']) assert.equal(await status(`/fhir/${ref}`, physician), 200, ref);
    assert.deepEqual(await search('/fhir/Person?patient=keep', physician), [`Person/${merged}`]);
    assert.equal(await status(`/fhir/Person/${merged}`, other), 404, 'only for the professional who broke the glass');
    const log = (await t.request('GET', '/fhir/Patient/keep/$access-log?_count=500', { token: officer })).body as Bundle;
    const reads = (log.entry ?? []).map((e) => e.resource as AuditEvent).filter((e) => e.entity?.some((x) => x.what?.reference === `Person/${merged}`) && JSON.stringify(e).includes('ETREAT'));
    assert.ok(reads.length > 0, 'the emergency read of the Person is in the person\'s access log, flagged');
  });

  test('unmerged: each record has its own consent again, and the grant stays with the record it was given on', async () => {
    await mpi('$unmerge', [{ name: 'source-patient', valueReference: { reference: 'Patient/dup' } }]);
    assert.notEqual(await person('keep'), await person('dup'), 'two persons again');
    const optOut = (await t.request('GET', '/fhir/Consent/c-dup-optout')).body as Consent;
    assert.equal(optOut.patient?.reference, 'Patient/dup', 'the opt-out went back with its record');
    for (const token of [physician, other]) {
      for (const ref of ['Patient/keep', 'Observation/o-keep', 'Observation/o-keep-mh', `Person/${await person('keep')}`]) assert.equal(await status(`/fhir/${ref}`, token), 200, ref);
      assert.deepEqual(await search('/fhir/Observation?patient=keep', token), ['Observation/o-keep', 'Observation/o-keep-mh']);
    }
    for (const ref of ['Patient/dup', 'Observation/o-dup', `Person/${await person('dup')}`]) assert.equal(await status(`/fhir/${ref}`, other), 404, ref);
    // The grant was given on `dup`, which is its own person again: it opens `dup` only.
    assert.equal(await status('/fhir/Observation/o-dup', physician), 200, 'the grant still covers the record it was given on');
  });
});
