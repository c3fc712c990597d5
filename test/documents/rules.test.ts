import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Resource } from '@medplum/fhirtypes';
import { dedupe } from '../../src/documents/ips/dedupe.js';
import { medicationLines } from '../../src/documents/ips/medications.js';
import { escapeXhtml, sectionNarrative, valueText } from '../../src/documents/ips/narrative.js';
import { nameUuid, rewriteReferences } from '../../src/documents/ips/references.js';
import { DEFAULT_RULES, mergeRules, SELECTORS } from '../../src/documents/ips/rules.js';
import { selectSections } from '../../src/documents/ips/selection.js';
import { negotiateLanguage } from '../../src/documents/language.js';

/** The IPS section rules, medications, de-duplication, narratives and references: pure, no database. */
const NOW = new Date('2026-06-30T12:00:00Z');
const SCT = 'http://snomed.info/sct';
const ICD = 'https://fhir.infoway-inforoute.ca/CodeSystem/icd10ca';
const LOINC = 'http://loinc.org';
const ATC = 'http://www.whocc.no/atc';
const clinical = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code }] });
const category = (code: string) => [{ coding: [{ code }] }];
const R = (r: Record<string, unknown>) => r as unknown as Resource;
const ids = (list: readonly Resource[]) => list.map((r) => r.id);

const condition = (id: string, codes: [string, string][], status: string, extra: Record<string, unknown> = {}) => R({
  resourceType: 'Condition', id, clinicalStatus: clinical(status), code: { coding: codes.map(([system, code]) => ({ system, code })) },
  subject: { reference: 'Patient/p1' }, category: category('problem-list-item'), onsetDateTime: '2024-01-01', ...extra,
});
const observation = (id: string, code: string, date: string, cat = 'laboratory', value = 1) => R({
  resourceType: 'Observation', id, status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: cat }] }],
  code: { coding: [{ system: LOINC, code }] }, subject: { reference: 'Patient/p1' }, effectiveDateTime: date, valueQuantity: { value, unit: 'mmol/L' },
});

describe('IPS section rules', () => {
  test('problems: active, not refuted or entered in error, recent encounter diagnoses only, each problem once across sources', () => {
    const all = [
      condition('htn-clinic', [[SCT, '59621000']], 'active'),
      condition('htn-hospital', [[SCT, '59621000'], [ICD, 'I10']], 'active', { onsetDateTime: '2023-05-01' }),
      condition('flu', [[SCT, '6142004']], 'resolved', { abatementDateTime: '2024-01-15' }),
      condition('typo', [[SCT, '44054006']], 'active', { verificationStatus: { coding: [{ code: 'entered-in-error' }] } }),
      condition('old-visit-dx', [[SCT, '36971009']], 'active', { category: category('encounter-diagnosis'), onsetDateTime: '2022-02-01' }),
      condition('new-visit-dx', [[SCT, '195662009']], 'active', { category: category('encounter-diagnosis'), onsetDateTime: '2026-06-01' }),
    ];
    assert.deepEqual(ids(SELECTORS.problems(all, DEFAULT_RULES, NOW)), ['new-visit-dx', 'htn-clinic']);
    assert.deepEqual(ids(SELECTORS.pastIllness(all, DEFAULT_RULES, NOW)), ['flu']);
    const longer = mergeRules({ problems: { encounterDiagnosisMonths: 60 } });
    assert.ok(ids(SELECTORS.problems(all, longer, NOW)).includes('old-visit-dx'), 'the recency rule is configurable');
  });

  test('a condition resolved in one source and active in another is a current problem, not past history', () => {
    const all = [condition('a', [[SCT, '73211009']], 'active'), condition('b', [[SCT, '73211009']], 'resolved')];
    assert.deepEqual(ids(SELECTORS.pastIllness(all, DEFAULT_RULES, NOW)), []);
  });

  test('allergies: active (or without a clinical status), never entered in error', () => {
    const allergy = (id: string, extra: Record<string, unknown>) => R({ resourceType: 'AllergyIntolerance', id, patient: { reference: 'Patient/p1' }, code: { coding: [{ system: SCT, code: id }] }, ...extra });
    const all = [allergy('a', { clinicalStatus: { coding: [{ code: 'active' }] } }), allergy('b', { clinicalStatus: { coding: [{ code: 'inactive' }] } }), allergy('c', {}),
      allergy('d', { verificationStatus: { coding: [{ code: 'entered-in-error' }] } })];
    assert.deepEqual(ids(SELECTORS.allergies(all, DEFAULT_RULES, NOW)).sort(), ['a', 'c']);
  });

  test('results and vital signs: the latest per analyte within the window, two sources of one measurement once', () => {
    const all = [
      observation('hba1c-old', '4548-4', '2025-01-10'), observation('hba1c-new', '4548-4', '2026-03-10'), observation('hba1c-lab2', '4548-4', '2026-03-10'),
      observation('ldl-ancient', '39469-2', '2021-01-01'), observation('bp', '85354-9', '2026-05-01', 'vital-signs'), observation('bp-old', '85354-9', '2025-05-01', 'vital-signs'),
      R({ ...observation('smoker', '72166-2', '2026-01-01', 'social-history') }),
    ];
    const latest = SELECTORS.results(all, DEFAULT_RULES, NOW);
    assert.equal(latest.length, 1, 'one HbA1c, the latest (two labs reported the same sample)');
    assert.equal((latest[0] as unknown as { effectiveDateTime: string }).effectiveDateTime, '2026-03-10');
    assert.deepEqual(ids(SELECTORS.vitalSigns(all, DEFAULT_RULES, NOW)), ['bp']);
    assert.deepEqual(ids(SELECTORS.socialHistory(all, DEFAULT_RULES, NOW)), ['smoker']);
    assert.deepEqual(ids(SELECTORS.results(all, mergeRules({ results: { labMonths: 120 } }), NOW)).sort(), ['hba1c-lab2', 'ldl-ancient']);
  });

  test('immunizations: completed ones, the same dose from the clinic and the pharmacy once', () => {
    const dose = (id: string, date: string, status = 'completed') => R({ resourceType: 'Immunization', id, status, vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '197' }] }, patient: { reference: 'Patient/p1' }, occurrenceDateTime: date });
    const all = [dose('clinic', '2025-10-01T10:00:00-04:00'), dose('pharmacy', '2025-10-01T15:00:00-04:00'), dose('last-year', '2024-10-03'), dose('refused', '2026-01-01', 'not-done')];
    assert.deepEqual(ids(SELECTORS.immunizations(all, DEFAULT_RULES, NOW)), ['pharmacy', 'last-year']);
  });

  test('rules overrides are checked: unknown sections, rules and types are refused', () => {
    assert.throws(() => mergeRules({ nothing: {} }), /unknown section/);
    assert.throws(() => mergeRules({ problems: { colour: 1 } }), /unknown rule/);
    assert.throws(() => mergeRules({ vitalSigns: { months: 'twelve' } }), /wrong type/);
    assert.equal(mergeRules({ vitalSigns: { months: 6 } }).vitalSigns.months, 6);
  });

  test('de-duplication keeps the first of each set of facts sharing a key', () => {
    assert.deepEqual(dedupe([{ k: ['a', 'b'] }, { k: ['b'] }, { k: ['c'] }, { k: [] }, { k: [] }], (x) => x.k).length, 3 + 1);
  });
});

