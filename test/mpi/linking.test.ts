import assert from 'node:assert/strict';
import type { Person } from '@medplum/fhirtypes';
import { after, before, describe, test } from 'node:test';
import { linkedPatientIds } from '../../src/mpi/store/link-store.js';
import { NAM_SYSTEM } from '../../src/mpi/record.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { patient } from './support.js';

async function personOf(t: TestCarnet, patientId: string): Promise<Person> {
  const { rows } = await t.carnet.db.query<{ person_id: string }>('SELECT person_id FROM mpi_record WHERE patient_id = $1', [patientId]);
  assert.ok(rows[0], `Patient/${patientId} is linked`);
  const read = await t.request('GET', `/fhir/Person/${rows[0].person_id}`);
  assert.equal(read.status, 200);
  return read.body as Person;
}

describe('MPI: automatic linking on write', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(() => t.close());

  test('two sources registering the same citizen form one Person; a stranger gets another', async () => {
    const hospital = await t.request('POST', '/fhir/Patient', {
      body: patient('urn:oid:2.16.124.10.101.1.60.100', 'H-1001', 'Marie-Ève', 'Tremblay', '1980-03-07', {
        identifier: [{ system: 'urn:oid:2.16.124.10.101.1.60.100', value: 'H-1001' }, { system: NAM_SYSTEM, value: 'TREM80530712' }],
        address: [{ postalCode: 'H2X 1Y4', city: 'Montréal' }],
      }),
    });
    assert.equal(hospital.status, 201);
    const clinic = await t.request('POST', '/fhir/Patient', {
      body: patient('urn:oid:2.16.124.10.101.1.60.200', 'C-77', 'Marie Eve', 'TREMBLAY', '1980-03-07', {
        identifier: [{ system: 'urn:oid:2.16.124.10.101.1.60.200', value: 'C-77' }, { system: NAM_SYSTEM, value: 'TREM 8053 0712' }],
      }),
    });
    const stranger = await t.request('POST', '/fhir/Patient', { body: patient('urn:oid:2.16.124.10.101.1.60.200', 'C-78', 'Louise', 'Gagnon', '1955-11-23') });
    const a = await personOf(t, hospital.body.id);
    const b = await personOf(t, clinic.body.id);
    const c = await personOf(t, stranger.body.id);
    assert.equal(a.id, b.id);
    assert.notEqual(c.id, a.id);
    assert.deepEqual(a.link?.map((l) => l.target.reference).sort(), [`Patient/${hospital.body.id}`, `Patient/${clinic.body.id}`].sort());
    assert.ok(a.link?.every((l) => l.assurance === 'level3'), 'automatic links have assurance level3');
    const epi = a.identifier?.find((i) => i.system === 'urn:carnet:sid:enterprise-person-id');
    assert.match(epi?.value ?? '', /^\d{10}$/);
    assert.equal(a.birthDate, '1980-03-07');
    assert.deepEqual(await linkedPatientIds(t.carnet.db, clinic.body.id), [hospital.body.id, clinic.body.id].sort());
    assert.deepEqual(await linkedPatientIds(t.carnet.db, 'unknown'), ['unknown']);
  });

  test('a possible match is queued for review and the record gets its own Person meanwhile', async () => {
    const first = await t.request('POST', '/fhir/Patient', { body: patient('urn:sys:a', 'A-1', 'Sylvie', 'Gagnon', '1971-05-02') });
    const second = await t.request('POST', '/fhir/Patient', { body: patient('urn:sys:b', 'B-1', 'Sylvie', 'Gagnon', '1971-05-19') });
    const p1 = await personOf(t, first.body.id);
    const p2 = await personOf(t, second.body.id);
    assert.notEqual(p1.id, p2.id);
    const { rows } = await t.carnet.db.query<{ person_id: string }>(`SELECT person_id FROM mpi_candidate WHERE patient_id = $1 AND status = 'open'`, [second.body.id]);
    assert.deepEqual(rows.map((r) => r.person_id), [p1.id]);
  });

  test('deleting a Patient removes its link; the emptied Person stays, inactive', async () => {
    const created = await t.request('POST', '/fhir/Patient', { body: patient('urn:sys:a', 'A-9', 'Rémi', 'Poirier', '1948-04-30') });
    const person = await personOf(t, created.body.id);
    assert.equal((await t.request('DELETE', `/fhir/Patient/${created.body.id}`)).status, 204);
    const after = (await t.request('GET', `/fhir/Person/${person.id}`)).body as Person;
    assert.equal(after.active, false);
    assert.equal(after.link, undefined);
  });
});
