import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type {
  Appointment, DiagnosticReport, DocumentReference, Encounter, Immunization, MedicationDispense, MedicationRequest, Patient,
} from '@medplum/fhirtypes';
import { fixture, map, message, problemOf } from './support.js';

/** ADT, pharmacy, documents, scheduling and immunization mappings, pure, on the real samples. */

describe('ADT mapping', () => {
  test('A01 (HAPI example): demographics upserted, Encounter by visit number with class, period, attending', () => {
    const run = map(fixture('ADT/hapi__ADT_A01.hl7'));
    const [patient] = run.of<Patient>('Patient');
    assert.equal(run.mapped.patients[0]?.mode, 'upsert', 'ADT owns demographics');
    assert.deepEqual(patient?.name?.[0], { family: 'Duck', given: ['Donald'], prefix: ['MR.'], suffix: ['MR.'] });
    assert.equal(patient?.gender, 'male');
    assert.equal(patient?.birthDate, '1972-02-27');
    assert.equal(patient?.address?.[0]?.city, 'TORONTO');
    // PID-3 "2216506^" has no assigning authority: a system scoped to the sender and the id type
    assert.equal(patient?.identifier?.[0]?.system, 'urn:carnet:hl7v2:system1:W:id:unknown');
    const [encounter] = run.of<Encounter>('Encounter');
    assert.equal(encounter?.status, 'in-progress');
    assert.equal(encounter?.class.code, 'UNK', 'PV1-2 patient class is empty in this message');
    assert.equal(encounter?.identifier?.[0]?.value, '211004554');
    assert.equal(encounter?.period?.start, '2001-05-23T19:27:00-04:00');
    assert.equal(encounter?.participant?.[0]?.individual?.display, 'DR. MICKEY M MOUSE');
  });

  test('A03 discharge finishes the visit; A11 cancels it; A28/A31 carry the person only', () => {
    assert.equal(map(fixture('ADT/msfc__ADT-A03-01.hl7')).of<Encounter>('Encounter')[0]?.status, 'finished');
    assert.equal(map(fixture('ADT/msfc__ADT-A11-01.hl7')).of<Encounter>('Encounter')[0]?.status, 'cancelled');
    const person = map(fixture('ADT/msfc__ADT-A28-01.hl7'));
    assert.equal(person.of<Encounter>('Encounter').length, 0);
    assert.equal(person.of<Patient>('Patient').length, 1);
  });

  test('a visit without a number (PV1-19) is not recorded, and the ACK says so with a warning', () => {
    const run = map(message(
      'MSH|^~\\&|ADT|HOSP|CARNET|QC|202403051015||ADT^A04^ADT_A04|A-1|P|2.5.1',
      'PID|1||123^^^HOSP^MR||Roy^Léa||19900101|F',
      'PV1|1|O|CLINIC',
    ));
    assert.equal(run.of<Encounter>('Encounter').length, 0);
    assert.deepEqual(run.warnings.map((w) => [w.code, w.severity, w.at?.field]), [['101', 'W', 19]]);
  });

  test('A40 (two PID/MRG pairs): each surviving patient upserted and a merge plan per prior identifier', () => {
    const run = map(fixture('ADT/msfc__ADT-A40-02.hl7'));
    assert.equal(run.mapped.patients.length, 2);
    assert.deepEqual(run.mapped.merges.map((m) => m.merged.map((i) => i.value)), [['56789'], ['569']]);
    assert.equal(run.mapped.merges[0]?.survivorRef, run.mapped.patients[0]?.ref);
    const noMrg = problemOf(() => map(message(
      'MSH|^~\\&|ADT|HOSP|CARNET|QC|202403051015||ADT^A40^ADT_A39|A-2|P|2.5.1',
      'PID|1||123^^^HOSP^MR||Roy^Léa',
    )));
    assert.deepEqual([noMrg.code, noMrg.at?.segment], ['101', 'MRG']);
  });
});

