import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dateRange, periodRange } from '../../src/fhir/search/dates.js';
import { plainDecimal, precisionRange } from '../../src/fhir/search/decimal.js';
import { normalizeText, prefixUpperBound } from '../../src/fhir/search/normalize.js';
import { alternateConcentration, canonicalUnit, toCanonical } from '../../src/fhir/search/ucum.js';
import { toTsQuery } from '../../src/fhir/search/sql/conditions.js';

describe('string normalisation', () => {
  const cases: [string, string][] = [
    ['Éloïse', 'eloise'],
    ['Ordóñez', 'ordonez'],
    ["O'Connell", 'oconnell'],
    ['O’Connell', 'oconnell'],
    ['Marie-Ève', 'marie eve'],
    ['Jean-François  Côté', 'jean francois cote'],
    ['Bœuf', 'boeuf'],
    ['STE-ANNE-DE-BEAUPRÉ', 'ste anne de beaupre'],
    ['  Saint-Jean-sur-Richelieu ', 'saint jean sur richelieu'],
    ['H3Z 2Y7', 'h3z 2y7'],
    ['Łukasz', 'lukasz'],
  ];
  for (const [input, expected] of cases) test(`${input} → ${expected}`, () => assert.equal(normalizeText(input), expected));

  test('a prefix of the whole value, not of a word inside it', () => {
    assert.ok(!normalizeText("O'Connell").startsWith(normalizeText('Conn')));
    assert.ok(normalizeText('Ordóñez').startsWith(normalizeText('ordo')));
  });

  test('upper bound of a prefix range', () => {
    assert.equal(prefixUpperBound('abc'), 'abd');
    assert.equal(prefixUpperBound('az'), 'a{');
    assert.ok('abcz' < prefixUpperBound('abc') && 'abd' >= prefixUpperBound('abc'));
  });
});

describe('decimals', () => {
  test('implicit precision ranges', () => {
    assert.deepEqual(precisionRange('100'), { lo: '99.5', hi: '100.5' });
    assert.deepEqual(precisionRange('100.0'), { lo: '99.95', hi: '100.05' });
    assert.deepEqual(precisionRange('1e2'), { lo: '50', hi: '150' });
    assert.deepEqual(precisionRange('0.1'), { lo: '0.05', hi: '0.15' });
    assert.deepEqual(precisionRange('-5.4'), { lo: '-5.45', hi: '-5.35' });
    assert.equal(precisionRange('abc'), undefined);
  });
  test('plain forms', () => {
    assert.equal(plainDecimal('1.50'), '1.5');
    assert.equal(plainDecimal('2.5e3'), '2500');
    assert.equal(plainDecimal('7'), '7');
    assert.equal(plainDecimal('0.000'), '0');
  });
});

describe('date ranges', () => {
  test('partial dates cover their whole period', () => {
    assert.deepEqual(dateRange('2024'), { start: '2024-01-01T00:00:00.000Z', end: '2025-01-01T00:00:00.000Z' });
    assert.deepEqual(dateRange('2024-02'), { start: '2024-02-01T00:00:00.000Z', end: '2024-03-01T00:00:00.000Z' });
    assert.deepEqual(dateRange('2024-02-29'), { start: '2024-02-29T00:00:00.000Z', end: '2024-03-01T00:00:00.000Z' });
  });
  test('times are zoned and cover their precision', () => {
    assert.deepEqual(dateRange('2024-05-01T10:00:00-04:00'), { start: '2024-05-01T14:00:00.000Z', end: '2024-05-01T14:00:01.000Z' });
    assert.deepEqual(dateRange('2024-05-01T10:00:00.5Z'), { start: '2024-05-01T10:00:00.500Z', end: '2024-05-01T10:00:00.600Z' });
    assert.deepEqual(dateRange('2024-05-01T10:00Z'), { start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T10:01:00.000Z' });
  });
  test('invalid dates are refused', () => {
    for (const bad of ['2023-02-30', '2024-13', '2024-05-01T10:00:00', 'soon']) assert.equal(dateRange(bad), undefined, bad);
  });
  test('periods with open ends', () => {
    assert.deepEqual(periodRange('2020', undefined), { start: '2020-01-01T00:00:00.000Z', end: 'infinity' });
    assert.deepEqual(periodRange(undefined, '2020-06'), { start: '-infinity', end: '2020-07-01T00:00:00.000Z' });
    assert.equal(periodRange(undefined, undefined), undefined);
  });
});

describe('UCUM canonical units', () => {
  test('mass and substance concentrations', () => {
    assert.equal(canonicalUnit('mg/dL')?.code, 'g.m-3');
    assert.equal(canonicalUnit('mmol/L')?.code, 'mol.m-3');
    assert.ok(Math.abs((toCanonical(97, 'mg/dL')?.value ?? 0) - 970) < 1e-9);
    assert.ok(Math.abs((toCanonical(5.4, 'mmol/L')?.value ?? 0) - 5.4) < 1e-9);
  });
  test('counts per volume are not confused with moles per volume', () => {
    assert.notEqual(canonicalUnit('10*3/uL')?.code, canonicalUnit('mmol/L')?.code);
  });
  test('affine temperatures', () => {
    assert.ok(Math.abs((toCanonical(37, 'Cel')?.value ?? 0) - 310.15) < 1e-9);
    assert.ok(Math.abs((toCanonical(98.6, '[degF]')?.value ?? 0) - 310.15) < 0.01);
  });
  test('invalid units', () => assert.equal(canonicalUnit('bogus'), undefined));
  test('glucose in mg/dL is also a substance concentration', () => {
    const glucose = [{ system: 'http://loinc.org', code: '2345-7' }];
    const alt = alternateConcentration({ code: 'g.m-3', value: 970 }, glucose);
    assert.equal(alt?.code, 'mol.m-3');
    assert.ok(Math.abs((alt?.value ?? 0) - 5.384) < 0.001);
    assert.equal(alternateConcentration({ code: 'g.m-3', value: 970 }, [{ system: 'http://loinc.org', code: '718-7' }]), undefined);
  });
});

describe('_text/_content queries', () => {
  test('words are prefixes, ANDed; OR, exclusion and phrases', () => {
    assert.equal(toTsQuery('Diabète type'), 'diabete:* & type:*');
    assert.equal(toTsQuery('asthme OR bronchite'), 'asthme:* | bronchite:*');
    assert.equal(toTsQuery('toux -fievre'), 'toux:* & !fievre:*');
    assert.equal(toTsQuery('"insuffisance cardiaque"'), '(insuffisance <-> cardiaque)');
    assert.equal(toTsQuery("l'œdème"), 'loedeme:*');
    assert.equal(toTsQuery('!!! ???'), undefined);
  });
});
