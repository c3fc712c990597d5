import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Consent, Patient } from '@medplum/fhirtypes';
import { clientSecretToken, professionalToken, registerClient, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/** The MPI's operations under access control: stewardship for links and merges, consent on $match. */
describe('master patient index and access', () => {
  let t: TestCarnet;
  let physician: string;
  let lapointe: string;
  const person = (system: string, value: string): Patient => ({
    resourceType: 'Patient', gender: 'female', birthDate: '1977-08-21', name: [{ family: 'Lapointe', given: ['Josée'] }], identifier: [{ system, value }],
  });
  const parameters = (patient: Patient) => ({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: patient }] });

  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    physician = await professionalToken(t, 'dra', 'physician', 'dr-a');
    await registerClient(t, { id: 'sys-b', name: 'EMR B', kind: 'confidential', secret: 'sys-b-secret-0123456789', scope: 'system/*.cruds', organization: 'Organization/org-b' });
    const sysB = await clientSecretToken(t, 'sys-b', 'sys-b-secret-0123456789', 'system/*.cruds');
    // An organisation's system upserts by its identifier (a client-chosen id is for platform clients).
    const created = await t.request('PUT', '/fhir/Patient?identifier=urn:b|B-1', { body: person('urn:b', 'B-1'), token: sysB });
    assert.equal(created.status, 201, created.text);
    lapointe = created.body.id;
  });
  after(async () => t.close());

  test('links, merges and the review queue are for the stewards of the index', async () => {
    for (const [method, url] of [['GET', '/fhir/$mpi-review'], ['GET', '/fhir/$mpi-decisions'], ['GET', `/fhir/Patient/${lapointe}/$mpi-links`], ['POST', '/fhir/Patient/$merge']] as const) {
      const r = await t.request(method, url, { token: physician, ...(method === 'POST' ? { body: { resourceType: 'Parameters' } } : {}) });
      assert.equal(r.status, 403, `${method} ${url}`);
    }
    assert.equal((await t.request('GET', '/fhir/$mpi-review')).status, 200, 'the platform client may');
  });

  test('$match is a search: it answers the physician, but never a patient hidden by consent', async () => {
    const seen = await t.request('POST', '/fhir/Patient/$match', { token: physician, body: parameters(person('urn:a', 'A-9')) });
    assert.equal(seen.status, 200);
    assert.deepEqual((seen.body as Bundle).entry?.map((e) => e.resource?.id), [lapointe]);
    const optOut: Consent = {
      resourceType: 'Consent', id: 'consent-lapointe', status: 'active', patient: { reference: `Patient/${lapointe}` },
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], provision: { type: 'deny' },
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTOUT' }] },
    };
    assert.ok([200, 201].includes((await t.request('PUT', '/fhir/Consent/consent-lapointe', { body: optOut })).status));
    const hidden = await t.request('POST', '/fhir/Patient/$match', { token: physician, body: parameters(person('urn:a', 'A-9')) });
    assert.equal(hidden.status, 200);
    assert.deepEqual((hidden.body as Bundle).entry ?? [], [], 'the opted-out patient is not revealed');
  });
});
