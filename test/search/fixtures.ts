import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';

/**
 * Edge cases for search, as one transaction Bundle with client-chosen ids (PUT): accents, apostrophes and
 * hyphens in French names, partial dates, periods with open ends, time zones, quantities in several units,
 * components, missing and multiple values, absolute and identifier-only references, contained resources.
 */
const BASE = 'http://carnet.test/fhir';
const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const NAM = 'https://www.ramq.gouv.qc.ca/fhir/sid/nam';
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const MRN = 'urn:oid:2.16.124.10.101.1.60.100';

const ucum = (value: number, code: string, unit = code) => ({ value, unit, system: UCUM, code });
const loinc = (code: string, display: string) => ({ coding: [{ system: LOINC, code, display }], text: display });

export const FIXTURE_RESOURCES: Resource[] = [
  { resourceType: 'Organization', id: 'org-cisss', name: 'CISSS de la Montérégie-Centre', identifier: [{ system: 'urn:qc:rss', value: '16' }], address: [{ city: 'Longueuil' }] },
  { resourceType: 'Organization', id: 'org-gmf', name: "GMF Saint-Jean-sur-Richelieu", partOf: { reference: 'Organization/org-cisss' } },
  { resourceType: 'Practitioner', id: 'dr-roy', name: [{ family: 'Roy', given: ['Hélène'], prefix: ['Dre'] }], identifier: [{ system: 'urn:cmq', value: '1-23456' }] },
  {
    resourceType: 'Patient', id: 'p-eloise', gender: 'female', birthDate: '1980-02-29', active: true,
    name: [{ family: 'Tremblay', given: ['Éloïse'] }],
    identifier: [
      { system: NAM, value: 'TREE80522912', type: { coding: [{ system: V2_0203, code: 'JHN' }], text: 'NAM' } },
      { system: MRN, value: '446053', type: { coding: [{ system: V2_0203, code: 'MR' }] } },
    ],
    telecom: [{ system: 'phone', value: '514-555-0101' }, { system: 'email', value: 'eloise@example.org' }],
    address: [{ line: ['123, rue Saint-Denis'], city: 'Montréal', state: 'QC', postalCode: 'H2X 1K3', country: 'CA' }],
    generalPractitioner: [{ reference: 'Practitioner/dr-roy' }],
    managingOrganization: { reference: 'Organization/org-gmf' },
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Éloïse Tremblay, suivie au GMF pour diabète</div>' },
  },
  {
    resourceType: 'Patient', id: 'p-oconnell', gender: 'male', birthDate: '1955', name: [{ family: "O'Connell", given: ['Patrick'] }],
    address: [{ city: 'Sherbrooke', postalCode: 'J1H 5N4' }], managingOrganization: { reference: `${BASE}/Organization/org-cisss` },
    deceasedDateTime: '2021-11-03T08:15:00-04:00',
  },
  { resourceType: 'Patient', id: 'p-conn', gender: 'female', birthDate: '1990-07', name: [{ family: 'Conn', given: ['Liz'] }] },
  { resourceType: 'Patient', id: 'p-ordonez', gender: 'male', birthDate: '1972-12-01', name: [{ family: 'Ordóñez', given: ['Agustín'] }], communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es' }] } }] },
  {
    resourceType: 'Patient', id: 'p-marie-eve', gender: 'female', birthDate: '1988-05-17',
    name: [{ use: 'official', family: 'Côté-Gagnon', given: ['Marie-Ève'] }, { use: 'maiden', family: 'Côté', given: ['Marie-Ève'] }],
    identifier: [{ system: NAM, value: 'COTM88551712' }], link: [{ other: { reference: 'Patient/p-eloise' }, type: 'seealso' }],
  },
  { resourceType: 'Patient', id: 'p-nobody', name: [{ text: 'Inconnu' }] },
  { resourceType: 'Group', id: 'g1', type: 'person', actual: true, name: 'Cohorte diabète' },
  { resourceType: 'Location', id: 'loc-montreal', name: 'CLSC Plateau', position: { latitude: 45.5231, longitude: -73.5817 } },
  { resourceType: 'Location', id: 'loc-quebec', name: 'CLSC Limoilou', position: { latitude: 46.8297, longitude: -71.2366 } },
  // Glucose in mass (mg/dL) and substance (mmol/L) concentrations.
  {
    resourceType: 'Observation', id: 'o-glu-mg', status: 'final', code: loinc('2345-7', 'Glucose [Mass/volume] in Serum or Plasma'),
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    subject: { reference: 'Patient/p-eloise' }, effectiveDateTime: '2023-03-10T08:30:00-05:00', issued: '2023-03-10T14:00:00.000Z',
    valueQuantity: ucum(97, 'mg/dL'), performer: [{ reference: 'Practitioner/dr-roy' }],
    interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'N' }] }],
  },
  {
    resourceType: 'Observation', id: 'o-glu-mmol', status: 'final', code: loinc('14749-6', 'Glucose [Moles/volume] in Serum or Plasma'),
    subject: { reference: `${BASE}/Patient/p-eloise` }, effectiveDateTime: '2023-09-22', valueQuantity: ucum(7.8, 'mmol/L'),
  },
  {
    resourceType: 'Observation', id: 'o-hba1c', status: 'amended', code: loinc('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'),
    subject: { reference: 'Patient/p-eloise' }, effectivePeriod: { start: '2023-06', end: '2023-06-15' }, valueQuantity: ucum(7.2, '%'),
  },
  {
    resourceType: 'Observation', id: 'o-bp', status: 'final', code: loinc('85354-9', 'Blood pressure panel'), subject: { reference: 'Patient/p-oconnell' },
    effectiveDateTime: '2020-01-15T23:30:00+00:00',
    component: [
      { code: loinc('8480-6', 'Systolic blood pressure'), valueQuantity: ucum(142, 'mm[Hg]', 'mmHg') },
      { code: loinc('8462-4', 'Diastolic blood pressure'), valueQuantity: ucum(91, 'mm[Hg]', 'mmHg') },
    ],
  },
  {
    resourceType: 'Observation', id: 'o-bp-low', status: 'final', code: loinc('85354-9', 'Blood pressure panel'), subject: { reference: 'Patient/p-conn' },
    effectiveDateTime: '2020-01-16',
    component: [
      { code: loinc('8480-6', 'Systolic blood pressure'), valueQuantity: ucum(91, 'mm[Hg]', 'mmHg') },
      { code: loinc('8462-4', 'Diastolic blood pressure'), valueQuantity: ucum(60, 'mm[Hg]', 'mmHg') },
    ],
  },
  { resourceType: 'Observation', id: 'o-weight-kg', status: 'final', code: loinc('29463-7', 'Body weight'), subject: { reference: 'Patient/p-conn' }, effectiveDateTime: '2019', valueQuantity: ucum(70, 'kg') },
  { resourceType: 'Observation', id: 'o-weight-lb', status: 'final', code: loinc('29463-7', 'Body weight'), subject: { reference: 'Patient/p-ordonez' }, effectiveDateTime: '2019-12-31T23:59:59Z', valueQuantity: ucum(154.3, '[lb_av]', 'lb') },
  { resourceType: 'Observation', id: 'o-temp-c', status: 'final', code: loinc('8310-5', 'Body temperature'), subject: { reference: 'Patient/p-ordonez' }, effectiveDateTime: '2024-02-01T10:00:00+01:00', valueQuantity: ucum(38.5, 'Cel', '°C') },
  { resourceType: 'Observation', id: 'o-temp-f', status: 'preliminary', code: loinc('8310-5', 'Body temperature'), subject: { reference: 'Patient/p-conn' }, effectiveDateTime: '2024-02-01', valueQuantity: ucum(99.5, '[degF]', '°F') },
  {
    resourceType: 'Observation', id: 'o-smoking', status: 'final', code: loinc('72166-2', 'Tobacco smoking status'), subject: { reference: 'Patient/p-oconnell' },
    effectivePeriod: { start: '2015-01-01' }, valueCodeableConcept: { coding: [{ system: SCT, code: '8517006', display: 'Ex-smoker' }], text: 'Ancien fumeur' },
  },
  { resourceType: 'Observation', id: 'o-note', status: 'final', code: { text: 'Commentaire' }, subject: { reference: 'Patient/p-marie-eve' }, valueString: 'Patiente très motivée' },
  { resourceType: 'Observation', id: 'o-novalue', status: 'cancelled', code: loinc('2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma'), subject: { reference: 'Patient/p-marie-eve' }, dataAbsentReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-performed' }] } },
  { resourceType: 'Observation', id: 'o-chol', status: 'final', code: loinc('2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma'), subject: { reference: 'Patient/p-marie-eve' }, effectiveDateTime: '2022-11-30T12:00:00-05:00', valueQuantity: ucum(5.2, 'mmol/L') },
  {
    resourceType: 'Observation', id: 'o-group', status: 'final', code: loinc('8302-2', 'Body height'), subject: { reference: 'Group/g1' },
    performer: [{ identifier: { system: 'urn:cmq', value: '1-23456' } }], valueQuantity: ucum(1.7, 'm'),
  },
  {
    resourceType: 'Condition', id: 'c-diabetes', subject: { reference: 'Patient/p-eloise' }, onsetDateTime: '2015-04',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: SCT, code: '44054006', display: 'Diabetes mellitus type 2' }, { system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11' }], text: 'Diabète de type 2' },
    recorder: { reference: 'Practitioner/dr-roy' },
  },
  {
    resourceType: 'Condition', id: 'c-hta', subject: { reference: 'Patient/p-oconnell' }, onsetPeriod: { end: '2010-06-30' },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] },
    code: { coding: [{ system: SCT, code: '38341003', display: 'Hypertensive disorder' }], text: 'Hypertension artérielle' },
  },
  {
    resourceType: 'Condition', id: 'c-depression', subject: { reference: 'Patient/p-marie-eve' }, recordedDate: '2021-03-02T09:00:00-05:00',
    code: { coding: [{ system: SCT, code: '35489007', display: 'Depressive disorder' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
  },
  {
    resourceType: 'Encounter', id: 'e-open', status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
    subject: { reference: 'Patient/p-oconnell' }, period: { start: '2021-10-28T22:00:00-04:00' }, serviceProvider: { reference: 'Organization/org-cisss' },
    participant: [{ individual: { reference: 'Practitioner/dr-roy' } }],
  },
  {
    resourceType: 'Encounter', id: 'e-closed', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: 'Patient/p-eloise' }, period: { start: '2023-03-10T08:00:00-05:00', end: '2023-03-10T08:45:00-05:00' },
  },
  { resourceType: 'Encounter', id: 'e-nodate', status: 'planned', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: 'Patient/p-conn' } },
  {
    resourceType: 'MedicationRequest', id: 'mr-metformin', status: 'active', intent: 'order', subject: { reference: 'Patient/p-eloise' }, authoredOn: '2023-03-10',
    medicationReference: { reference: '#med1' }, requester: { reference: 'Practitioner/dr-roy' },
    contained: [{ resourceType: 'Medication', id: 'med1', code: { coding: [{ system: 'http://www.whocc.no/atc', code: 'A10BA02', display: 'metformin' }] } }],
  },
  {
    resourceType: 'MedicationRequest', id: 'mr-stopped', status: 'stopped', intent: 'order', subject: { reference: 'Patient/p-oconnell' }, authoredOn: '2019-05-05',
    medicationCodeableConcept: { coding: [{ system: 'http://www.whocc.no/atc', code: 'C09AA05', display: 'ramipril' }] },
  },
  { resourceType: 'Medication', id: 'med-ramipril', code: { coding: [{ system: 'http://www.whocc.no/atc', code: 'C09AA05' }] } },
  {
    resourceType: 'DiagnosticReport', id: 'dr-lab', status: 'final', code: loinc('24323-8', 'Comprehensive metabolic panel'), subject: { reference: 'Patient/p-eloise' },
    effectiveDateTime: '2023-03-10', result: [{ reference: 'Observation/o-glu-mg' }, { reference: 'Observation/o-hba1c' }], conclusion: 'Glycémie normale, HbA1c élevée.',
  },
  {
    resourceType: 'Provenance', id: 'prov-lab', recorded: '2023-03-10T14:00:00Z', target: [{ reference: 'DiagnosticReport/dr-lab' }, { reference: 'Observation/o-glu-mg' }],
    agent: [{ who: { reference: 'Organization/org-cisss' } }],
  },
  { resourceType: 'List', id: 'list-watch', status: 'current', mode: 'working', entry: [{ item: { reference: 'Patient/p-eloise' } }, { item: { reference: 'Patient/p-conn' } }] },
  { resourceType: 'RiskAssessment', id: 'ra-point', status: 'final', subject: { reference: 'Patient/p-oconnell' }, prediction: [{ probabilityDecimal: 0.15 }] },
  { resourceType: 'RiskAssessment', id: 'ra-range', status: 'final', subject: { reference: 'Patient/p-eloise' }, prediction: [{ probabilityRange: { low: { value: 20, unit: '%', system: UCUM, code: '%' }, high: { value: 40, unit: '%', system: UCUM, code: '%' } } }] },
  {
    resourceType: 'ValueSet', id: 'vs-glucose', url: 'http://carnet.test/ValueSet/glucose', status: 'active',
    compose: { include: [{ system: LOINC, concept: [{ code: '2345-7' }, { code: '14749-6' }, { code: '2339-0' }] }] },
  },
  {
    resourceType: 'CodeSystem', id: 'cs-care', url: 'http://carnet.test/CodeSystem/care', status: 'active', content: 'complete',
    concept: [{ code: 'chronic', display: 'Maladie chronique', concept: [{ code: 'diabetes', display: 'Diabète', concept: [{ code: 'dm2', display: 'Diabète type 2' }] }, { code: 'copd', display: 'MPOC' }] }],
  },
  {
    resourceType: 'Basic', id: 'flag-dm2', subject: { reference: 'Patient/p-eloise' },
    code: { coding: [{ system: 'http://carnet.test/CodeSystem/care', code: 'dm2' }] },
  },
  {
    resourceType: 'Basic', id: 'flag-copd', subject: { reference: 'Patient/p-oconnell' },
    code: { coding: [{ system: 'http://carnet.test/CodeSystem/care', code: 'copd' }] },
  },
  {
    resourceType: 'QuestionnaireResponse', id: 'qr-phq9', status: 'completed', subject: { reference: 'Patient/p-marie-eve' },
    questionnaire: 'http://carnet.test/Questionnaire/phq9|2.0', authored: '2021-03-02',
  },
];

export function fixtureBundle(): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: FIXTURE_RESOURCES.map((resource): BundleEntry => ({
      fullUrl: `${BASE}/${resource.resourceType}/${resource.id}`,
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  };
}
