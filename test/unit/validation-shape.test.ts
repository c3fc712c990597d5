import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { validationIssues } from '../../src/fhir/validation.js';
import { primitiveProblem, realDate } from '../../src/fhir/validation/primitives.js';
import { MAX_DEPTH, shapeIssues } from '../../src/fhir/validation/shape.js';

/**
 * Issue #13: every JSON shape defect the conformance suites found accepted, with the issue's own examples.
 * Each must be an error located at its FHIRPath (what the OperationOutcome's `expression` says).
 */
const errorsOf = (r: unknown): OperationOutcomeIssue[] => validationIssues(r as Resource).filter((i) => i.severity === 'error');
const where = (r: unknown): string[] => errorsOf(r).flatMap((i) => i.expression ?? []);
const patient = (extra: Record<string, unknown>): Record<string, unknown> => ({ resourceType: 'Patient', ...extra });
const observation = (extra: Record<string, unknown>): Record<string, unknown> => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, ...extra });

describe('JSON shape (R4 JSON format rules)', () => {
  test('an object where a primitive belongs: "active": {"id": "1"}', () => {
    assert.deepEqual(where(patient({ active: { id: '1' } })), ['Patient.active']);
  });
  test('objects in an array of primitives: "given": [{"id": "1"}]', () => {
    assert.deepEqual(where(patient({ name: [{ given: [{ id: '1' }] }] })), ['Patient.name[0].given[0]']);
  });
  test('an empty array: "name": []', () => {
    assert.deepEqual(where(patient({ name: [] })), ['Patient.name']);
  });
  test('an empty object: "maritalStatus": {}', () => {
    assert.deepEqual(where(patient({ maritalStatus: {} })), ['Patient.maritalStatus']);
  });
  test('an element with only an id has no content (ele-1)', () => {
    assert.deepEqual(where(patient({ maritalStatus: { id: 'm' } })), ['Patient.maritalStatus']);
  });
  test('an empty string: "birthDate": ""', () => {
    assert.deepEqual(where(patient({ birthDate: '' })), ['Patient.birthDate']);
    assert.deepEqual(where(patient({ name: [{ family: '' }] })), ['Patient.name[0].family']);
  });
  test('an empty primitive extension: "_gender": {} (located at Patient.gender)', () => {
    assert.deepEqual(where(patient({ gender: 'male', _gender: {} })), ['Patient.gender']);
    assert.deepEqual(where(patient({ _gender: {} })), ['Patient.gender']);
  });
  test('an array where a single value belongs, and a single value where an array belongs', () => {
    assert.deepEqual(where(patient({ gender: ['male'] })), ['Patient.gender']);
    assert.deepEqual(where(patient({ maritalStatus: [{ text: 'x' }] })), ['Patient.maritalStatus']);
    assert.deepEqual(where(patient({ name: { family: 'x' } })), ['Patient.name']);
    assert.deepEqual(where(patient({ name: [{ given: 'x' }] })), ['Patient.name[0].given']);
  });
  test('null where an element belongs', () => {
    assert.deepEqual(where(patient({ maritalStatus: null })), ['Patient.maritalStatus']);
    assert.deepEqual(where(patient({ name: [null] })), ['Patient.name[0]']);
    assert.deepEqual(where(patient({ active: null })), ['Patient.active']);
  });
  test('"__proto__" and "constructor" keys are unknown elements like any other', () => {
    assert.deepEqual(where(JSON.parse('{"resourceType":"Patient","__proto__":{"polluted":true}}')), ['Patient.__proto__']);
    assert.deepEqual(where(patient({ constructor: { prototype: { polluted: true } } })), ['Patient.constructor']);
    assert.deepEqual(where(patient({ name: [{ toString: 'x' }] })), ['Patient.name[0].toString']);
    assert.deepEqual(where(patient({ foo: 1 })), ['Patient.foo']);
  });
  test('nested resources are walked with their own type; an unknown type is refused', () => {
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient({ active: 'yes' }) }] };
    assert.deepEqual(where(bundle), ['Bundle.entry[0].resource.active']);
    assert.deepEqual(where(observation({ contained: [{ resourceType: 'Nope', id: 'a' }] })), ['Observation.contained[0]']);
  });
  test('the NUL character is refused in strings (it cannot be stored)', () => {
    assert.deepEqual(where(patient({ name: [{ family: 'a\u0000b' }] })), ['Patient.name[0].family']);
  });
  test('nesting beyond MAX_DEPTH stops the walk with one error instead of overflowing the stack', () => {
    let extension: Record<string, unknown> = { url: 'http://x.test', valueString: 'leaf' };
    for (let i = 0; i < 10_000; i++) extension = { url: 'http://x.test', extension: [extension] };
    const issues = shapeIssues(patient({ extension: [extension] }));
    assert.equal(issues.length, 1);
    assert.match(issues[0]?.details?.text ?? '', new RegExp(`more than ${MAX_DEPTH} levels`));
  });
});

