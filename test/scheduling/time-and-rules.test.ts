import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Schedule } from '@medplum/fhirtypes';
import { reminderDue } from '../../src/scheduling/reminders.js';
import { Earliest, ruleOpenings, ruleSlotId, ruleSlotParts, withoutBusy, type AvailabilityRules } from '../../src/scheduling/availability.js';
import { bookingRefusal, cancelRefusal, CLINIC_RULES_URL, clinicRulesOf, DEFAULT_CLINIC_RULES } from '../../src/scheduling/clinic-rules.js';
import { availabilityOf, AVAILABILITY_URL, isPublic, PUBLIC_BOOKING_URL, visitModeOf, VISIT_MODE_URL } from '../../src/scheduling/schedule-facts.js';
import { formatLocal, localTime, offsetMinutes, parseWhen, steadyDay, zonedInstant } from '../../src/scheduling/time-zone.js';
import { bookerOf, bookingRefusal as accessRefusal, mayFindIn } from '../../src/scheduling/access.js';
import { parseScopes } from '../../src/access/scopes.js';
import type { Principal } from '../../src/access/principal.js';

const MIN = 60_000;
const at = (iso: string): number => Date.parse(iso);

describe('clinic time (America/Toronto)', () => {
  test('offsets: −5 h in winter, −4 h in summer; the changes of 2026 fall on 8 March and 1 November', () => {
    assert.equal(offsetMinutes(at('2026-01-15T12:00:00Z')), -300);
    assert.equal(offsetMinutes(at('2026-07-15T12:00:00Z')), -240);
    assert.equal(offsetMinutes(at('2026-03-08T06:59:00Z')), -300);
    assert.equal(offsetMinutes(at('2026-03-08T07:00:00Z')), -240);
    assert.equal(offsetMinutes(at('2026-11-01T05:59:00Z')), -240);
    assert.equal(offsetMinutes(at('2026-11-01T06:00:00Z')), -300);
    assert.equal(offsetMinutes(at('2026-07-15T12:00:00Z'), 'America/Montreal'), -240, 'America/Montreal is the same zone');
  });

  test('local 9:00 is 14:00 UTC in winter and 13:00 UTC in summer, on the days the clocks change too', () => {
    assert.equal(new Date(zonedInstant('2026-03-06', 9 * 60) as number).toISOString(), '2026-03-06T14:00:00.000Z');
    assert.equal(new Date(zonedInstant('2026-03-08', 9 * 60) as number).toISOString(), '2026-03-08T13:00:00.000Z');
    assert.equal(new Date(zonedInstant('2026-11-01', 9 * 60) as number).toISOString(), '2026-11-01T14:00:00.000Z');
  });

  test('2:30 on 8 March does not exist; 1:30 on 1 November happens twice (the first is taken)', () => {
    assert.equal(zonedInstant('2026-03-08', 2 * 60 + 30), undefined);
    assert.equal(new Date(zonedInstant('2026-11-01', 60 + 30) as number).toISOString(), '2026-11-01T05:30:00.000Z');
  });

  test('a day without a change of clocks has one offset; the days of the changes have none', () => {
    assert.deepEqual(steadyDay('2026-07-10'), { midnightUtc: at('2026-07-10T04:00:00Z'), offset: -240 });
    assert.equal(steadyDay('2026-03-08'), undefined);
    assert.equal(steadyDay('2026-11-01'), undefined);
  });

  test('local reading and display', () => {
    assert.deepEqual(localTime(at('2026-07-10T13:00:00Z')), { date: '2026-07-10', minute: 9 * 60, weekday: 5 });
    assert.equal(formatLocal(at('2026-07-10T13:00:00Z')), '2026-07-10T09:00:00-04:00');
    assert.equal(formatLocal(at('2026-12-10T14:00:00Z')), '2026-12-10T09:00:00-05:00');
  });

  test('request dates: an instant needs its offset; a date is local midnight; impossible values are refused', () => {
    assert.equal(parseWhen('2026-07-10T09:00:00-04:00'), at('2026-07-10T13:00:00Z'));
    assert.equal(parseWhen('2026-07-10T13:00:00Z'), at('2026-07-10T13:00:00Z'));
    assert.equal(parseWhen('2026-07-10'), at('2026-07-10T04:00:00Z'));
    for (const bad of ['2026-07-10T09:00:00', '2026-02-30', '2026-07-10T25:00:00Z', '2026-07-10T09:00:00+15:00', 'tomorrow', '2026-7-1']) {
      assert.equal(parseWhen(bad), undefined, bad);
    }
  });
});

