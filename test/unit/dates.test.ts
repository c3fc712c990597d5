import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { partialDateRange } from '../../src/fhir/interactions/dates.js';
import { FhirError } from '../../src/fhir/outcomes.js';

describe('partial date ranges', () => {
  test('year, month, day and instant precision', () => {
    assert.deepEqual(partialDateRange('2024', 'x'), { start: '2024-01-01T00:00:00.000Z', end: '2025-01-01T00:00:00.000Z' });
    assert.deepEqual(partialDateRange('2024-02', 'x'), { start: '2024-02-01T00:00:00.000Z', end: '2024-03-01T00:00:00.000Z' });
    assert.deepEqual(partialDateRange('2024-12-31', 'x'), { start: '2024-12-31T00:00:00.000Z', end: '2025-01-01T00:00:00.000Z' });
    assert.deepEqual(partialDateRange('2024-05-01T10:00:00Z', 'x'), { start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T10:00:01.000Z' });
  });

  test('time zones are applied', () => {
    assert.equal(partialDateRange('2024-05-01T10:00:00-04:00', 'x').start, '2024-05-01T14:00:00.000Z');
    assert.equal(partialDateRange('2024-05-01T10:00:00.250+02:00', 'x').start, '2024-05-01T08:00:00.250Z');
  });

  test('garbage is a 400', () => {
    for (const bad of ['yesterday', '2024-1', '24-01-01', '2024-01-01T10:00']) {
      assert.throws(() => partialDateRange(bad, '_since'), (e: FhirError) => e.status === 400, bad);
    }
  });
});
