import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { myPatientQueries, myPatientsOf } from '../../web/src/clinique/my-patients.js';
import { NAM_SYSTEM } from '../../web/src/clinique/patient-search.js';

/** "Mes patients" (pure): the searches of a clinician's care relationships, and one row per patient. */
const bundle = (...resources: Resource[]): Bundle => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });
const patient = (id: string, family: string, extra: Record<string, unknown> = {}): Resource => ({ resourceType: 'Patient', id, name: [{ family, given: ['A'] }], ...extra }) as Resource;

describe('my patients', () => {
  test('three searches: family doctor, active care teams, encounters of the last 180 days with their subjects', () => {
    const q = myPatientQueries('Practitioner/dr-b', new Date('2026-12-03T10:00:00Z'));
    assert.equal(q.familyDoctor, 'Patient?general-practitioner=Practitioner%2Fdr-b&_count=100');
    assert.equal(q.careTeams, 'CareTeam?participant=Practitioner%2Fdr-b&status=active&_include=CareTeam:subject&_count=100');
    assert.equal(q.encounters, 'Encounter?participant=Practitioner%2Fdr-b&date=ge2026-06-06&_sort=-date&_include=Encounter:subject&_count=100');
  });

  test('one row per patient with every reason, the most recently seen first, then by name; unseen subjects left out', () => {
    const rows = myPatientsOf(
      bundle(patient('p1', 'Zèbre', { birthDate: '1950-01-02', identifier: [{ system: NAM_SYSTEM, value: 'ZEBA50010212' }] }), patient('p2', 'Abord')),
      bundle({ resourceType: 'CareTeam', id: 'c1', subject: { reference: 'Patient/p1' } } as Resource, { resourceType: 'CareTeam', id: 'c2', subject: { reference: 'Patient/hidden' } } as Resource),
      bundle(
        { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p3' }, period: { start: '2026-11-01T10:00:00Z' } } as Resource,
        { resourceType: 'Encounter', id: 'e2', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p3' }, period: { start: '2026-11-20T10:00:00Z' } } as Resource,
        { resourceType: 'Encounter', id: 'e3', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' }, period: { start: '2026-10-01T10:00:00Z' } } as Resource,
        patient('p3', 'Milieu'), patient('p1', 'Zèbre'),
      ),
    );
    assert.deepEqual(rows.map((r) => [r.id, r.reasons, r.lastSeen]), [
      ['p3', ['encounter'], '2026-11-20T10:00:00Z'],
      ['p1', ['family-doctor', 'care-team', 'encounter'], '2026-10-01T10:00:00Z'],
      ['p2', ['family-doctor'], undefined],
    ]);
    assert.deepEqual([rows[1]?.name, rows[1]?.nam, rows[1]?.birthDate], ['A Zèbre', 'ZEBA50010212', '1950-01-02']);
    assert.deepEqual(myPatientsOf(undefined, undefined, undefined), []);
  });
});
