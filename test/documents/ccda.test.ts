import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Parameters } from '@medplum/fhirtypes';
import { dateTime, prune } from '../../src/documents/ccda/convert.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { personOf } from '../support/persons.js';

/**
 * POST $import-ccda end to end: C-CDA R2.1 → FHIR with @medplum/ccda, best effort (a template it cannot
 * map is a warning, the rest is kept), filed like a FHIR document (original XML as Binary, DocumentReference,
 * Provenance, the MPI matching the patient); all 12 documents of the shared test data with their counts
 * and codes; the same document twice; bad XML refused, nothing written.
 */
const FIXTURES = new URL('../../../test/fixtures/documents/', import.meta.url);
const SHARED = new URL('../../../../shared/data/ccda-examples/documents/', import.meta.url);
const param = (p: Parameters, name: string) => p.parameter?.find((x) => x.name === name);
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const SCT = 'http://snomed.info/sct';
const LN = 'http://loinc.org';

/** What each shared document files (resources of its Patient by type) and one code of each kind. */
const EXPECTED: Record<string, { counts: Record<string, number>; codes: Record<string, string> }> = {
  'CCD_CCD_1.xml': { counts: { Composition: 1, Patient: 1, RelatedPerson: 2, Observation: 32, AllergyIntolerance: 2, Condition: 1, Encounter: 1, Immunization: 5, Procedure: 3, MedicationRequest: 2, DocumentReference: 1, Provenance: 1 },
    codes: { Observation: `${LN}|11367-0`, AllergyIntolerance: `${RX}|2670`, Condition: `${SCT}|233604007`, Procedure: `${SCT}|103716009`, MedicationRequest: `${RX}|197380` } },
  'CCD_CCD_2.xml': { counts: { Composition: 1, Patient: 1, RelatedPerson: 2, AllergyIntolerance: 1, Procedure: 2, Observation: 14, DocumentReference: 1, Provenance: 1 },
    codes: { AllergyIntolerance: `${SCT}|105590001`, Procedure: `${SCT}|6025007`, Observation: `${LN}|2710-2` } },
  'Care_Plan.xml': { counts: { Composition: 1, Patient: 1, RelatedPerson: 4, Goal: 1, Observation: 2, DocumentReference: 1, Provenance: 1 }, codes: { Observation: `${LN}|44616-1` } },
  'Consultation_Note.xml': { counts: { Composition: 1, Patient: 1, RelatedPerson: 1, AllergyIntolerance: 2, Observation: 28, MedicationRequest: 2, CarePlan: 2, Encounter: 1, Goal: 1, DocumentReference: 1, Provenance: 1 },
    codes: { AllergyIntolerance: `${RX}|2670`, Observation: `${LN}|3094-0`, MedicationRequest: `${RX}|197380` } },
  'Diagnostic_Imaging_Report.xml': { counts: { Composition: 1, Patient: 1, RelatedPerson: 1, Observation: 6, DocumentReference: 1, Provenance: 1 }, codes: { Observation: `${SCT}|246120007` } },
  'Discharge_Summary.xml': { counts: { Composition: 1, Patient: 1, RelatedPerson: 1, AllergyIntolerance: 3, Observation: 12, Immunization: 1, Goal: 1, Procedure: 1, DocumentReference: 1, Provenance: 1 },
    codes: { AllergyIntolerance: `${RX}|2670`, Observation: `${LN}|3141-9`, Procedure: `${SCT}|6025007` } },
  'History_and_Physical.xml': { counts: { Observation: 21, Composition: 1, Patient: 1, RelatedPerson: 1, AllergyIntolerance: 3, Immunization: 4, Goal: 1, CarePlan: 1, Encounter: 1, Procedure: 2, DocumentReference: 1, Provenance: 1 },
    codes: { Observation: `${LN}|10159-2`, AllergyIntolerance: `${RX}|1191`, Procedure: `${SCT}|73761001` } },
  'Operative_Note.xml': { counts: { Composition: 1, Patient: 1, Procedure: 3, Observation: 7, DocumentReference: 1, Provenance: 1 }, codes: { Procedure: `${SCT}|274025005`, Observation: `${LN}|11323-3` } },
  'Procedure_Note.xml': { counts: { Composition: 1, Patient: 1, RelatedPerson: 1, Procedure: 2, Observation: 5, DocumentReference: 1, Provenance: 1 }, codes: { Procedure: `${SCT}|274025005`, Observation: `${LN}|75321-0` } },
  'Progress_Note.xml': { counts: { Observation: 18, Composition: 1, Patient: 1, RelatedPerson: 1, AllergyIntolerance: 2, CarePlan: 2, Encounter: 1, Goal: 1, DocumentReference: 1, Provenance: 1 },
    codes: { Observation: `${LN}|3094-0`, AllergyIntolerance: `${RX}|2670` } },
  'Referral_Note.xml': { counts: { Composition: 1, Patient: 1, RelatedPerson: 2, Observation: 37, AllergyIntolerance: 2, MedicationRequest: 3, Procedure: 3, CarePlan: 3, Encounter: 1, DocumentReference: 1, Provenance: 1 },
    codes: { Observation: `${LN}|3094-0`, AllergyIntolerance: `${RX}|2670`, MedicationRequest: `${RX}|197380`, Procedure: `${SCT}|103716009` } },
  'Transfer_Summary.xml': { counts: { Composition: 1, Patient: 1, RelatedPerson: 2, AllergyIntolerance: 2, Observation: 42, Condition: 1, Encounter: 2, Immunization: 5, Procedure: 3, MedicationRequest: 4, CarePlan: 3, Goal: 1, DocumentReference: 1, Provenance: 1 },
    codes: { AllergyIntolerance: `${RX}|2670`, Observation: `${LN}|3094-0`, Condition: `${SCT}|32398004`, Procedure: `${SCT}|103716009`, MedicationRequest: `${RX}|197380` } },
};

