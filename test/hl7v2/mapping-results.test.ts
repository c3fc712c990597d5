import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DiagnosticReport, Observation, Patient } from '@medplum/fhirtypes';
import { codeMapsOf } from '../../src/hl7v2/gateway/concept-maps.js';
import { fixture, map, message, problemOf } from './support.js';

/** ORU^R01 → DiagnosticReport + Observation, pure (no database), on real samples and on focused messages. */

const MSH = 'MSH|^~\\&|LIS|CHUM^2.16.124.10.101.1.60.100^ISO|CARNET|QC|20240305101500-0500||ORU^R01^ORU_R01|LAB-1|P|2.5.1';
const PID = 'PID|1||H123456^^^CHUM&2.16.124.10.101.1.60.100&ISO^MR~TREM12345678^^^RAMQ^JHN||Tremblay^Zoé^^^^^L||19800412|F';
const OBR = 'OBR|1|ORD-77^EMR|ACC-1^LIS|24331-1^Lipid panel^LN|||202403050815|||||||||||||||202403051000|||F';

describe('ORU^R01 mapping', () => {
  test('the valid PHLIP influenza message: one report, three coded results, LOINC kept', () => {
    const run = map(fixture('ORU/cdc__PHLIP_FLU_2.5.1_VALID_MESSAGE.hl7'));
    const [report] = run.of<DiagnosticReport>('DiagnosticReport');
    const observations = run.of<Observation>('Observation');
    assert.equal(observations.length, 3);
    assert.equal(report?.status, 'final');
    assert.equal(report?.code.coding?.[0]?.system, 'http://loinc.org');
    assert.equal(report?.code.coding?.[0]?.code, '95422-2');
    assert.deepEqual(report?.result?.length, 3);
    const flub = observations.find((o) => o.code.coding?.[0]?.code === '92141-1');
    assert.equal(flub?.valueCodeableConcept?.coding?.[0]?.system, 'http://snomed.info/sct');
    assert.equal(flub?.valueCodeableConcept?.coding?.[0]?.code, '260373001');
    assert.equal(flub?.status, 'final');
    assert.equal(flub?.effectiveDateTime, '2022-11-16T01:00:00.000-05:00');
    // PID-3 with an ISO OID assigning authority becomes urn:oid:
    const [patient] = run.of<Patient>('Patient');
    assert.equal(patient?.identifier?.[0]?.system, 'urn:oid:2.16.840.1.113883.3.8589.4.2.78.1');
    assert.equal(patient?.birthDate, '2007-02-09');
    assert.equal(run.mapped.patients[0]?.mode, 'reference', 'results only refer to the patient');
  });

  test('a CBC panel: numbers with UCUM units, reference ranges, statuses per result', () => {
    const run = map(fixture('ORU/msfc__LAB-ORU-1.hl7'));
    const observations = run.of<Observation>('Observation');
    assert.equal(observations.length, 10);
    const rbc = observations.find((o) => o.code.coding?.[0]?.code === '11273-0');
    assert.deepEqual(rbc?.valueQuantity, { value: 4.06, unit: 'tera.l-1', system: 'http://unitsofmeasure.org', code: '10*12/L' });
    assert.equal(rbc?.status, 'preliminary');
    const wbc = observations.find((o) => o.code.coding?.[0]?.code === '11156-7');
    assert.equal(wbc?.status, 'registered');
    assert.equal(wbc?.valueQuantity, undefined, 'a pending result has no value');
    assert.equal(run.of<DiagnosticReport>('DiagnosticReport').length, 2);
  });

  test('values by type: NM, SN (comparator, range, ratio), ST, TM, DT; ranges, flags, notes; the sender time zone', () => {
    const run = map(message(MSH, PID, OBR,
      'OBX|1|NM|2093-3^Cholesterol^LN||5.9|mmol/L^^UCUM|<5.2|H|||F|||202403050900',
      'NTE|1||Fasting sample',
      'OBX|2|SN|2571-8^Triglyceride^LN||<^0.5|mmol/L|0.5-1.7|N|||F',
      'OBX|3|SN|5403-1^Titer^LN||^1^:^64||||||F',
      'OBX|4|SN|1234-5^Range^LN||^2^-^4|K/uL|||||C',
      'OBX|5|ST|8251-1^Comment^LN||Hémolysé \\T\\ lipémique||||||F',
      'OBX|6|TM|1111-1^Time^LN||0830||||||F',
      'OBX|7|DT|2222-2^Date^LN||20240301||||||F',
      'OBX|8|NM|3333-3^Odd^LN||12|beats/min|60-100|HH~A|||F',
    ));
    const byCode = (code: string) => run.of<Observation>('Observation').find((o) => o.code.coding?.[0]?.code === code) as Observation;
    const chol = byCode('2093-3');
    assert.deepEqual(chol.valueQuantity, { value: 5.9, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' });
    assert.deepEqual(chol.referenceRange, [{ high: { value: 5.2, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' } }]);
    assert.equal(chol.interpretation?.[0]?.coding?.[0]?.code, 'H');
    assert.equal(chol.interpretation?.[0]?.coding?.[0]?.system, 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation');
    assert.deepEqual(chol.note, [{ text: 'Fasting sample' }]);
    assert.equal(chol.effectiveDateTime, '2024-03-05T09:00:00-05:00', 'no offset: the sender time zone (America/Toronto, EST)');
    assert.equal(chol.issued, '2024-03-05T10:00:00-05:00');
    assert.equal(byCode('2571-8').valueQuantity?.comparator, '<');
    assert.deepEqual(byCode('5403-1').valueRatio, { numerator: { value: 1 }, denominator: { value: 64 } });
    const range = byCode('1234-5');
    assert.equal(range.valueRange?.low?.code, '10*3/uL', 'K/uL is thousands per microlitre, never kelvin');
    assert.equal(range.status, 'corrected');
    assert.equal(byCode('8251-1').valueString, 'Hémolysé & lipémique');
    assert.equal(byCode('1111-1').valueTime, '08:30:00');
    assert.equal(byCode('2222-2').valueDateTime, '2024-03-01');
    const odd = byCode('3333-3');
    assert.equal(odd.valueQuantity?.code, '/min');
    assert.deepEqual(odd.interpretation?.map((i) => i.coding?.[0]?.code), ['HH', 'A']);
  });

  test('identifiers are stable across a correction: same report and result keys, status corrected', () => {
    const original = map(message(MSH, PID, OBR, 'OBX|1|NM|2093-3^Cholesterol^LN||5.9|mmol/L|||||F'));
    const corrected = map(message(MSH.replace('LAB-1', 'LAB-2'), PID, OBR.replace('|||F', '|||C'), 'OBX|1|NM|2093-3^Cholesterol^LN||5.2|mmol/L|||||C'));
    const key = (run: ReturnType<typeof map>, type: string) => run.mapped.resources.find((r) => r.resource.resourceType === type)?.identifier;
    assert.deepEqual(key(original, 'Observation'), key(corrected, 'Observation'));
    assert.deepEqual(key(original, 'DiagnosticReport'), key(corrected, 'DiagnosticReport'));
    assert.equal(corrected.of<Observation>('Observation')[0]?.status, 'corrected');
    assert.equal(corrected.of<DiagnosticReport>('DiagnosticReport')[0]?.status, 'corrected');
    assert.equal(key(original, 'Observation')?.system, 'urn:carnet:hl7v2:LIS:2.16.124.10.101.1.60.100:aa:LIS', 'the filler namespace, scoped to the sender');
  });

  test('a local OBX-3 code is translated to LOINC through the sender ConceptMap; the local coding is kept', () => {
    const codeMaps = codeMapsOf([{
      resourceType: 'ConceptMap', status: 'active',
      group: [{ source: 'urn:carnet:hl7v2:LIS:2.16.124.10.101.1.60.100:cs:99CHUM', target: 'http://loinc.org', element: [{ code: 'GLU', target: [{ code: '2345-7', display: 'Glucose SerPl-mCnc', equivalence: 'equivalent' }] }] }],
    }]);
    const run = map(message(MSH, PID, OBR, 'OBX|1|NM|GLU^Glucose^99CHUM||5.4|mmol/L|||||F'), { codeMaps });
    const obs = run.of<Observation>('Observation')[0] as Observation;
    assert.deepEqual(obs.code.coding?.map((c) => `${c.system}|${c.code}`), [
      'http://loinc.org|2345-7',
      'urn:carnet:hl7v2:LIS:2.16.124.10.101.1.60.100:cs:99CHUM|GLU',
    ]);
  });

  test('per-sender overrides: a coding system URI, a unit, a value table and a moved field', () => {
    const senders = {
      senders: [{
        application: 'LIS', codingSystems: { '99CHUM': 'https://chum.example/lab-codes' }, units: { 'mmol/l': 'mmol/L' },
        tables: { 'abnormal-flag': { '+': 'H' } }, fields: { 'Observation.effectiveDateTime': 'OBX-19' },
      }],
    };
    const run = map(message(MSH, PID, OBR, 'OBX|1|NM|GLU^Glucose^99CHUM||5.4|mmol/l||+|||F|||202403050900|||||202403050930'), { senders });
    const obs = run.of<Observation>('Observation')[0] as Observation;
    assert.equal(obs.code.coding?.[0]?.system, 'https://chum.example/lab-codes');
    assert.equal(obs.valueQuantity?.code, 'mmol/L');
    assert.equal(obs.interpretation?.[0]?.coding?.[0]?.code, 'H');
    assert.equal(obs.effectiveDateTime, '2024-03-05T09:30:00-05:00');
  });

  test('problems name their segment and field', () => {
    const notNumber = problemOf(() => map(message(MSH, PID, OBR, 'OBX|1|NM|2093-3^Chol^LN||high|mmol/L|||||F')));
    assert.equal(notNumber.code, '102');
    assert.deepEqual(notNumber.at, { segment: 'OBX', sequence: 1, field: 5, repetition: 1, component: 1 });
    const noStatus = problemOf(() => map(message(MSH, PID, OBR, 'OBX|1|NM|2093-3^Chol^LN||5|mmol/L')));
    assert.equal(noStatus.code, '101');
    assert.equal(noStatus.at?.field, 11);
    const badStatus = problemOf(() => map(message(MSH, PID, OBR, 'OBX|1|NM|2093-3^Chol^LN||5|mmol/L|||||Q')));
    assert.equal(badStatus.code, '103');
    const badType = problemOf(() => map(message(MSH, PID, OBR, 'OBX|1|ZZ|2093-3^Chol^LN||5||||||F')));
    assert.deepEqual([badType.code, badType.at?.field], ['102', 2]);
    const orphan = problemOf(() => map(message(MSH, PID, 'OBX|1|NM|2093-3^Chol^LN||5||||||F')));
    assert.equal(orphan.code, '100');
    const noPatient = problemOf(() => map(message(MSH, OBR)));
    assert.deepEqual([noPatient.code, noPatient.at?.segment], ['101', 'PID']);
    const duplicate = problemOf(() => map(message(MSH, PID, OBR, 'OBX|1|NM|2093-3^Chol^LN||5||||||F', 'OBX|2|NM|2093-3^Chol^LN||6||||||F')));
    assert.deepEqual([duplicate.code, duplicate.at?.segment, duplicate.at?.sequence], ['205', 'OBX', 2]);
    const noOrderNumber = problemOf(() => map(message(MSH, PID, 'OBR|1|||24331-1^Lipid panel^LN', 'OBX|1|NM|2093-3^Chol^LN||5||||||F')));
    assert.deepEqual([noOrderNumber.code, noOrderNumber.at?.field], ['101', 3]);
    const impossibleDate = problemOf(() => map(message(MSH, PID, OBR, 'OBX|1|NM|2093-3^Chol^LN||5||||||F|||20230229')));
    assert.deepEqual([impossibleDate.code, impossibleDate.at?.field], ['102', 14]);
  });

  test('an embedded PDF (ED) is attached to the report, never in place of the structured results', () => {
    const pdf = Buffer.from('%PDF-1.4 test').toString('base64');
    const run = map(message(MSH, PID, OBR, 'OBX|1|NM|2093-3^Chol^LN||5.9|mmol/L|||||F', `OBX|2|ED|PDF^Report^L||^application^pdf^Base64^${pdf}||||||F`));
    const report = run.of<DiagnosticReport>('DiagnosticReport')[0] as DiagnosticReport;
    assert.deepEqual(report.presentedForm, [{ contentType: 'application/pdf', data: pdf }]);
    assert.equal(run.of<Observation>('Observation').length, 1);
  });

  test('one accession number shared by several OBRs (Mumps VPD sample) gives distinct report keys', () => {
    const run = map(fixture('ORU/cdc__Mumps-VPD.hl7'));
    const keys = run.mapped.resources.filter((r) => r.resource.resourceType === 'DiagnosticReport').map((r) => r.identifier?.value);
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(keys.length, 2);
  });
});