describe('pharmacy mapping', () => {
  test('RDE^O11: MedicationRequest with drug code, dose, route, dispense quantity and refills', () => {
    const [request] = map(fixture('RDE/msfc__RDE-O11-01.hl7')).of<MedicationRequest>('MedicationRequest');
    assert.equal(request?.intent, 'order');
    assert.equal(request?.status, 'active');
    assert.ok(request?.medicationCodeableConcept?.coding?.[0]?.code);
    assert.ok(request?.identifier?.some((i) => i.type?.coding?.[0]?.code === 'PLAC'));
  });

  test('DIN and ATC codes keep their Canadian and WHO systems', () => {
    const run = map(message(
      'MSH|^~\\&|PHARM|JEAN-COUTU|CARNET|QC|202403051015-0500||RDE^O11^RDE_O11|R-1|P|2.5.1',
      'PID|1||123^^^RAMQ^JHN||Roy^Léa||19900101|F',
      'ORC|NW|RX-1^EMR|||||||202403051000-0500|||2001^Gagnon^Marc',
      'RXE|^BID|02242903^Metformin 500 mg^DIN^A10BA02^metformin^ATC|500||mg^^UCUM|||||60|TAB|2',
      'RXR|PO^Oral^HL70162',
    ));
    const [request] = run.of<MedicationRequest>('MedicationRequest');
    assert.deepEqual(request?.medicationCodeableConcept?.coding?.map((c) => `${c.system}|${c.code}`), [
      'http://hl7.org/fhir/NamingSystem/ca-hc-din|02242903',
      'http://www.whocc.no/atc|A10BA02',
    ]);
    assert.deepEqual(request?.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity, { value: 500, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });
    assert.equal(request?.dosageInstruction?.[0]?.route?.coding?.[0]?.system, 'http://terminology.hl7.org/CodeSystem/v2-0162');
    assert.equal(request?.dosageInstruction?.[0]?.timing?.code?.text, 'BID');
    assert.equal(request?.dispenseRequest?.numberOfRepeatsAllowed, 2);
    assert.equal(request?.requester?.display, 'Marc Gagnon');
  });

  test('RDS^O13: a dispense that refers to its order (created if this feed never saw the RDE)', () => {
    const run = map(fixture('RDS/msfc__RDS-O13-01.hl7'));
    const [dispense] = run.of<MedicationDispense>('MedicationDispense');
    const order = run.mapped.resources.find((r) => r.resource.resourceType === 'MedicationRequest');
    assert.equal(order?.mode, 'create-if-absent');
    assert.equal(dispense?.authorizingPrescription?.[0]?.reference, order?.ref);
    assert.equal(dispense?.status, 'completed');
    assert.equal(dispense?.whenHandedOver, '2020-12-12');
    assert.deepEqual(dispense?.quantity, { value: 10, unit: 'Tablet' }, 'a SNOMED CT unit is not UCUM: text only');
  });
});

describe('documents, appointments, immunizations', () => {
  test('MDM^T02 with a text report: DocumentReference holding the text', () => {
    const [doc] = map(fixture('MDM/msfc__MDM-T02-03.hl7')).of<DocumentReference>('DocumentReference');
    assert.equal(doc?.status, 'current');
    const text = Buffer.from(doc?.content[0]?.attachment.data ?? '', 'base64').toString('utf8');
    assert.ok(text.length > 100);
    assert.equal(doc?.content[0]?.attachment.contentType, 'text/plain; charset=utf-8');
  });

  test('MDM^T02 of an imaging report (TXA-2 = DI): an imaging DiagnosticReport whose conclusion is the text', () => {
    const run = map(fixture('MDM/msfc__MDM-T02-02.hl7'));
    const [report] = run.of<DiagnosticReport>('DiagnosticReport');
    assert.equal(report?.category?.[0]?.coding?.[0]?.code, 'RAD');
    assert.equal(run.of<DocumentReference>('DocumentReference').length, 0);
  });

  test('SIU: S12 books, S15 cancels the same appointment (same key)', () => {
    const booked = map(fixture('SIU/msfc__SIU-S12-01.hl7'));
    const cancelled = map(fixture('SIU/msfc__SIU-S15-01.hl7'));
    const [b] = booked.of<Appointment>('Appointment');
    const [c] = cancelled.of<Appointment>('Appointment');
    assert.equal(b?.status, 'booked');
    assert.ok(b?.start);
    assert.equal(c?.status, 'cancelled');
    assert.equal(b?.participant[0]?.actor?.reference, booked.mapped.patients[0]?.ref);
    assert.deepEqual(booked.mapped.resources[0]?.identifier, cancelled.mapped.resources[0]?.identifier);
  });

  test('VXU^V04: one Immunization per RXA, CVX codes, primary or historical source', () => {
    const run = map(fixture('VXU/msfc__VXU.hl7'));
    const doses = run.of<Immunization>('Immunization');
    assert.equal(doses.length, 3);
    const [given, ...historical] = doses;
    assert.equal(given?.vaccineCode.coding?.[0]?.system, 'http://hl7.org/fhir/sid/ndc');
    assert.equal(given?.primarySource, true);
    assert.equal(given?.lotNumber, '315841');
    assert.deepEqual(given?.doseQuantity, { value: 0.5, unit: 'mL', system: 'http://unitsofmeasure.org', code: 'mL' });
    assert.equal(historical[0]?.vaccineCode.coding?.[0]?.system, 'http://hl7.org/fhir/sid/cvx');
    assert.equal(historical[0]?.primarySource, false);
    assert.equal(historical[0]?.doseQuantity, undefined, '999 means the amount is unknown');
  });
});
