import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { NAM_SYSTEM } from '../../src/mpi/record.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/** One person, one record: `:mdm` and `$everything` cover every source record the MPI linked. */
describe('search across the source records of one person', () => {
  let t: TestCarnet;
  const ids: Record<string, string> = {};
  const ref = (bundle: Bundle) => (bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();

  before(async () => {
    t = await startTestCarnet();
    const person = (source: string, mrn: string, extra: Partial<Patient> = {}): Patient => ({
      resourceType: 'Patient', gender: 'female', birthDate: '1961-04-12',
      name: [{ family: 'Bélanger', given: ['Geneviève'] }],
      identifier: [{ system: `https://carnet.example/fhir/sid/mrn/${source}`, value: mrn }, { system: NAM_SYSTEM, value: 'BELG61541212' }],
      address: [{ city: 'Rimouski', postalCode: 'G5L 3A1' }], ...extra,
    });
    for (const [key, body] of [['clinic', person('gmf', 'G-1')], ['hospital', person('chr', 'H-9', { name: [{ family: 'Belanger', given: ['Genevieve'] }] })], ['other', { resourceType: 'Patient', gender: 'male', birthDate: '1990-01-01', name: [{ family: 'Autre', given: ['Personne'] }] } as Patient]] as const) {
      const r = await t.request('POST', '/fhir/Patient', { body });
      assert.equal(r.status, 201);
      ids[key] = r.body.id;
    }
    for (const [key, code] of [['clinic', '4548-4'], ['hospital', '2160-0'], ['other', '4548-4']] as const) {
      const r = await t.request('POST', '/fhir/Observation', { body: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, subject: { reference: `Patient/${ids[key]}` } } });
      assert.equal(r.status, 201);
      ids[`obs-${key}`] = r.body.id;
    }
  });
  after(async () => t.close());

  test('the two source records of the person are linked to one Person', async () => {
    const links = await t.request('GET', `/fhir/Patient/${ids.clinic}/$mpi-links`);
    assert.equal(links.status, 200);
    assert.ok(JSON.stringify(links.body).includes(ids.hospital as string), JSON.stringify(links.body).slice(0, 400));
  });

  test(':mdm expands a patient reference to every linked source record', async () => {
    const plain = await t.request('GET', `/fhir/Observation?subject=Patient/${ids.clinic}`);
    assert.deepEqual(ref(plain.body), [`Observation/${ids['obs-clinic']}`]);
    const expanded = await t.request('GET', `/fhir/Observation?subject:mdm=Patient/${ids.clinic}`);
    assert.deepEqual(ref(expanded.body), [`Observation/${ids['obs-clinic']}`, `Observation/${ids['obs-hospital']}`].sort());
    const byPatient = await t.request('GET', `/fhir/Observation?patient:mdm=${ids.hospital}&code=4548-4`);
    assert.deepEqual(ref(byPatient.body), [`Observation/${ids['obs-clinic']}`]);
    assert.equal((await t.request('GET', '/fhir/Observation?performer:mdm=Organization/x')).status, 400);
  });

  test('$everything on any source record returns the whole person, with the Person', async () => {
    const b = (await t.request('GET', `/fhir/Patient/${ids.hospital}/$everything`)).body as Bundle;
    const all = ref(b);
    for (const r of [`Patient/${ids.clinic}`, `Patient/${ids.hospital}`, `Observation/${ids['obs-clinic']}`, `Observation/${ids['obs-hospital']}`]) assert.ok(all.includes(r), r);
    assert.ok(!all.includes(`Observation/${ids['obs-other']}`));
    assert.ok((b.entry ?? []).some((e) => e.search?.mode === 'include' && e.resource?.resourceType === 'Person'));
  });
});