describe('medications: current and past, from requests, dispenses and statements', () => {
  const request = (id: string, atc: string, status: string, authoredOn: string, end?: string) => R({
    resourceType: 'MedicationRequest', id, status, intent: 'order', subject: { reference: 'Patient/clinic' }, authoredOn,
    medicationCodeableConcept: { coding: [{ system: ATC, code: atc }], text: atc }, dosageInstruction: [{ text: `dose ${id}` }],
    ...(end ? { dispenseRequest: { validityPeriod: { start: authoredOn.slice(0, 10), end } } } : {}),
    ...(status === 'stopped' ? { statusReason: { text: 'myalgies' } } : {}),
  });
  const dispense = (id: string, atc: string, handedOver: string, days = 90) => R({
    resourceType: 'MedicationDispense', id, status: 'completed', subject: { reference: 'Patient/pharmacy' },
    medicationCodeableConcept: { coding: [{ system: ATC, code: atc }] }, whenHandedOver: handedOver, daysSupply: { value: days },
  });
  const lines = (all: Resource[]) => medicationLines(all, DEFAULT_RULES, NOW, 'Patient/p1', (k) => nameUuid(k));

  test('a prescription and the pharmacy’s dispenses of the same drug are one current line derived from both', () => {
    const result = lines([request('mr', 'C09AA05', 'active', '2026-01-10', '2027-01-10'), dispense('md-1', 'C09AA05', '2026-01-12'), dispense('md-2', 'C09AA05', '2026-04-12')]);
    assert.equal(result.length, 1);
    const [line] = result;
    assert.equal(line?.current, true);
    assert.equal(line?.statement.status, 'active');
    assert.deepEqual(line?.statement.derivedFrom?.map((d) => d.reference), ['MedicationRequest/mr', 'MedicationDispense/md-2']);
    assert.equal(line?.statement.subject.reference, 'Patient/p1');
    assert.equal(line?.statement.dosage?.[0]?.text, 'dose mr');
  });

  test('dispenses alone: current while the supply lasts (with grace), past after, gone after the window', () => {
    assert.equal(lines([dispense('d', 'A10BA02', '2026-05-10', 30)])[0]?.current, true);
    const past = lines([dispense('d', 'A10BA02', '2026-01-01', 30)]);
    assert.equal(past[0]?.current, false);
    assert.equal(past[0]?.statement.status, 'completed');
    assert.deepEqual(lines([dispense('d', 'A10BA02', '2024-01-01', 30)]), []);
  });

  test('a stop ends earlier evidence: a statin stopped after its last dispense is past, with the reason', () => {
    const result = lines([dispense('d', 'C10AA05', '2026-05-01', 90), request('stop', 'C10AA05', 'stopped', '2026-01-01', '2026-05-20')]);
    assert.equal(result[0]?.current, false);
    assert.equal(result[0]?.statement.status, 'stopped');
    assert.equal(result[0]?.statement.statusReason?.[0]?.text, 'myalgies');
  });

  test('current lines first; cancelled and entered-in-error requests are no evidence', () => {
    const result = lines([dispense('old', 'N06AB06', '2026-01-01', 30), request('now', 'C09AA05', 'active', '2026-06-01'), request('x', 'B01AC06', 'cancelled', '2026-06-01'), request('y', 'B01AC06', 'entered-in-error', '2026-06-01')]);
    assert.deepEqual(result.map((l) => [l.current, l.statement.medicationCodeableConcept?.coding?.[0]?.code]), [[true, 'C09AA05'], [false, 'N06AB06']]);
  });
});

