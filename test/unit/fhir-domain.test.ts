import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Observation, Organization, Patient, Resource } from '@medplum/fhirtypes';
import { patientCompartmentOf } from '../../src/fhir/compartment.js';
import { validationIssues } from '../../src/fhir/validation.js';

const errorsOf = (r: Resource) => validationIssues(r).filter((i) => i.severity === 'error');

describe('patient compartment', () => {
  test('a Patient belongs to itself', () => {
    assert.equal(patientCompartmentOf({ resourceType: 'Patient', id: 'p1' } as Patient), 'p1');
  });
  test('clinical resources belong to their subject, relative or absolute', () => {
    const obs: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p2' } };
    assert.equal(patientCompartmentOf(obs), 'p2');
    const abs = { ...obs, subject: { reference: 'http://c.test/fhir/Patient/p3' } };
    assert.equal(patientCompartmentOf(abs, 'http://c.test/fhir'), 'p3');
  });
  test('a subject that is not a Patient places nothing in a patient compartment', () => {
    const obs: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Group/g' } };
    assert.equal(patientCompartmentOf(obs), undefined);
  });
  test('directory resources are outside every patient compartment', () => {
    assert.equal(patientCompartmentOf({ resourceType: 'Organization', name: 'GMF' } as Organization), undefined);
  });
});

describe('validation', () => {
  test('a valid Patient has no errors', () => {
    assert.deepEqual(errorsOf({ resourceType: 'Patient', gender: 'female', birthDate: '1980-02-29', name: [{ family: 'Côté', given: ['Marie-Ève'] }] } as Patient), []);
  });
  test('required bindings are checked', () => {
    const issues = errorsOf({ resourceType: 'Patient', gender: 'bogus' } as unknown as Patient);
    assert.equal(issues.length, 1);
    assert.deepEqual(issues[0]?.expression, ['Patient.gender']);
  });
  test('types, cardinality and unknown elements are reported with their path', () => {
    const issues = errorsOf({ resourceType: 'Patient', birthDate: '1980-13-45', foo: 1, name: [{ given: 'x' }] } as unknown as Patient);
    const paths = issues.flatMap((i) => i.expression ?? []);
    assert.ok(paths.includes('Patient.birthDate'));
    assert.ok(paths.includes('Patient.foo'));
    assert.ok(paths.includes('Patient.name[0].given'));
  });
  test('one variant per choice element', () => {
    const obs = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'a', valueQuantity: { value: 1 } };
    assert.ok(errorsOf(obs as Observation).some((i) => /Only one of/.test(i.details?.text ?? '')));
  });
  test('bindings and choices are checked inside backbone elements, extensions and contained resources', () => {
    const patient = { resourceType: 'Patient', contact: [{ name: { family: 'Roy' }, gender: 'sometimes' }] };
    assert.deepEqual(errorsOf(patient as unknown as Patient).flatMap((i) => i.expression ?? []), ['Patient.contact[0].gender']);
    const obs = {
      resourceType: 'Observation', status: 'final', code: { text: 'x' },
      component: [{ code: { text: 'c' }, valueString: 'a', valueBoolean: true }],
      extension: [{ url: 'http://x.test', valueString: 'a', valueCode: 'b' }],
      contained: [{ resourceType: 'Patient', id: 'p', gender: 'nope' }],
    };
    const paths = errorsOf(obs as unknown as Observation).flatMap((i) => i.expression ?? []).sort();
    assert.deepEqual(paths, ['Observation.component[0].value', 'Observation.contained[0].gender', 'Observation.extension[0].value']);
  });
  test('invariants are evaluated', () => {
    const obs = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'a', dataAbsentReason: { text: 'n/a' } };
    assert.ok(errorsOf(obs as Observation).some((i) => /obs-6/.test(i.details?.text ?? '')));
  });
});
