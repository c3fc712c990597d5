import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Appointment } from '@medplum/fhirtypes';
import { upcomingPosition, UPCOMING_WEEKDAYS } from '../../src/generate/clinical/visits.js';
import { generatePopulation } from '../../src/generate/population.js';

describe('demo generator: upcoming appointments', () => {
  test('a doctor’s first 1,440 upcoming appointments fall on distinct weekday × time positions, then the calendar is full', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 1440; n++) {
      const p = upcomingPosition(n);
      assert.ok(p, `position ${n}`);
      assert.ok(p.weekday >= 0 && p.weekday < UPCOMING_WEEKDAYS);
      assert.ok(p.minute >= 8 * 60 && p.minute <= 15 * 60 + 40 && (p.minute - 8 * 60) % 20 === 0);
      const key = `${p.weekday}@${p.minute}`;
      assert.ok(!seen.has(key), key);
      seen.add(key);
    }
    assert.equal(upcomingPosition(1440), undefined);
    assert.deepEqual([upcomingPosition(0)?.minute, upcomingPosition(1)?.minute], [8 * 60, 8 * 60 + 140], 'times of day vary from day to day');
  });

  test('booked upcoming appointments of one doctor never overlap, whatever the person index, and every pass gives the same', () => {
    const population = generatePopulation({ persons: 400, seed: 'upcoming' });
    const pass = (): Appointment[] => [...population.records()].flatMap((r) => r.resources)
      .filter((r): r is Appointment => r.resourceType === 'Appointment' && r.status === 'booked');
    const booked = pass();
    assert.ok(booked.length > 40, `${booked.length} upcoming appointments`);
    const taken = new Set<string>();
    for (const a of booked) {
      const doctor = a.participant.find((p) => p.actor?.reference?.startsWith('PractitionerRole/'))?.actor?.reference;
      const key = `${doctor}@${a.start}`;
      assert.ok(!taken.has(key), key);
      taken.add(key);
      assert.ok(Date.parse(a.start as string) > Date.parse('2026-07-08T00:00:00Z'), 'after the first week of open slots');
    }
    assert.deepEqual(pass().map((a) => a.start), booked.map((a) => a.start));
  });
});