const weekdays: AvailabilityRules = {
  zone: 'America/Toronto', visitMinutes: 20, bufferMinutes: 10, blocked: [],
  windows: [{ days: [1, 2, 3, 4, 5], startMinute: 9 * 60, endMinute: 10 * 60 }],
};

describe('availability (pure)', () => {
  test('weekly hours give visits of visitMinutes every visit + buffer, ending inside the window, weekdays only', () => {
    const openings = ruleOpenings(weekdays, at('2026-07-10T00:00:00Z'), at('2026-07-14T00:00:00Z'));
    assert.deepEqual(openings.map((o) => formatLocal(o.start)), [
      '2026-07-10T09:00:00-04:00', '2026-07-10T09:30:00-04:00',
      '2026-07-13T09:00:00-04:00', '2026-07-13T09:30:00-04:00',
    ]);
    assert.ok(openings.every((o) => o.end - o.start === 20 * MIN));
  });

  test('across the change of clocks the openings stay at 9:00 local', () => {
    const openings = ruleOpenings({ ...weekdays, bufferMinutes: 40 }, at('2026-03-06T00:00:00Z'), at('2026-03-10T00:00:00Z'));
    assert.deepEqual(openings.map((o) => new Date(o.start).toISOString()), ['2026-03-06T14:00:00.000Z', '2026-03-09T13:00:00.000Z']);
    const sunday = ruleOpenings({ ...weekdays, windows: [{ days: [0], startMinute: 60, endMinute: 4 * 60 }], visitMinutes: 60, bufferMinutes: 0 }, at('2026-03-08T00:00:00Z'), at('2026-03-09T00:00:00Z'));
    assert.deepEqual(sunday.map((o) => formatLocal(o.start)), ['2026-03-08T01:00:00-05:00', '2026-03-08T03:00:00-04:00'], 'on the day itself: 2:00 does not exist');
    assert.equal(sunday[0]?.end, at('2026-03-08T07:00:00Z'), 'a visit lasts its minutes, across the change too');
  });

  test('blocked days, the planning horizon and busy time remove openings', () => {
    const blocked = { ...weekdays, blocked: [{ start: at('2026-07-13T00:00:00-04:00'), end: at('2026-07-14T00:00:00-04:00') }] };
    assert.equal(ruleOpenings(blocked, at('2026-07-13T00:00:00Z'), at('2026-07-14T12:00:00Z')).length, 0);
    const horizon = { ...weekdays, horizon: { start: at('2026-07-10T13:15:00Z'), end: at('2026-08-01T00:00:00Z') } };
    assert.equal(ruleOpenings(horizon, at('2026-07-10T00:00:00Z'), at('2026-07-11T00:00:00Z')).length, 1);
    const all = ruleOpenings(weekdays, at('2026-07-10T00:00:00Z'), at('2026-07-14T00:00:00Z'));
    const free = withoutBusy(all, [{ start: at('2026-07-10T13:10:00Z'), end: at('2026-07-10T13:35:00Z') }, { start: at('2026-07-13T00:00:00Z'), end: at('2026-07-13T13:01:00Z') }]);
    assert.deepEqual(free.map((o) => formatLocal(o.start)), ['2026-07-13T09:30:00-04:00']);
    assert.deepEqual(withoutBusy(all, [{ start: at('2026-07-10T13:20:00Z'), end: at('2026-07-10T13:30:00Z') }]).length, 4, 'touching is not overlapping');
  });

  test('reminders: 24 h before; booked later, 2 h before; within 2 h, right away; none once begun', () => {
    const start = at('2026-07-10T13:00:00Z');
    const h = 3_600_000;
    assert.equal(reminderDue(start, start - 48 * h), start - 24 * h);
    assert.equal(reminderDue(start, start - 24 * h), start - 2 * h, 'exactly 24 h ahead: too late for the day-before one');
    assert.equal(reminderDue(start, start - 20 * h), start - 2 * h);
    assert.equal(reminderDue(start, start - h), start - h, 'right away');
    assert.equal(reminderDue(start, start), undefined);
    assert.equal(reminderDue(Number.NaN, start), undefined);
  });

  test('Earliest keeps the first few by start then id, and turns the rest away before they are built', () => {
    const best = new Earliest<{ start: number; end: number; id: string }>(3, (o) => o.id);
    assert.equal(best.cutoff, Infinity);
    for (const [start, id] of [[5, 'e'], [1, 'b'], [9, 'z'], [1, 'a'], [3, 'c']] as const) best.add({ start, end: start + 1, id });
    assert.deepEqual(best.items().map((o) => o.id), ['a', 'b', 'c'], 'earliest first; a tie goes to the smaller id');
    assert.equal(best.cutoff, 3);
    assert.equal(best.wants(4, 'a'), false, 'later than the last kept');
    assert.equal(best.wants(3, 'b'), true, 'same start, smaller id');
    assert.equal(best.wants(3, 'd'), false);
    best.add({ start: 2, end: 3, id: 'x' });
    assert.deepEqual(best.items().map((o) => o.id), ['a', 'b', 'x']);
    const none = new Earliest<{ start: number; end: number }>(0, () => '');
    none.add({ start: 1, end: 2 });
    assert.deepEqual(none.items(), []);
  });

  test('rule slot ids encode the schedule and the start, and nothing else parses as one', () => {
    const id = ruleSlotId('0b8f2a1e-1d7c-4a5e-9f00-123456789abc', at('2026-07-10T13:00:00Z'));
    assert.ok(id.length <= 64);
    assert.deepEqual(ruleSlotParts(id), { scheduleKey: '0b8f2a1e-1d7c-4a5e-9f00-123456789abc', start: at('2026-07-10T13:00:00Z') });
    assert.equal(ruleSlotParts('0b8f2a1e'), undefined);
  });

  test('a Schedule publishes its rules, public booking and visit mode through extensions', () => {
    const schedule: Schedule = {
      resourceType: 'Schedule', actor: [{ reference: 'PractitionerRole/r' }],
      extension: [
        { url: PUBLIC_BOOKING_URL, valueBoolean: true }, { url: VISIT_MODE_URL, valueCode: 'virtual' },
        { url: AVAILABILITY_URL, extension: [
          { url: 'availableTime', extension: [{ url: 'daysOfWeek', valueCode: 'mon' }, { url: 'daysOfWeek', valueCode: 'wed' }, { url: 'availableStartTime', valueTime: '08:30:00' }, { url: 'availableEndTime', valueTime: '12:00:00' }] },
          { url: 'notAvailable', valuePeriod: { start: '2026-07-20T00:00:00-04:00', end: '2026-07-25T00:00:00-04:00' } },
          { url: 'visitMinutes', valuePositiveInt: 15 }, { url: 'bufferMinutes', valueUnsignedInt: 5 },
        ] },
      ],
    };
    const rules = availabilityOf(schedule);
    assert.deepEqual(rules?.windows, [{ days: [1, 3], startMinute: 510, endMinute: 720 }]);
    assert.equal(rules?.visitMinutes, 15);
    assert.equal(rules?.bufferMinutes, 5);
    assert.equal(rules?.blocked.length, 1);
    assert.equal(isPublic(schedule), true);
    assert.equal(isPublic(schedule, { resourceType: 'Slot', schedule: { reference: 'Schedule/x' }, status: 'free', start: '', end: '', extension: [{ url: PUBLIC_BOOKING_URL, valueBoolean: false }] }), false);
    assert.equal(visitModeOf(schedule), 'virtual');
    assert.equal(availabilityOf({ resourceType: 'Schedule', actor: [] }), undefined);
  });
});

