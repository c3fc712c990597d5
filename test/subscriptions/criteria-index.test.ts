import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Resource } from '@medplum/fhirtypes';
import { extractIndex } from '../../src/fhir/search/extract/index.js';
import { criteriaKeys, isCandidate, resourceKeys } from '../../src/subscriptions/criteria-index.js';
import { matchingPlan, parseSubscription } from '../../src/subscriptions/spec.js';

/** The criteria index by value (pure): which subscriptions a change is a candidate for, and that skipping the others is exact. */
const BASE = 'http://carnet.test/fhir';
const keysOf = (type: string, criteria: string) => criteriaKeys(matchingPlan(type, criteria, BASE, 1));
const carried = (resource: Resource) => resourceKeys(extractIndex(resource, BASE));

const report = (performer: string, code: string): Resource => ({
  resourceType: 'DiagnosticReport', status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: 'Patient/p1' }, performer: [{ reference: performer }],
} as Resource);

describe('criteria index by value', () => {
  test('keys from a reference or a token condition; the condition with the fewest values wins', () => {
    const performer = keysOf('DiagnosticReport', 'performer=Organization/lab');
    assert.equal(performer?.length, 1);
    assert.match(performer?.[0] ?? '', /^r:-?\d+:Organization\/lab$/);
    const codes = keysOf('Observation', 'code=http://loinc.org|2823-3,http://loinc.org|2951-2');
    assert.equal(codes?.length, 2);
    assert.ok(codes?.every((k) => /^t:-?\d+:(2823-3|2951-2)$/.test(k)));
    const both = keysOf('DiagnosticReport', 'code=a,b,c&performer=Organization/lab');
    assert.deepEqual(both, performer, 'one performer beats three codes');
    const actor = keysOf('Appointment', 'actor=Practitioner/x&status=booked');
    assert.equal(actor?.length, 1);
  });

  test('conditions that give no keys: negated, system alone, text, missing, chains, _has, dates, strings', () => {
    for (const [type, criteria] of [
      ['Observation', 'code:not=2823-3'], ['Observation', 'code=http://loinc.org|'], ['Observation', 'code:text=potassium'],
      ['Observation', 'code:missing=true'], ['Observation', 'subject.name=smith'], ['Patient', '_has:Observation:patient:code=2823-3'],
      ['Observation', 'date=ge2026-01-01'], ['Patient', 'name=smith'], ['Observation', ''],
    ] as const) assert.equal(keysOf(type, criteria), undefined, `${type}?${criteria}`);
  });

  test('exact: a resource that matches carries one of the keys; one that does not is no candidate', () => {
    const keys = keysOf('DiagnosticReport', 'performer=Organization/lab&code=2823-3');
    assert.ok(isCandidate(keys, carried(report('Organization/lab', '2823-3'))));
    assert.ok(isCandidate(keys, carried(report('Organization/lab', '9999-9'))), 'a candidate; the search then says no');
    assert.ok(!isCandidate(keys, carried(report('Organization/other', '2823-3'))));
    const byCode = keysOf('DiagnosticReport', 'code=http://loinc.org|2823-3');
    assert.ok(isCandidate(byCode, carried(report('Organization/other', '2823-3'))));
    assert.ok(!isCandidate(byCode, carried(report('Organization/other', '2951-2'))));
    assert.ok(isCandidate(undefined, new Set()), 'without keys: a candidate of its type');
  });

  test('a subscription pinning a patient is indexed by the patient, not by values', () => {
    const pinned = parseSubscription({
      resourceType: 'Subscription', status: 'requested', reason: 'r', criteria: 'Observation?patient=Patient/p1&code=2823-3',
      channel: { type: 'rest-hook', endpoint: 'https://clinic.example/hook', payload: 'application/fhir+json' },
    }, BASE);
    assert.deepEqual([pinned.patientKeys, pinned.criteriaKeys], [['Patient/p1'], undefined]);
    const byPerformer = parseSubscription({
      resourceType: 'Subscription', status: 'requested', reason: 'r', criteria: 'DiagnosticReport?performer=Organization/lab',
      channel: { type: 'rest-hook', endpoint: 'https://clinic.example/hook', payload: 'application/fhir+json' },
    }, BASE);
    assert.equal(byPerformer.patientKeys, undefined);
    assert.equal(byPerformer.criteriaKeys?.length, 1);
  });
});
