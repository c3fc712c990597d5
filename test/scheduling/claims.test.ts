import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Appointment, Slot } from '@medplum/fhirtypes';
import { claimsOf, ClaimError, HOLD_EXPIRES_URL, OVERBOOKED_URL, referencedIds } from '../../src/scheduling/claims.js';
import { conflictText } from '../../src/scheduling/write-hook.js';

const slot = (id: string, start: string, end: string, status: Slot['status'] = 'free'): [string, Slot] =>
  [id, { resourceType: 'Slot', id, schedule: { reference: 'Schedule/s1' }, status, start, end }];
const slots = new Map([slot('a', '2026-07-08T13:00:00Z', '2026-07-08T13:20:00Z'), slot('b', '2026-07-08T13:20:00Z', '2026-07-08T13:40:00Z'),
  slot('blocked', '2026-07-08T14:00:00Z', '2026-07-08T14:20:00Z', 'busy-unavailable')]);
const roles = new Map([['PractitionerRole/r1', 'Practitioner/p1']]);
const base: Appointment = {
  resourceType: 'Appointment', status: 'booked',
  participant: [{ actor: { reference: 'Patient/x' }, status: 'accepted' }, { actor: { reference: 'PractitionerRole/r1' }, status: 'accepted' }],
};

describe('appointment claims (pure)', () => {
  test('a booked appointment claims its schedule over each slot and its practitioner (through the role) over its time', () => {
    const claims = claimsOf({ appointment: { ...base, slot: [{ reference: 'Slot/a' }, { reference: 'Slot/b' }] }, slots, roles });
    assert.deepEqual(claims.map((c) => [c.actor, c.slotId, c.start, c.end]), [
      ['Schedule/s1', 'a', '2026-07-08T13:00:00.000Z', '2026-07-08T13:20:00.000Z'],
      ['Schedule/s1', 'b', '2026-07-08T13:20:00.000Z', '2026-07-08T13:40:00.000Z'],
      ['Practitioner/p1', null, '2026-07-08T13:00:00.000Z', '2026-07-08T13:40:00.000Z'],
    ]);
  });

  test('only pending, booked, arrived and checked-in appointments hold time', () => {
    for (const status of ['proposed', 'cancelled', 'noshow', 'fulfilled', 'entered-in-error', 'waitlist'] as const) {
      assert.deepEqual(claimsOf({ appointment: { ...base, status, slot: [{ reference: 'Slot/a' }] }, slots, roles }), [], status);
    }
    for (const status of ['pending', 'booked', 'arrived', 'checked-in'] as const) {
      assert.equal(claimsOf({ appointment: { ...base, status, slot: [{ reference: 'Slot/a' }] }, slots, roles }).length, 2, status);
    }
  });

  test('declined and information-only participants, and patients, claim nothing; a role without practitioner claims itself', () => {
    const appointment: Appointment = {
      ...base, start: '2026-07-08T09:00:00-04:00', end: '2026-07-08T09:15:00-04:00',
      participant: [
        { actor: { reference: 'Practitioner/declined' }, status: 'declined' },
        { actor: { reference: 'Practitioner/cc' }, status: 'accepted', required: 'information-only' },
        { actor: { reference: 'Patient/x' }, status: 'accepted' },
        { actor: { reference: 'http://carnet.test/fhir/PractitionerRole/r9' }, status: 'accepted' },
      ],
    };
    assert.deepEqual(claimsOf({ appointment, slots, roles }).map((c) => [c.actor, c.start]), [['PractitionerRole/r9', '2026-07-08T13:00:00.000Z']]);
  });

  test('a hold carries its expiry, an override is marked overbooked', () => {
    const hold = claimsOf({ appointment: { ...base, status: 'pending', slot: [{ reference: 'Slot/a' }], extension: [{ url: HOLD_EXPIRES_URL, valueInstant: '2026-07-01T12:05:00-04:00' }] }, slots, roles });
    assert.deepEqual(new Set(hold.map((c) => c.holdExpires)), new Set(['2026-07-01T16:05:00.000Z']));
    const booked = claimsOf({ appointment: { ...base, slot: [{ reference: 'Slot/a' }], extension: [{ url: HOLD_EXPIRES_URL, valueInstant: '2026-07-01T12:05:00Z' }] }, slots, roles });
    assert.ok(booked.every((c) => c.holdExpires === null), 'a booked appointment is not a hold any more');
    const over = claimsOf({ appointment: { ...base, slot: [{ reference: 'Slot/a' }], extension: [{ url: OVERBOOKED_URL, valueBoolean: true }] }, slots, roles });
    assert.ok(over.every((c) => c.overbooked));
  });

  test('impossible claims are refused: missing or blocked slot, end before start, malformed instant', () => {
    assert.throws(() => claimsOf({ appointment: { ...base, slot: [{ reference: 'Slot/nope' }] }, slots, roles }), ClaimError);
    assert.throws(() => claimsOf({ appointment: { ...base, slot: [{ reference: 'Slot/blocked' }] }, slots, roles }), /busy-unavailable/);
    assert.throws(() => claimsOf({ appointment: { ...base, start: '2026-07-08T10:00:00Z', end: '2026-07-08T09:00:00Z' }, slots, roles }), /after/);
    assert.throws(() => claimsOf({ appointment: { ...base, start: '2026-07-08T25:00:00Z', end: '2026-07-08T09:00:00Z' }, slots, roles }), /not an instant/);
  });

  test('references: relative, absolute and versioned forms give the id', () => {
    assert.deepEqual(referencedIds(['Slot/a', 'http://x/fhir/Slot/b', 'Slot/c/_history/2', 'Schedule/d', undefined], 'Slot'), ['a', 'b', 'c']);
  });

  test('a refused claim says which slot was taken or which practitioner is busy', () => {
    const claims = claimsOf({ appointment: { ...base, slot: [{ reference: 'Slot/a' }] }, slots, roles });
    assert.match(conflictText('Schedule/s1', claims), /Slot\/a was taken/);
    assert.match(conflictText('Practitioner/p1', claims), /Practitioner\/p1 already has an appointment/);
  });
});