describe('impossible dates and date-times', () => {
  for (const value of ['2024-02-31', '2023-02-29', '1900-02-29']) {
    test(`${value} as a date and as a dateTime`, () => {
      assert.deepEqual(where(patient({ birthDate: value })), ['Patient.birthDate']);
      assert.deepEqual(where(patient({ deceasedDateTime: value })), ['Patient.deceased.ofType(dateTime)']);
      assert.deepEqual(where(patient({ deceasedDateTime: `${value}T10:00:00Z` })), ['Patient.deceased.ofType(dateTime)']);
    });
  }
  test('leap days that exist are accepted (2024, 2000)', () => {
    assert.deepEqual(where(patient({ birthDate: '2024-02-29', deceasedDateTime: '2000-02-29T23:59:59-05:00' })), []);
    assert.equal(realDate('2000-02-29'), true);
    assert.equal(realDate('2100-02-29'), false);
    assert.equal(realDate('2024-04-31'), false);
  });
  test('a dateTime with a time and no time zone: 2015-02-07T15:15:15', () => {
    assert.deepEqual(where(patient({ deceasedDateTime: '2015-02-07T15:15:15' })), ['Patient.deceased.ofType(dateTime)']);
    assert.deepEqual(where(patient({ deceasedDateTime: '2015-02-07T15:15:15.123+01:00' })), []);
    assert.deepEqual(where(observation({ issued: '2015-02-07T15:15:15' })), ['Observation.issued']);
  });
  test('partial dates stay valid; other forms are not', () => {
    assert.deepEqual(where(patient({ birthDate: '1980' })), []);
    assert.deepEqual(where(patient({ birthDate: '1980-06' })), []);
    assert.deepEqual(where(patient({ birthDate: '1980-13-01' })), ['Patient.birthDate']);
    assert.deepEqual(where(patient({ birthDate: '1980-06-01T00:00:00Z' })), ['Patient.birthDate']);
  });
});

describe('32-bit ranges', () => {
  test('integer 2147483648 and -2147483649', () => {
    assert.deepEqual(where(observation({ valueInteger: 2147483648 })), ['Observation.value.ofType(integer)']);
    assert.deepEqual(where(observation({ valueInteger: -2147483649 })), ['Observation.value.ofType(integer)']);
    assert.deepEqual(where(observation({ valueInteger: 2147483647 })), []);
    assert.deepEqual(where(observation({ valueInteger: -2147483648 })), []);
  });
  test('unsignedInt and positiveInt 2147483648', () => {
    assert.deepEqual(where(patient({ photo: [{ contentType: 'image/png', size: 2147483648 }] })), ['Patient.photo[0].size']);
    const immunization = {
      resourceType: 'Immunization', status: 'completed', vaccineCode: { text: 'v' }, patient: { reference: 'Patient/p' },
      occurrenceDateTime: '2024-01-01', protocolApplied: [{ doseNumberPositiveInt: 2147483648 }],
    };
    assert.deepEqual(where(immunization), ['Immunization.protocolApplied[0].doseNumber.ofType(positiveInt)']);
    assert.equal(primitiveProblem('unsignedInt', 0), undefined);
    assert.ok(primitiveProblem('unsignedInt', -1));
    assert.ok(primitiveProblem('positiveInt', 0));
    assert.equal(primitiveProblem('positiveInt', 2147483647), undefined);
  });
  test('integers are whole JSON numbers', () => {
    assert.ok(primitiveProblem('integer', 1.5));
    assert.ok(primitiveProblem('integer', '1'));
    assert.equal(primitiveProblem('decimal', 1.5), undefined);
    assert.ok(primitiveProblem('decimal', '1.5'));
  });
});

