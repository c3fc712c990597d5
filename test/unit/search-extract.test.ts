import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Resource } from '@medplum/fhirtypes';
import { extractIndex } from '../../src/fhir/search/extract/index.js';
import { containedKey, ofTypeKey, paramKey, searchRegistry, textKey } from '../../src/fhir/search/registry.js';
import { fhirDefinitions } from '../../src/fhir/definitions.js';

fhirDefinitions();
const key = (type: string, code: string) => searchRegistry().param(type, code)?.key as number;
const BASE = 'http://carnet.test/fhir';

describe('index extraction', () => {
  test('HumanName: each part and the full name, normalised and exact', () => {
    const rows = extractIndex({ resourceType: 'Patient', name: [{ family: "O'Connell-Tremblay", given: ['Marie-Ève', 'Anne'], prefix: ['Mme'] }] } as Resource);
    const names = rows.strings.filter((r) => r.param === key('Patient', 'name')).map((r) => r.norm);
    assert.deepEqual(names.sort(), ['anne', 'marie eve', 'marie eve anne oconnell tremblay', 'mme', 'oconnell tremblay'].sort());
    const family = rows.strings.filter((r) => r.param === key('Patient', 'family'));
    assert.deepEqual(family.map((r) => [r.norm, r.exact]), [['oconnell tremblay', "O'Connell-Tremblay"]]);
  });

  test('tokens: codings, CodeableConcept text, identifier types, booleans, contact points', () => {
    const patient = {
      resourceType: 'Patient', active: true,
      identifier: [{ system: 'https://ramq.gouv.qc.ca/nam', value: 'TREM80022915', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'JHN' }], text: 'NAM' } }],
      telecom: [{ system: 'email', value: 'me@example.org' }],
      maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M', display: 'Married' }], text: 'Mariée' },
    } as Resource;
    const rows = extractIndex(patient);
    const tokens = (code: string) => rows.tokens.filter((t) => t.param === key('Patient', code));
    assert.deepEqual(tokens('identifier').map((t) => [t.system, t.code]), [['https://ramq.gouv.qc.ca/nam', 'TREM80022915']]);
    assert.deepEqual(tokens('active').map((t) => t.code), ['true']);
    assert.deepEqual(tokens('email').map((t) => [t.system, t.code]), [['email', 'me@example.org']]);
    const ofType = rows.tokens.filter((t) => t.param === ofTypeKey(searchRegistry().param('Patient', 'identifier')!));
    assert.deepEqual(ofType.map((t) => [t.system, t.code]), [['http://terminology.hl7.org/CodeSystem/v2-0203', 'JHN|TREM80022915']]);
    const identifierText = rows.strings.filter((s) => s.param === textKey(searchRegistry().param('Patient', 'identifier')!));
    assert.deepEqual(identifierText.map((s) => s.norm), ['nam']);
  });

  test('dates: partial, zoned, periods with open ends; _lastUpdated is not indexed (it is a column)', () => {
    const encounter = { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: '2020-03-04T10:00:00-05:00' }, meta: { lastUpdated: '2024-01-01T00:00:00Z' } } as Resource;
    const rows = extractIndex(encounter);
    const date = rows.dates.filter((d) => d.param === key('Encounter', 'date'));
    assert.deepEqual(date.map((d) => [d.lo, d.hi]), [['2020-03-04T15:00:00.000Z', 'infinity']]);
    assert.equal(rows.dates.some((d) => d.param === key('Encounter', '_lastUpdated')), false);
    const birth = extractIndex({ resourceType: 'Patient', birthDate: '1980-02' } as Resource).dates;
    assert.deepEqual(birth.map((d) => [d.lo, d.hi]), [['1980-02-01T00:00:00.000Z', '1980-03-01T00:00:00.000Z']]);
  });

  test('quantities: UCUM canonical value, and glucose in both mass and substance concentration', () => {
    const obs = {
      resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
      valueQuantity: { value: 97, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
    } as Resource;
    const rows = extractIndex(obs).quantities.filter((q) => q.param === key('Observation', 'value-quantity'));
    assert.deepEqual(rows.map((q) => q.canonCode).sort(), ['g.m-3', 'mol.m-3']);
    const molar = rows.find((q) => q.canonCode === 'mol.m-3');
    assert.ok(molar && Math.abs((molar.canonLo ?? 0) - 5.384) < 0.001);
    assert.ok(rows.every((q) => q.lo === '97' && q.code === 'mg/dL'));
  });

  test('references: relative, absolute on this server, external, canonical with version, identifier-only', () => {
    const obs = {
      resourceType: 'Observation', status: 'final', code: { text: 'x' },
      subject: { reference: `${BASE}/Patient/p1` },
      performer: [{ reference: 'Practitioner/d1/_history/3' }, { reference: 'https://other.example/fhir/Organization/o9' }, { identifier: { system: 'urn:cmq', value: '12345' } }],
    } as Resource;
    const rows = extractIndex(obs, BASE).references;
    assert.deepEqual(rows.filter((r) => r.param === key('Observation', 'subject')).map((r) => r.target), ['Patient/p1']);
    assert.deepEqual(rows.filter((r) => r.param === key('Observation', 'patient')).map((r) => r.target), ['Patient/p1']);
    assert.deepEqual(
      rows.filter((r) => r.param === key('Observation', 'performer')).map((r) => [r.target, r.identValue]),
      [['Practitioner/d1', null], ['https://other.example/fhir/Organization/o9', null], [null, '12345']],
    );
    const qr = extractIndex({ resourceType: 'QuestionnaireResponse', status: 'completed', questionnaire: 'http://q.example/Questionnaire/phq9|2.0' } as Resource);
    assert.deepEqual(qr.references.filter((r) => r.param === key('QuestionnaireResponse', 'questionnaire')).map((r) => r.target), ['http://q.example/Questionnaire/phq9', 'http://q.example/Questionnaire/phq9|2.0']);
  });

  test('composites group the components of one element', () => {
    const bp = {
      resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 142, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
        { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 91, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      ],
    } as Resource;
    const rows = extractIndex(bp);
    const param = searchRegistry().param('Observation', 'component-code-value-quantity')!;
    const [codes, values] = param.components;
    const systolic = rows.tokens.find((t) => t.param === codes?.key && t.code === '8480-6');
    const value = rows.quantities.find((q) => q.param === values?.key && q.grp === systolic?.grp);
    assert.equal(value?.lo, '142');
    assert.notEqual(rows.tokens.find((t) => t.param === codes?.key && t.code === '8462-4')?.grp, systolic?.grp);
  });

  test('contained resources are indexed under keys of their own', () => {
    const request = {
      resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' },
      medicationReference: { reference: '#m1' },
      contained: [{ resourceType: 'Medication', id: 'm1', code: { coding: [{ system: 'http://www.whocc.no/atc', code: 'A10BA02' }] } }],
    } as Resource;
    const rows = extractIndex(request);
    assert.ok(rows.tokens.some((t) => t.param === containedKey(key('Medication', 'code')) && t.code === 'A10BA02'));
    assert.equal(rows.tokens.some((t) => t.param === key('Medication', 'code')), false);
  });

  test('_text and _content are normalised text of the narrative and of the whole resource', () => {
    const rows = extractIndex({ resourceType: 'Condition', subject: { reference: 'Patient/p' }, code: { text: 'Diabète de type 2' }, text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Suivi &amp; contrôle</div>' } } as Resource);
    assert.equal(rows.text?.narrative, 'suivi controle');
    assert.ok(rows.text?.content.includes('diabete de type 2'));
    assert.ok(!rows.text?.content.includes('patient p'), 'references are not text');
  });
});

describe('search parameter registry', () => {
  test('every parameter, derived and component key is unique', () => {
    const seen = new Map<number, string>();
    const claim = (k: number, name: string) => {
      const other = seen.get(k);
      assert.ok(other === undefined || other === name, `key collision: ${name} and ${other}`);
      seen.set(k, name);
    };
    let params = 0;
    for (const type of fhirDefinitions().resourceTypes) {
      for (const p of searchRegistry().params(type).values()) {
        params++;
        claim(p.key, `${type}.${p.code}`);
        claim(textKey(p), `${type}.${p.code}:text`);
        claim(ofTypeKey(p), `${type}.${p.code}:of-type`);
        claim(containedKey(p.key), `contained:${type}.${p.code}`);
        p.components.forEach((c, i) => claim(c.key, `${type}.${p.code}#${i}`));
      }
    }
    assert.ok(params > 2700, `${params} parameters`);
    assert.equal(paramKey('Patient.name'), paramKey('Patient.name'));
  });

  test('every standard parameter with an expression is indexed', () => {
    for (const type of fhirDefinitions().resourceTypes) {
      const indexed = new Set(searchRegistry().indexed(type).map((p) => p.code));
      for (const p of searchRegistry().params(type).values()) {
        if (p.storage === 'index' && p.expression) assert.ok(indexed.has(p.code), `${type}.${p.code}`);
      }
    }
  });
});
