import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Observation } from '@medplum/fhirtypes';
import { flagOf, groupByAnalyte } from '../../web/src/shared/results.js';
import { conversionFactor, convert } from '../../web/src/shared/units.js';

/** The portal's reading of lab results (pure): units across laboratories, grouping, flags. */
const glucose = (id: string, date: string, value: number, unit: string, extra: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '14771-0', display: 'Fasting glucose [Moles/volume] in Serum or Plasma' }], text: 'Glucose à jeun' },
  effectiveDateTime: date, valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  referenceRange: [{ low: { value: 4, code: 'mmol/L' }, high: { value: 6, code: 'mmol/L' } }], ...extra,
});

describe('units', () => {
  test('metric prefixes convert; molar ↔ mass does not (it needs the analyte)', () => {
    assert.equal(conversionFactor('mmol/L', 'mmol/L'), 1);
    assert.equal(convert(5400, 'umol/L', 'mmol/L'), 5.4);
    assert.equal(convert(5.4, 'mmol/L', 'umol/L'), 5400);
    assert.equal(convert(1.5, 'g/L', 'mg/dL'), 150);
    assert.equal(convert(150, 'mg/dL', 'g/L'), 1.5);
    assert.equal(convert(88, 'µmol/L', 'umol/L'), 88);
    assert.equal(convert(7, '10*9/L', '10*9/L'), 7);
    assert.equal(conversionFactor('mg/dL', 'mmol/L'), undefined);
    assert.equal(conversionFactor('10*9/L', '10*12/L'), undefined);
    assert.equal(conversionFactor('%', 'mmol/mol'), undefined);
    assert.equal(conversionFactor('mL/min/{1.73_m2}', 'mL/min/{1.73_m2}'), 1);
  });
});

describe('results by analyte', () => {
  test('one analyte across laboratories, newest first, in the unit of the newest result', () => {
    const analytes = groupByAnalyte([
      glucose('a', '2024-01-10', 5.2, 'mmol/L', { performer: [{ display: 'Labo A' }] }),
      glucose('b', '2025-03-02', 7100, 'umol/L', { performer: [{ display: 'Labo B' }], referenceRange: [{ low: { value: 4000, code: 'umol/L' }, high: { value: 6000, code: 'umol/L' } }] }),
      glucose('c', '2025-06-01', 6.1, 'mmol/L'),
    ], 'fr');
    assert.equal(analytes.length, 1);
    const [g] = analytes;
    assert.equal(g?.name, 'Glucose à jeun');
    assert.equal(g?.unit, 'mmol/L');
    assert.deepEqual(g?.points.map((p) => [p.id, p.value, p.unit]), [['c', 6.1, 'mmol/L'], ['b', 7.1, 'mmol/L'], ['a', 5.2, 'mmol/L']]);
    assert.deepEqual(g?.points[1]?.range, { low: 4, high: 6 }, 'the range converts with the value');
    assert.equal(g?.points[1]?.flag, 'high', 'no interpretation: the value against the range');
    assert.equal(g?.points[1]?.lab, 'Labo B');
    assert.equal(groupByAnalyte([glucose('a', '2024-01-10', 5.2, 'mmol/L')], 'en')[0]?.name, 'Fasting glucose [Moles/volume] in Serum or Plasma');
  });

  test('a unit that does not convert stays apart, named with its unit; entered-in-error is left out', () => {
    const analytes = groupByAnalyte([
      glucose('a', '2024-01-10', 5.2, 'mmol/L'),
      glucose('b', '2023-01-10', 95, 'mg/dL', { referenceRange: [] }),
      glucose('c', '2025-01-10', 50, 'mmol/L', { status: 'entered-in-error' }),
    ], 'fr');
    assert.deepEqual(analytes.map((a) => [a.name, a.points.length]), [['Glucose à jeun', 1], ['Glucose à jeun (mg/dL)', 1]]);
  });

  test('flags: the laboratory’s interpretation first (critical included), else the range', () => {
    const code = (c: string) => [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: c }] }];
    assert.equal(flagOf(code('HH'), 30, { low: 4, high: 6 }), 'criticalHigh');
    assert.equal(flagOf(code('L'), 5, { low: 4, high: 6 }), 'low');
    assert.equal(flagOf(code('N'), 9, { low: 4, high: 6 }), 'normal');
    assert.equal(flagOf(undefined, 3.9, { low: 4 }), 'low');
    assert.equal(flagOf(undefined, 3.9, { high: 4 }), 'normal');
    assert.equal(flagOf(undefined, 3.9, undefined), 'unknown');
    assert.equal(flagOf(undefined, undefined, { low: 1 }), 'unknown');
  });
});
