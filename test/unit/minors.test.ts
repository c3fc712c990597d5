import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ageOn, controlDay, keptWhenNarrowed, proxyNarrows } from '../../src/access/minors.js';

// A minor's record narrows for their proxy from the control age (14 in Québec) until majority (issue #19).
test('age in whole years, as a calendar counts it, from a full or partial FHIR date', () => {
  const on = new Date('2026-12-03T12:00:00Z');
  assert.equal(ageOn('2012-12-03', on), 14, 'the 14th birthday itself');
  assert.equal(ageOn('2012-12-04', on), 13, 'the day before');
  assert.equal(ageOn('2012-12', on), 14);
  assert.equal(ageOn('2013', on), 13);
  assert.equal(ageOn('not a date', on), undefined);
});

test('a proxy’s access narrows from the control age until majority; not for adults, nor unknown ages', () => {
  const on = new Date('2026-12-03T12:00:00Z');
  assert.equal(proxyNarrows('2012-12-03', on), true, '14 today');
  assert.equal(proxyNarrows('2012-12-04', on), false, '13 until tomorrow');
  assert.equal(proxyNarrows('2008-12-04', on), true, '17');
  assert.equal(proxyNarrows('2008-12-03', on), false, '18: an adult (a caregiver’s mandate is not narrowed)');
  assert.equal(proxyNarrows(undefined, on), false);
  assert.equal(proxyNarrows('2014-12-03', on, 12), true, 'configurable control age');
  assert.equal(controlDay('2012-05-20'), '2026-05-20');
  assert.equal(controlDay('2012'), '2026-01-01');
  assert.ok(keptWhenNarrowed('Patient') && keptWhenNarrowed('Appointment') && !keptWhenNarrowed('Observation') && !keptWhenNarrowed('Consent'));
});