describe('selection under consent, narratives, references, languages', () => {
  test('a section whose rule would show a hidden entry says data was withheld; nothing hidden reaches the entries', () => {
    const visible = [condition('htn', [[SCT, '59621000']], 'active')];
    const hidden = [condition('dep', [[SCT, '35489007']], 'active')];
    const s = selectSections({ visible, hidden, rules: DEFAULT_RULES, now: NOW, subject: 'Patient/p1', idFor: nameUuid });
    const problems = s.sections.find((x) => x.def.key === 'problems');
    assert.deepEqual(ids(problems?.entries ?? []), ['htn']);
    assert.equal(problems?.withheld, true);
    assert.equal(s.sections.find((x) => x.def.key === 'allergies')?.withheld, false);
    assert.match(sectionNarrative('problems', problems?.entries ?? [], true, 'en').div, /withheld/);
    assert.match(sectionNarrative('allergies', [], false, 'fr').div, /Aucune information disponible/);
  });

  test('narratives escape what they take from resources and speak the reader’s language', () => {
    assert.equal(escapeXhtml('<b>&"'), '&lt;b&gt;&amp;&quot;');
    const c = condition('x', [[SCT, '1']], 'active', { code: { coding: [{ system: SCT, code: '1', display: 'Essential hypertension' }], text: 'hypertension <essentielle>' } });
    assert.match(sectionNarrative('problems', [c], false, 'fr').div, /hypertension &lt;essentielle&gt;.*actif/);
    assert.match(sectionNarrative('problems', [c], false, 'en').div, /Essential hypertension.*active/);
    assert.equal(valueText({ valueQuantity: { value: 7.2, unit: '%' } }, 'fr'), '7,2 %');
    assert.equal(valueText({ component: [{ valueQuantity: { value: 131, unit: 'mmHg' } }, { valueQuantity: { value: 66, unit: 'mmHg' } }] }, 'en'), '131/66 mmHg');
  });

  test('references point at fullUrls; one to something outside the document keeps only its display', () => {
    const urls = new Map([['Patient/p1', 'urn:uuid:1'], ['Organization/o', 'urn:uuid:2']]);
    const out = rewriteReferences(R({ resourceType: 'Observation', id: 'o', subject: { reference: 'Patient/p1' }, performer: [{ reference: 'http://carnet.test/fhir/Organization/o' }],
      encounter: { reference: 'Encounter/e', display: 'Visite' }, hasMember: [{ reference: 'Observation/z' }] }), urls, 'http://carnet.test/fhir') as unknown as Record<string, unknown>;
    assert.deepEqual(out.subject, { reference: 'urn:uuid:1' });
    assert.deepEqual(out.performer, [{ reference: 'urn:uuid:2' }]);
    assert.deepEqual(out.encounter, { display: 'Visite' });
    assert.deepEqual(out.hasMember, [{ display: 'Observation' }]);
    assert.equal(nameUuid('x'), nameUuid('x'));
    assert.match(nameUuid('x'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('language: _language, then Accept-Language with q-values, French by default', () => {
    assert.equal(negotiateLanguage(null, undefined), 'fr');
    assert.equal(negotiateLanguage('en', 'fr'), 'en');
    assert.equal(negotiateLanguage('de', undefined), undefined);
    assert.equal(negotiateLanguage(null, 'de-DE, en;q=0.8, fr;q=0.9'), 'fr');
    assert.equal(negotiateLanguage(null, 'en-CA,en;q=0.9'), 'en');
    assert.equal(negotiateLanguage(null, 'de'), 'fr');
  });
});