describe('primitive extensions (_element)', () => {
  test('_given as an object instead of an array', () => {
    assert.deepEqual(where(patient({ name: [{ given: ['a'], _given: { id: 'x' } }] })), ['Patient.name[0].given']);
  });
  test('given: [null, "test"] with no extension for the null', () => {
    assert.deepEqual(where(patient({ name: [{ given: [null, 'test'] }] })), ['Patient.name[0].given[0]']);
  });
  test('valid: _given: [{"id": "test"}, null] (the null value has its extension)', () => {
    assert.deepEqual(where(patient({ name: [{ given: [null, 'test'], _given: [{ id: 'test' }, null] }] })), []);
    assert.deepEqual(where(patient({ name: [{ given: ['a', 'test'], _given: [{ id: 'test' }, null] }] })), []);
  });
  test('valid: _given: [null, null] beside given', () => {
    assert.deepEqual(where(patient({ name: [{ given: ['a', 'b'], _given: [null, null] }] })), []);
  });
  test('values and extensions pair by position', () => {
    assert.deepEqual(where(patient({ name: [{ given: ['a'], _given: [{ id: 'x' }, null] }] })), ['Patient.name[0].given']);
  });
  test('"_active": "test" is an error at Patient.active (the library threw: a 500)', () => {
    assert.deepEqual(where(patient({ _active: 'test' })), ['Patient.active']);
  });
  test('"_gender": null is reported at Patient.gender, not Patient._gender', () => {
    assert.deepEqual(where(patient({ _gender: null })), ['Patient.gender']);
  });
  test('an extension on a primitive is walked as an Element; _x of a non-primitive is unknown', () => {
    const birthTime = 'http://hl7.org/fhir/StructureDefinition/patient-birthTime';
    assert.deepEqual(where(patient({ birthDate: '2024-02-29', _birthDate: { extension: [{ url: birthTime, valueDateTime: '2024-02-29T10:00:00Z' }] } })), []);
    assert.deepEqual(where(patient({ birthDate: '2024-02-29', _birthDate: { extension: [{ url: birthTime, valueDateTime: '2024-02-30' }] } })),
      ['Patient.birthDate.extension[0].value.ofType(dateTime)']);
    assert.deepEqual(where(patient({ _name: [{ id: 'x' }] })), ['Patient._name']);
  });
  test('an extension whose value type is not the one its definition allows', () => {
    const birthTime = { url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueString: '10:00' };
    assert.deepEqual(where(patient({ extension: [birthTime] })), ['Patient.extension[0].value.ofType(string)']);
    // A complex extension (made of extensions) has no value; an extension Carnet has no definition of takes any.
    const nationality = { url: 'http://hl7.org/fhir/StructureDefinition/patient-nationality', valueString: 'CA' };
    assert.deepEqual(where(patient({ extension: [nationality] })), ['Patient.extension[0].value.ofType(string)']);
    assert.deepEqual(where(patient({ extension: [{ url: 'http://carnet.test/x', valueString: 'any' }] })), []);
  });
});

describe('issue locations name the type as validators do', () => {
  test('a wrong primitive inside a choice: Parameters.parameter[0].value.ofType(boolean)', () => {
    const parameters = { resourceType: 'Parameters', parameter: [{ name: 'a', valueBoolean: 'yes' }] };
    assert.deepEqual(where(parameters), ['Parameters.parameter[0].value.ofType(boolean)']);
  });
  test('an empty valueUri: "" is an invalid uri at its own location, not an inv-1 failure', () => {
    const parameters = { resourceType: 'Parameters', parameter: [{ name: 'a', valueUri: '' }] };
    const issues = errorsOf(parameters);
    assert.deepEqual(issues.flatMap((i) => i.expression ?? []), ['Parameters.parameter[0].value.ofType(uri)']);
    assert.doesNotMatch(issues[0]?.details?.text ?? '', /inv-1/);
  });
  test('every shape error is reported at once, with binding errors elsewhere', () => {
    const paths = where(patient({ active: 'yes', birthDate: '2023-02-29', gender: 'bogus', name: [] })).sort();
    assert.deepEqual(paths, ['Patient.active', 'Patient.birthDate', 'Patient.gender', 'Patient.name']);
  });
});

describe('primitive lexical forms', () => {
  const bad: [string, unknown][] = [
    ['code', ' x'], ['code', 'a  b'], ['id', 'a b'], ['id', 'x'.repeat(65)], ['uri', 'a b'], ['oid', 'urn:oid:1.02'],
    ['uuid', 'urn:uuid:ABC'], ['time', '25:00:00'], ['time', '10:00'], ['instant', '2015-02-07'], ['base64Binary', 'abc'],
    ['boolean', 'true'], ['string', 1],
  ];
  for (const [type, value] of bad) test(`${type} ${JSON.stringify(value)} is refused`, () => assert.ok(primitiveProblem(type, value)));
  const good: [string, unknown][] = [
    ['code', 'a b'], ['id', 'a-B.9'], ['uri', 'urn:x'], ['oid', 'urn:oid:2.16.840.1'], ['uuid', 'urn:uuid:c757873d-ec9a-4326-a141-556f43239520'],
    ['time', '23:59:60.5'], ['instant', '2015-02-07T13:28:17.239+02:00'], ['base64Binary', 'aGVs bG8='], ['boolean', false], ['markdown', '# x'],
  ];
  for (const [type, value] of good) test(`${type} ${JSON.stringify(value)} is accepted`, () => assert.equal(primitiveProblem(type, value), undefined));
});
