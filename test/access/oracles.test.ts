import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent, Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { codeFlow, createUser, PASSWORD, professionalToken, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet, type TestResponse } from '../support/harness.js';
import { ids, NAM, observation, privacyConsent, put, sourcePatient } from '../support/persons.js';

/**
 * No existence oracles (issue #14): a hidden resource (another person's, or one a consent hides) and an
 * absent one answer identically — status and diagnostics — on vread and in the criteria of conditional
 * create, update and delete, which run under the requester's visibility as a search does. And a
 * professional's $everything carries the Consent masked (consent/masking.ts: it names no resource).
 */
const HIDDEN_NAM = 'OPTO70010112';

describe('no existence oracles', () => {
  let t: TestCarnet;
  let physician: string;
  let patient: string;
  /** The diagnostics of a response, with the id of the resource named replaced, to compare two answers. */
  const said = (r: TestResponse, id: string) => `${r.status} ${((r.body as OperationOutcome).issue ?? []).map((i) => i.diagnostics).join('; ').split(id).join('<id>')}`;

  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    // "opted" has opted out; "other" is another person (the patient's token never reaches it).
    await put(t, sourcePatient('opted', 'Optout', 'urn:clinic', { identifier: [{ system: NAM, value: HIDDEN_NAM }] }));
    await put(t, sourcePatient('own', 'Lapierre', 'urn:clinic', { name: [{ family: 'Lapierre', given: ['Ana'] }], birthDate: '1991-02-03' }));
    await put(t, observation('o-hidden-1', 'opted', '2345-7'));
    await put(t, observation('o-hidden-2', 'opted', '2345-7'));
    await put(t, privacyConsent('opt-out', 'opted', { type: 'deny' }));
    await put(t, privacyConsent('hide-one', 'own', { type: 'permit', provision: [{ type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'Observation/o-own-hidden' } }] }] }));
    await put(t, observation('o-own-hidden', 'own', '718-7'));
    await createUser(t, { username: 'ana', password: PASSWORD, displayName: 'Ana', role: 'patient', fhirUser: 'Patient/own' });
    patient = (await codeFlow(t, { username: 'ana', password: PASSWORD, scope: 'user/*.cruds' })).token?.access_token as string;
    physician = await professionalToken(t, 'dra', 'physician', 'dr-a');
  });
  after(() => t.close());

  test('vread: hidden and absent answer alike, for a professional and for a patient', async () => {
    for (const [token, hidden] of [[physician, 'o-hidden-1'], [patient, 'o-hidden-1'], [physician, 'o-own-hidden']] as const) {
      for (const version of ['1', '7']) {
        const seen = await t.request('GET', `/fhir/Observation/${hidden}/_history/${version}`, { token });
        const absent = await t.request('GET', `/fhir/Observation/absent-id/_history/${version}`, { token });
        assert.equal(seen.status, 404);
        assert.equal(said(seen, hidden), said(absent, 'absent-id'), `vread ${hidden}/_history/${version}`);
      }
    }
    const visible = await t.request('GET', '/fhir/Observation/o-own-hidden/_history/7', { token: patient });
    assert.match(said(visible, 'o-own-hidden'), /has no version 7/, 'a visible resource still says which version is missing');
  });

  test('conditional create: criteria matching only hidden resources are no match', async () => {
    for (const token of [physician, patient]) {
      const body = observation('ignored', 'own', '8867-4');
      const create = (criteria: string) => t.request('POST', '/fhir/Observation', { token, body, headers: { 'if-none-exist': criteria } });
      const hidden = await create(`patient.identifier=${NAM}|${HIDDEN_NAM}`);
      const absent = await create(`patient.identifier=${NAM}|NONE00000000`);
      assert.equal(hidden.status, 201, hidden.text);
      assert.equal(absent.status, 201, absent.text);
    }
  });

  test('conditional delete and update: a hidden match answers as no match', async () => {
    for (const token of [physician, patient]) {
      const hidden = await t.request('DELETE', '/fhir/Observation?_id=o-hidden-2', { token });
      const absent = await t.request('DELETE', '/fhir/Observation?_id=absent-id', { token });
      assert.equal(hidden.status, absent.status, 'conditional delete');
      assert.equal(hidden.status, 204);
    }
    assert.equal((await t.request('GET', '/fhir/Observation/o-hidden-2')).status, 200, 'the hidden resource was not deleted');
    const update = await t.request('PUT', '/fhir/Observation?_id=o-hidden-2', { token: physician, body: { ...observation('x', 'own', '8867-4'), id: undefined } });
    assert.equal(update.status, 201, 'no match: a new resource');
    assert.notEqual(update.body.id, 'o-hidden-2');
  });

  test('PUT, PATCH and DELETE by id: a hidden target answers as an absent one, writes nothing, and is audited', async () => {
    const platformRead = async (id: string) => (await t.request('GET', `/fhir/Observation/${id}`)).body as { meta: { versionId: string } };
    const before = { one: (await platformRead('o-hidden-1')).meta.versionId, own: (await platformRead('o-own-hidden')).meta.versionId };
    const attempts = (id: string): [string, string, { body?: unknown; headers?: Record<string, string> }][] => [
      ['DELETE', `/fhir/Observation/${id}`, {}],
      ['DELETE', `/fhir/Observation/${id}`, { headers: { 'if-match': 'W/"1"' } }],
      ['PUT', `/fhir/Observation/${id}`, { body: { ...observation(id, 'own', '8867-4') } }],
      ['PUT', `/fhir/Observation/${id}`, { body: { ...observation(id, 'own', '8867-4') }, headers: { 'if-match': 'W/"9"' } }],
      ['PUT', `/fhir/Observation/${id}`, { body: { resourceType: 'Observation', id, status: 'not-a-status' } }],
      ['PATCH', `/fhir/Observation/${id}`, { body: [{ op: 'replace', path: '/status', value: 'amended' }], headers: { 'content-type': 'application/json-patch+json' } }],
      ['PUT', `/fhir/Observation?_id=absent-too`, { body: { ...observation(id, 'own', '8867-4') } }],
    ];
    for (const [token, hidden] of [[physician, 'o-hidden-1'], [patient, 'o-hidden-1'], [physician, 'o-own-hidden']] as const) {
      const absentAnswers: TestResponse[] = [];
      for (const [method, url, options] of attempts('absent-id')) absentAnswers.push(await t.request(method, url, { token, ...options }));
      const hiddenAnswers: TestResponse[] = [];
      for (const [method, url, options] of attempts(hidden)) hiddenAnswers.push(await t.request(method, url, { token, ...options }));
      hiddenAnswers.forEach((seen, i) => {
        const [method, url] = attempts(hidden)[i] ?? [];
        const absent = absentAnswers[i] as TestResponse;
        assert.equal(seen.status, absent.status, `${method} ${url}: ${seen.text.slice(0, 200)} / ${absent.text.slice(0, 200)}`);
        if (seen.status >= 400) assert.equal(said(seen, hidden), said(absent, 'absent-id'), `${method} ${url}`);
      });
      assert.equal(hiddenAnswers[0]?.status, 204, 'a delete of what one cannot see deletes nothing, as of what is not there');
      assert.equal(hiddenAnswers[2]?.status, 404, 'an update-as-create of an id one cannot see: does not exist');
    }
    const after = { one: (await platformRead('o-hidden-1')).meta.versionId, own: (await platformRead('o-own-hidden')).meta.versionId };
    assert.deepEqual(after, before, 'nothing was written to the hidden resources');
    assert.equal((await t.request('GET', '/fhir/Observation/absent-id')).status, 404, 'nor created at the absent id');

    // The attempts are in the person's access log, refused, with the reason (the requester never sees it).
    const officer = await createUser(t, { username: 'po-oracles', password: PASSWORD, displayName: 'PO', role: 'privacy-officer' });
    const po = (await codeFlow(t, { username: 'po-oracles', password: PASSWORD, totpSecret: officer.totp?.secret as string, scope: 'user/*.rs' })).token?.access_token as string;
    const log = (await t.request('GET', '/fhir/Patient/own/$access-log', { token: po })).body as Bundle;
    const deletes = (log.entry ?? []).map((e) => e.resource as AuditEvent).filter((e) => e.action === 'D' && e.entity?.some((x) => x.what?.reference === 'Observation/o-own-hidden'));
    assert.ok(deletes.length >= 2, 'both deletes of the hidden resource are logged');
    for (const e of deletes) {
      assert.equal(e.outcome, '4', 'logged as refused, though answered 204');
      assert.match(e.entity?.flatMap((x) => x.detail ?? []).find((d) => d.type === 'decision')?.valueString ?? '', /answered as absent/);
    }
  });

  test('update-as-create stays for platform clients; a visible resource is still updated and deleted', async () => {
    const created = await t.request('PUT', '/fhir/Observation/platform-chosen', { body: observation('platform-chosen', 'own', '8867-4') });
    assert.equal(created.status, 201, created.text);
    const updated = await t.request('PUT', '/fhir/Observation/platform-chosen', { token: physician, body: { ...observation('platform-chosen', 'own', '8867-4'), status: 'amended' } });
    assert.equal(updated.status, 200, updated.text);
    const upsert = await t.request('PUT', '/fhir/Observation?code=http://loinc.org|29463-7&subject=Patient/own', { token: physician, body: { ...observation('x', 'own', '29463-7'), id: undefined } });
    assert.equal(upsert.status, 201, 'a conditional update without an id creates with a server id');
    assert.equal((await t.request('DELETE', '/fhir/Observation/platform-chosen', { token: physician })).status, 204);
    assert.equal((await t.request('GET', '/fhir/Observation/platform-chosen')).status, 410, 'the visible one was deleted');
  });

  test('a professional\'s $everything carries the Consent masked (no hidden id); the patient\'s whole', async () => {
    const body = (await t.request('GET', '/fhir/Patient/own/$everything', { token: physician })).body as Bundle;
    const pro = ids(body);
    assert.ok(pro.includes('Patient/own') && pro.includes('Consent/hide-one'));
    assert.ok(!JSON.stringify(body).includes('o-own-hidden'), 'no Consent naming Observation/o-own-hidden');
    const own = ids((await t.request('GET', '/fhir/Patient/own/$everything', { token: patient })).body as Bundle);
    assert.ok(own.includes('Consent/hide-one') && own.includes('Observation/o-own-hidden'));
  });
});
