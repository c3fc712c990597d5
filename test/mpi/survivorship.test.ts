import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import { describe, test } from 'node:test';
import { DEFAULT_IDENTIFIER_RULES, NAM_SYSTEM } from '../../src/mpi/record.js';
import { DEFAULT_SURVIVORSHIP, goldenDemographics, type SourceRecord } from '../../src/mpi/survivorship.js';

const INSURER = 'urn:oid:ramq';
const CLINIC = 'urn:oid:clinic';
const HOSPITAL = 'urn:oid:hospital';
const rules = { ...DEFAULT_SURVIVORSHIP, trust: { [INSURER]: 3, [HOSPITAL]: 2, [CLINIC]: 1 }, insurerSources: [INSURER] };

const source = (id: string, system: string, lastUpdated: string, patient: Partial<Patient>): SourceRecord => ({
  source: system, lastUpdated, patient: { resourceType: 'Patient', id, identifier: [{ system, value: id }], ...patient },
});

describe('survivorship of golden demographics', () => {
  const records = [
    source('c1', CLINIC, '2024-05-01T00:00:00Z', {
      name: [{ family: 'Tremblé', given: ['Marie'] }], birthDate: '1980-07-03', gender: 'female',
      address: [{ city: 'Laval', postalCode: 'H7N 1A1' }], identifier: [{ system: CLINIC, value: 'c1' }, { system: NAM_SYSTEM, value: 'TREM80530799' }],
    }),
    source('h1', HOSPITAL, '2020-01-01T00:00:00Z', { name: [{ family: 'Tremblay', given: ['Marie-Ève'] }], birthDate: '1980-03-07', address: [{ city: 'Montréal' }] }),
    source('r1', INSURER, '2019-01-01T00:00:00Z', {
      name: [{ family: 'Tremblay', given: ['Marie-Ève', 'Josée'] }], birthDate: '1980-03-07', gender: 'female',
      identifier: [{ system: INSURER, value: 'r1' }, { system: NAM_SYSTEM, value: 'TREM80530712' }],
    }),
  ];

  test('name and sex from the most trusted source, even if older', () => {
    const golden = goldenDemographics(records, rules, DEFAULT_IDENTIFIER_RULES);
    assert.deepEqual(golden.name, [{ family: 'Tremblay', given: ['Marie-Ève', 'Josée'] }]);
    assert.equal(golden.gender, 'female');
  });
  test('date of birth by majority (a swapped date in one clinic loses)', () => {
    assert.equal(goldenDemographics(records, rules, DEFAULT_IDENTIFIER_RULES).birthDate, '1980-03-07');
  });
  test('address from the most recent source; NAM from the insurer', () => {
    const golden = goldenDemographics(records, rules, DEFAULT_IDENTIFIER_RULES);
    assert.equal(golden.address?.[0]?.city, 'Laval');
    assert.equal(golden.nam?.value, 'TREM80530712');
  });
  test('without trust ranks, recency decides ties; inactive (merged) records are ignored', () => {
    const golden = goldenDemographics([...records.slice(0, 2), { ...records[2] as SourceRecord, patient: { ...(records[2] as SourceRecord).patient, active: false } }], DEFAULT_SURVIVORSHIP, DEFAULT_IDENTIFIER_RULES);
    assert.deepEqual(golden.name, [{ family: 'Tremblé', given: ['Marie'] }]);
    assert.equal(golden.nam?.value, 'TREM80530799');
  });
});