describe('$import-ccda (C-CDA documents in)', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(() => t.close());

  const post = (xml: string, type = 'application/xml') => t.request('POST', '/fhir/$import-ccda', { body: xml, headers: { 'content-type': type } });
  const count = async () => Number((await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource_version')).rows[0]?.n);
  async function filed(patient: string): Promise<{ counts: Record<string, number>; codes: Set<string> }> {
    const { rows } = await t.carnet.db.query<{ resource_type: string; content: string }>("SELECT resource_type, content FROM resource WHERE patient_id = $1 AND resource_type <> 'Person'", [patient]);
    const counts: Record<string, number> = {};
    const codes = new Set<string>();
    for (const row of rows) {
      counts[row.resource_type] = (counts[row.resource_type] ?? 0) + 1;
      const r = JSON.parse(row.content) as { code?: { coding?: { system?: string; code?: string }[] }; medicationCodeableConcept?: { coding?: { system?: string; code?: string }[] } };
      for (const c of [...(r.code?.coding ?? []), ...(r.medicationCodeableConcept?.coding ?? [])]) codes.add(`${row.resource_type}:${c.system}|${c.code}`);
    }
    return { counts, codes };
  }

  test('a C-CDA is filed best effort: what cannot be mapped is a warning, the rest kept with its original', async () => {
    const xml = readFileSync(new URL('Operative_Note.xml', FIXTURES), 'utf8');
    const r = await post(xml);
    assert.equal(r.status, 201, r.text.slice(0, 400));
    const out = r.body as Parameters;
    const warnings = (param(out, 'outcome')?.resource as { issue: { severity: string; diagnostics?: string }[] }).issue.filter((i) => i.severity === 'warning');
    assert.ok(warnings.some((w) => /PROCEDURE ANESTHESIA.*could not be converted/.test(w.diagnostics ?? '')), JSON.stringify(warnings));
    const patient = param(out, 'patient')?.valueReference?.reference as string;
    const docRef = (await t.request('GET', `/fhir/${param(out, 'documentReference')?.valueReference?.reference}`)).body;
    assert.equal(docRef.content[0].attachment.contentType, 'text/xml');
    const binary = (await t.request('GET', `/fhir/${docRef.content[0].attachment.url}`)).body as { data: string };
    assert.equal(Buffer.from(binary.data, 'base64').toString('utf8'), xml, 'the original XML, byte for byte');
    const provenance = (await t.request('GET', `/fhir/Provenance?entity=${docRef.resourceType}/${docRef.id}`)).body;
    assert.ok(provenance.entry[0].resource.target.some((x: { reference: string }) => x.reference === patient));
    // The same document again: nothing written.
    const before = await count();
    const again = await post(xml);
    assert.equal(again.status, 200);
    assert.equal(param(again.body as Parameters, 'result')?.valueCode, 'unchanged');
    assert.equal(await count(), before);
  });

  test('bad input: malformed XML, XML that is not C-CDA, JSON; XML elsewhere is 415; nothing written', async () => {
    const before = await count();
    const bad: [string, string, RegExp][] = [
      ['malformed', '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>x</ClinicalDocument>', /malformed XML at line 1/],
      ['not CDA', '<Patient xmlns="http://hl7.org/fhir"><id value="x"/></Patient>', /not a CDA document/],
      ['CDA, not C-CDA', '<ClinicalDocument xmlns="urn:hl7-org:v3"><templateId root="1.2.3"/></ClinicalDocument>', /not C-CDA/],
      ['empty', ' ', /empty/],
    ];
    for (const [what, xml, message] of bad) {
      const r = await post(xml);
      assert.equal(r.status, 400, `${what}: ${r.text}`);
      assert.match(JSON.stringify(r.body), message, what);
    }
    assert.equal((await t.request('POST', '/fhir/$import-ccda', { body: { resourceType: 'Bundle' } })).status, 415);
    assert.equal((await post('<Patient/>', 'text/xml').then(() => t.request('POST', '/fhir/Patient', { body: '<Patient/>', headers: { 'content-type': 'application/xml' } }))).status, 415);
    assert.equal(await count(), before);
  });

  test('all 12 C-CDA documents of the shared test data import, with their counts and codes; the MPI finds a patient’s other documents', { skip: !existsSync(SHARED) && 'the shared test data is not here' }, async () => {
    const patients = new Map<string, string[]>();
    for (const [file, expected] of Object.entries(EXPECTED)) {
      const r = await post(readFileSync(new URL(file, SHARED), 'utf8'));
      assert.ok(r.status === 201 || r.status === 200, `${file}: ${r.status} ${r.text.slice(0, 300)}`);
      const patient = (param(r.body as Parameters, 'patient')?.valueReference?.reference as string).split('/')[1] as string;
      const got = await filed(patient);
      assert.deepEqual(got.counts, expected.counts, file);
      for (const [type, code] of Object.entries(expected.codes)) assert.ok(got.codes.has(`${type}:${code}`), `${file}: ${type} ${code}`);
      const name = (await t.request('GET', `/fhir/Patient/${patient}`)).body.name?.[0]?.family as string;
      patients.set(name, [...(patients.get(name) ?? []), patient]);
      assert.ok(await personOf(t, patient), `${file}: the MPI gave the record a Person`);
    }
    assert.equal(Object.keys(EXPECTED).length, 12);
    // Eve Betterhalf, Isabella Jones and Adam Everyman recur across documents: the MPI finds each one's other
    // documents' records as candidates (linked, or for review when the documents disagree on demographics).
    for (const [name, ids] of patients) {
      if (ids.length < 2) continue;
      const last = (await t.request('GET', `/fhir/Patient/${ids[ids.length - 1]}`)).body;
      const match = await t.request('POST', '/fhir/Patient/$match', { body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: last }] } });
      assert.equal(match.status, 200, match.text.slice(0, 300));
      const found = new Set((match.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id));
      assert.ok(ids.slice(0, -1).some((id) => found.has(id)), `${name}: the other documents' records are candidates`);
    }
  });
});

describe('C-CDA conversion repairs (pure)', () => {
  test('dateTimes the converter writes without seconds or with an offset lacking its colon are made R4', () => {
    assert.equal(dateTime('2013-09-21T05:00:-0800'), '2013-09-21T05:00:00-08:00');
    assert.equal(dateTime('2013-09-21T05:00-0800'), '2013-09-21T05:00:00-08:00');
    assert.equal(dateTime('2013-09-21T05:00:12Z'), '2013-09-21T05:00:12Z');
    assert.equal(dateTime('2013-09-21'), '2013-09-21');
  });
  test('empty arrays, objects and strings are left out', () => {
    assert.deepEqual(prune({ a: [], b: {}, c: '', d: [{}, 'x'], e: { f: null, g: 1 } }), { d: ['x'], e: { g: 1 } });
  });
});