describe('clinic rules and who may book (pure)', () => {
  const now = at('2026-07-01T12:00:00Z');
  test('a clinic overrides the defaults through its Organization', () => {
    const rules = clinicRulesOf({ extension: [{ url: CLINIC_RULES_URL, extension: [{ url: 'cancelDeadlineHours', valueInteger: 48 }, { url: 'holdMinutes', valueInteger: -1 }] }] });
    assert.equal(rules.cancelDeadlineHours, 48);
    assert.equal(rules.holdMinutes, DEFAULT_CLINIC_RULES.holdMinutes, 'an invalid value keeps the default');
  });

  test('booking: not in the past, not too soon, not beyond the horizon, not over the number of appointments', () => {
    const r = DEFAULT_CLINIC_RULES;
    assert.match(bookingRefusal(r, now - MIN, now, 0) ?? '', /past/);
    assert.match(bookingRefusal(r, now + 30 * MIN, now, 0) ?? '', /60 minutes/);
    assert.match(bookingRefusal(r, now + 91 * 24 * 60 * MIN, now, 0) ?? '', /90 days/);
    assert.match(bookingRefusal(r, now + 24 * 60 * MIN, now, 2) ?? '', /at most 2/);
    assert.equal(bookingRefusal(r, now + 24 * 60 * MIN, now, 1), undefined);
  });

  test('cancelling online: until the deadline before the appointment', () => {
    assert.equal(cancelRefusal(DEFAULT_CLINIC_RULES, now + 25 * 60 * MIN, now), undefined);
    assert.match(cancelRefusal(DEFAULT_CLINIC_RULES, now + 23 * 60 * MIN, now) ?? '', /24 hours/);
    assert.match(cancelRefusal(DEFAULT_CLINIC_RULES, now - MIN, now) ?? '', /started/);
  });

  const principal = (role: Principal['role'], extra: Partial<Principal> = {}): Principal => ({
    kind: 'user', subject: role, clientId: 'app', role, display: role, patients: [], scopes: parseScopes('user/*.cruds'), platform: false, tokenId: 't', ...extra,
  });

  test('patients for themselves, proxies for those they act for, only in public schedules; staff in their clinic', () => {
    const me = bookerOf(principal('patient', { patients: ['p1'] }), 'write');
    assert.equal(typeof me, 'object');
    const target = { patientId: 'p1', clinics: ['Organization/gmf'], publicBooking: true };
    assert.equal(accessRefusal(me as never, target), undefined);
    assert.match(accessRefusal(me as never, { ...target, patientId: 'p2' }) ?? '', /only for themselves/);
    assert.match(accessRefusal(me as never, { ...target, publicBooking: false }) ?? '', /not open to online booking/);
    const proxy = bookerOf(principal('proxy', { patients: ['child'] }), 'write');
    assert.match(accessRefusal(proxy as never, target) ?? '', /proxy books only/);
    const staff = bookerOf(principal('nurse', { organization: 'Organization/gmf' }), 'write');
    assert.equal(accessRefusal(staff as never, { ...target, patientId: 'anyone', publicBooking: false }), undefined);
    assert.match(accessRefusal(staff as never, { ...target, clinics: ['Organization/other'] }) ?? '', /own clinic/);
    assert.equal(typeof bookerOf(principal('pharmacist', { organization: 'Organization/pha' }), 'write'), 'string');
    assert.equal(typeof bookerOf(principal('patient', { patients: ['p1'], scopes: parseScopes('user/*.rs') }), 'write'), 'string', 'scopes bound it too');
    assert.equal(mayFindIn(me as never, ['Organization/gmf'], false), false);
    assert.equal(mayFindIn(staff as never, ['Organization/gmf'], false), true);
  });
});
