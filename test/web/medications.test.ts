import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MedicationDispense, MedicationRequest } from '@medplum/fhirtypes';
import { medicationLines } from '../../web/src/shared/medications.js';

/** The portal's medication lines (pure): by drug across sources, current or past, refills, stop reasons. */
const NOW = Date.parse('2026-06-01T12:00:00Z');
const atc = (code: string, text: string) => ({ coding: [{ system: 'http://www.whocc.no/atc', code, display: `ATC ${code}` }], text });
const request = (id: string, drug: ReturnType<typeof atc>, authored: string, status: MedicationRequest['status'], extra: Partial<MedicationRequest> = {}): MedicationRequest => ({
  resourceType: 'MedicationRequest', id, status, intent: 'order', subject: { reference: 'Patient/p' }, medicationCodeableConcept: drug, authoredOn: authored,
  requester: { display: 'Dre Tremblay' }, dosageInstruction: [{ text: '1 co. par jour' }], ...extra,
});
const dispense = (id: string, drug: ReturnType<typeof atc>, when: string, days: number): MedicationDispense => ({
  resourceType: 'MedicationDispense', id, status: 'completed', medicationCodeableConcept: drug, subject: { reference: 'Patient/q' },
  whenHandedOver: when, daysSupply: { value: days }, performer: [{ actor: { display: 'Marc Gagnon' } }], location: { display: 'Pharmacie du Plateau' },
});

describe('medication lines', () => {
  const metformin = atc('A10BA02', 'Metformine 500 mg');
  const statin = atc('C10AA05', 'Atorvastatine 20 mg');
  const amoxicillin = atc('J01CA04', 'Amoxicilline 500 mg');

  test('one line per drug from prescriptions and dispenses of different sources; the next refill from the last supply', () => {
    const lines = medicationLines({
      requests: [
        request('r1', metformin, '2025-09-01', 'completed', { dispenseRequest: { validityPeriod: { start: '2024-09-01', end: '2025-09-01' } } }),
        request('r2', metformin, '2025-09-02', 'active', { dispenseRequest: { validityPeriod: { start: '2025-09-02', end: '2026-09-02' } } }),
      ],
      dispenses: [dispense('d1', metformin, '2026-02-01T10:00:00Z', 90), dispense('d2', metformin, '2026-05-01T10:00:00Z', 90)],
      statements: [],
    }, 'fr', NOW);
    assert.equal(lines.length, 1);
    const [m] = lines;
    assert.equal(m?.name, 'Metformine 500 mg');
    assert.equal(m?.current, true);
    assert.equal(m?.prescriber, 'Dre Tremblay');
    assert.equal(m?.dosage, '1 co. par jour');
    assert.equal(m?.lastDispense?.id, 'd2');
    assert.equal(m?.lastDispense?.where, 'Pharmacie du Plateau');
    assert.equal(m?.nextRefill, '2026-07-30');
    assert.deepEqual(m?.prescriptions.map((p) => p.id), ['r2', 'r1']);
  });

  test('a stopped medication is past, with its reason and stop date; an old course is past; current lines come first', () => {
    const lines = medicationLines({
      requests: [
        request('s', statin, '2025-01-10', 'stopped', { statusReason: { text: 'Douleurs musculaires' }, dispenseRequest: { validityPeriod: { start: '2025-01-10', end: '2025-04-02' } } }),
        request('a', amoxicillin, '2024-03-01', 'completed'),
        request('m', metformin, '2026-01-01', 'active'),
      ],
      dispenses: [dispense('x', amoxicillin, '2024-03-01T10:00:00Z', 10), dispense('y', statin, '2025-03-01T10:00:00Z', 30)],
      statements: [],
    }, 'fr', NOW);
    assert.deepEqual(lines.map((l) => [l.name, l.current]), [['Metformine 500 mg', true], ['Atorvastatine 20 mg', false], ['Amoxicilline 500 mg', false]]);
    const statinLine = lines[1];
    assert.equal(statinLine?.stopReason, 'Douleurs musculaires');
    assert.equal(statinLine?.stoppedOn, '2025-04-02');
    assert.equal(statinLine?.nextRefill, undefined);
    assert.equal(lines[2]?.stopReason, undefined);
  });

  test('a dispense alone is current while its supply (plus a grace period) lasts', () => {
    const only = (when: string) => medicationLines({ requests: [], dispenses: [dispense('d', metformin, when, 30)], statements: [] }, 'fr', NOW)[0]?.current;
    assert.equal(only('2026-04-20T10:00:00Z'), true);
    assert.equal(only('2026-02-01T10:00:00Z'), false);
  });
});
