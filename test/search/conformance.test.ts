import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Resource } from '@medplum/fhirtypes';
import { DEMO_DIR } from '../../src/demo/seed.js';
import { importPaths } from '../../src/import/runner.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { fixtureBundle } from './fixtures.js';
import { SearchOracle } from './oracle.js';
import { searchAll, storedResources } from './support.js';

/**
 * Carnet's answers compared with an independent model of R4 search (test/search/oracle.ts) over the edge
 * case fixtures and four Synthea patients, following every page (25 per page) of every answer.
 */
const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const NAM = 'https://www.ramq.gouv.qc.ca/fhir/sid/nam';
const UCUM = 'http://unitsofmeasure.org';

export const QUERIES: readonly string[] = [
  // string: case, accents, apostrophes, hyphens; prefix of the whole value; :exact, :contains
  'Patient?family=Conn', 'Patient?family=ordo', 'Patient?family=oconnell', "Patient?family=o'connell", 'Patient?given=eloise', 'Patient?given=ÉLOÏSE',
  'Patient?name=marie eve', 'Patient?name=marie-eve', 'Patient?family=cote', 'Patient?family:exact=Côté', 'Patient?family:exact=cote', 'Patient?family:contains=gagn',
  'Patient?name:contains=ONNEL', 'Patient?address-city=montreal', 'Patient?address=saint denis', 'Patient?address-postalcode=h2x', 'Patient?name=inconnu',
  'Organization?name=gmf', 'Organization?name=cisss de la mont', 'Practitioner?name=helene', 'Patient?family=Tremblay,Conn', 'Patient?given=a&family=ordonez',
  // token
  'Patient?gender=female', 'Patient?gender=female,male', `Patient?identifier=${NAM}|TREE80522912`, 'Patient?identifier=TREE80522912', 'Patient?identifier=|TREE80522912',
  `Patient?identifier=${NAM}|`, `Patient?identifier:of-type=${V2}|MR|446053`, 'Patient?telecom=phone|514-555-0101', 'Patient?email=eloise@example.org', 'Patient?active=true',
  'Observation?code=http://loinc.org|2345-7', 'Observation?code=2345-7,4548-4', 'Observation?code:not=http://loinc.org|8310-5', 'Observation?code:text=glucose',
  'Observation?code:text=blood pressure', 'Condition?code:text=diabete', 'Observation?status=final&category=laboratory', 'Condition?clinical-status=active',
  'Observation?combo-code=8480-6', 'Observation?component-code=8462-4', 'Observation?value-concept=http://snomed.info/sct|8517006', 'Patient?language=es',
  'Observation?_tag=https://smarthealthit.org/tags|synthea-5-2019&code=8302-2', 'Observation?data-absent-reason=not-performed', 'Patient?deceased=true', 'Patient?_id=p-conn,p-ordonez',
  'Condition?code=http://hl7.org/fhir/sid/icd-10|E11', 'Observation?status:not=final', 'Encounter?class=IMP',
  // date: every prefix, partial dates on both sides, periods with open ends, time zones
  'Patient?birthdate=1980', 'Patient?birthdate=1980-02', 'Patient?birthdate=1980-02-29', 'Patient?birthdate=ge1980', 'Patient?birthdate=gt1980', 'Patient?birthdate=lt1980',
  'Patient?birthdate=le1980', 'Patient?birthdate=ne1980', 'Patient?birthdate=sa1980', 'Patient?birthdate=eb1980', 'Patient?birthdate=1955', 'Patient?birthdate=1955-06',
  'Patient?birthdate=ge1955-06', 'Patient?birthdate=le1955-06', 'Patient?birthdate=1990-07-15', 'Patient?birthdate=ne1990-07-15',
  'Observation?date=2023-03-10', 'Observation?date=2023-03-10T13:30:00Z', 'Observation?date=ge2023', 'Observation?date=lt2020-01-16', 'Observation?date=2020-01-15',
  'Observation?date=2023-06', 'Observation?date=sa2023-06-10', 'Observation?date=eb2015-06', 'Observation?date=ge2015&date=lt2016', 'Encounter?date=ge2021-10-29',
  'Encounter?date=le2021', 'Encounter?date=2023-03-10', 'Encounter?date=gt2030', 'Condition?onset-date=2015', 'Condition?onset-date=le2010', 'Condition?onset-date=eb2010-07',
  'Condition?recorded-date=2021-03-02', 'Patient?death-date=2021-11-03', 'MedicationRequest?authoredon=2023', 'Patient?_lastUpdated=ge2000', 'Patient?_lastUpdated=lt2000',
  // number
  'RiskAssessment?probability=0.15', 'RiskAssessment?probability=gt0.1', 'RiskAssessment?probability=lt0.3', 'RiskAssessment?probability=0.3',
  'RiskAssessment?probability=ge0.35', 'RiskAssessment?probability=le0.1', 'RiskAssessment?probability=sa0.18', 'RiskAssessment?probability=eb0.18',
  'RiskAssessment?probability=ne0.15', 'RiskAssessment?probability=30', 'RiskAssessment?probability=ge35', 'RiskAssessment?probability=sa18',
  // quantity: units converted through UCUM, mass ↔ substance for glucose and cholesterol
  `Observation?value-quantity=97|${UCUM}|mg/dL`, `Observation?value-quantity=5.4|${UCUM}|mmol/L`, `Observation?value-quantity=gt7|${UCUM}|mmol/L`,
  `Observation?value-quantity=lt150|${UCUM}|mg/dL`, `Observation?value-quantity=70|${UCUM}|kg`, `Observation?value-quantity=gt38|${UCUM}|Cel`,
  'Observation?value-quantity=7.2', 'Observation?value-quantity=7.2||%', 'Observation?value-quantity=gt100', `Observation?value-quantity=le1.75|${UCUM}|m`,
  `Observation?component-value-quantity=gt140|${UCUM}|mm[Hg]`, 'Observation?value-quantity=ne7.2||%',
  // composite: components must come from the same element
  `Observation?component-code-value-quantity=http://loinc.org|8480-6$gt140|${UCUM}|mm[Hg]`, 'Observation?component-code-value-quantity=8462-4$gt80',
  'Observation?component-code-value-quantity=8480-6$lt100', `Observation?code-value-quantity=http://loinc.org|2345-7$gt5|${UCUM}|mmol/L`,
  'Observation?combo-code-value-quantity=8480-6$gt140', 'Observation?code-value-concept=72166-2$8517006',
  // reference
  'Observation?subject=Patient/p-eloise', 'Observation?subject=p-eloise', 'Observation?subject:Patient=p-eloise', 'Observation?patient=Patient/p-eloise',
  'Observation?subject=http://carnet.test/fhir/Patient/p-eloise', 'Observation?subject=Group/g1', 'Observation?performer:identifier=urn:cmq|1-23456',
  'Observation?performer=Practitioner/dr-roy', 'Patient?organization=org-cisss', 'Patient?general-practitioner=dr-roy', 'Patient?link=p-eloise',
  'QuestionnaireResponse?questionnaire=http://carnet.test/Questionnaire/phq9', 'QuestionnaireResponse?questionnaire=http://carnet.test/Questionnaire/phq9|2.0',
  'QuestionnaireResponse?questionnaire=http://carnet.test/Questionnaire/phq9|1.0', 'DiagnosticReport?result=Observation/o-glu-mg', 'Organization?partof=org-cisss',
  // :missing
  'Patient?birthdate:missing=true', 'Patient?gender:missing=true', 'Observation?value-quantity:missing=true', 'Encounter?date:missing=true', 'Observation?subject:missing=false',
  'Patient?name:missing=false', 'Observation?performer:missing=true',
  // chains, any depth
  'Observation?subject:Patient.name=eloise', 'Observation?subject.name=eloise', 'Observation?patient.organization.name=gmf', 'Observation?patient.organization.partof.name=cisss',
  "Encounter?subject.family=o'connell", 'DiagnosticReport?result.code=2345-7', 'MedicationRequest?requester.name=roy', 'Observation?subject.gender=male&code=29463-7',
  'Observation?patient.birthdate=lt1960', 'Observation?subject:Patient.general-practitioner.name=hélène',
  // _has (reverse chaining), nested
  'Patient?_has:Observation:patient:code=2345-7', 'Patient?_has:Condition:subject:code=44054006', 'Patient?_has:Observation:subject:_has:Provenance:target:agent=Organization/org-cisss',
  'Practitioner?_has:Observation:performer:status=final', 'Patient?_has:Encounter:subject:class=IMP&gender=male',
  // _list, _content, _text
  'Patient?_list=list-watch', 'Patient?_content=diabete', 'Patient?_text=suivie gmf', 'Condition?_content=type 2',
];

