import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reminderTier } from '../../web/src/portail/reminder-tier.js';
import { reachOf } from '../../web/src/portail/grant-reach.js';
import { reminderDue } from '../../src/scheduling/reminders.js';

/** The portal's small decisions (pure): when the reminder comes, as the server arms it; what an app may do. */
describe('portal logic', () => {
  test('the reminder said after a booking is the one the server arms', () => {
    const start = Date.parse('2026-07-10T13:00:00Z');
    const h = 3_600_000;
    for (const [ahead, tier] of [[48, 'dayBefore'], [20, 'twoHours'], [1, 'now']] as const) {
      const now = start - ahead * h;
      assert.equal(reminderTier(new Date(start).toISOString(), now), tier);
      const due = reminderDue(start, now) as number;
      assert.equal(tier === 'dayBefore' ? start - due === 24 * h : tier === 'twoHours' ? start - due === 2 * h : due === now, true, `${ahead} h ahead`);
    }
  });

  test('an app’s reach in words: read, or read and change (SMART v1 and v2 scopes)', () => {
    assert.equal(reachOf('openid fhirUser offline_access patient/*.rs'), 'read');
    assert.equal(reachOf('launch/patient user/*.rs patient/Observation.read'), 'read');
    assert.equal(reachOf('patient/*.cruds user/*.rs'), 'write');
    assert.equal(reachOf('patient/*.write'), 'write');
    assert.equal(reachOf('patient/*.*'), 'write');
    assert.equal(reachOf('openid profile'), 'read', 'no data scope: nothing to change');
  });
});