describe('search conformance: Carnet vs an independent model of R4 search', () => {
  let t: TestCarnet;
  let oracle: SearchOracle;
  before(async () => {
    t = await startTestCarnet();
    const loaded = await t.request('POST', '/fhir', { body: fixtureBundle() });
    assert.equal(loaded.status, 200, loaded.text.slice(0, 500));
    await importPaths(t.carnet.ctx, [DEMO_DIR]);
    oracle = new SearchOracle(await storedResources(t), t.base);
  });
  after(async () => t.close());

  for (const query of QUERIES) {
    test(query, async () => {
      const [type, params] = query.split('?') as [string, string];
      const expected = oracle.search(type, params).sort();
      const { resources } = await searchAll(t, `/fhir/${type}?${new URLSearchParams(params).toString()}&_count=25`);
      const actual = resources.map((r) => r.id as string).sort();
      assert.equal(new Set(actual).size, actual.length, 'no resource appears twice across pages');
      assert.deepEqual(actual, expected);
    });
  }

  test('the queries are not vacuous: most find something, some find nothing', () => {
    const sizes = QUERIES.map((q) => oracle.search(...(q.split('?') as [string, string])).length);
    assert.ok(sizes.filter((n) => n > 0).length > QUERIES.length * 0.75);
    assert.ok(sizes.some((n) => n === 0));
  });
});
