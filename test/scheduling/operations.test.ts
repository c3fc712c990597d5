import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Appointment, Bundle, Schedule, Slot } from '@medplum/fhirtypes';
import { HOLD_EXPIRES_URL } from '../../src/scheduling/claims.js';
import { CLINIC_RULES_URL } from '../../src/scheduling/clinic-rules.js';
import { AVAILABILITY_URL, PUBLIC_BOOKING_URL } from '../../src/scheduling/schedule-facts.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { codeFlow, createUser, PASSWORD, seedDirectory } from '../support/auth.js';

/**
 * Appointment/$find, $hold, $book, $cancel, $reschedule and $noshow through the real server (issue #18):
 * who may do what, the clinic's rules, holds that expire, the audited override, and 50 parallel $book.
 */
describe('scheduling operations', () => {
  let t: TestCarnet;
  // A Wednesday, 8:00 in Montréal.
  let now = new Date('2026-07-01T12:00:00Z');
  const tokens = new Map<string, string>();
  let p1: string;
  let p2: string;
  let child: string;
  let publicSchedule: string;
  let closedSlot: string;

  const rulesOfHours = (start: string, end: string) => ({
    url: AVAILABILITY_URL,
    extension: [
      { url: 'availableTime', extension: [...['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => ({ url: 'daysOfWeek', valueCode: d })), { url: 'availableStartTime', valueTime: start }, { url: 'availableEndTime', valueTime: end }] },
      { url: 'visitMinutes', valuePositiveInt: 20 },
    ],
  });

  before(async () => {
    t = await startTestCarnet({ clock: () => now });
    await seedDirectory(t);
    // org-a: holds last one minute (so that a test can see one expire within a token's lifetime).
    await t.request('PUT', '/fhir/Organization/org-a', { body: { resourceType: 'Organization', id: 'org-a', name: 'GMF A', extension: [{ url: CLINIC_RULES_URL, extension: [{ url: 'holdMinutes', valueInteger: 1 }] }] } });
    const patient = async (family: string) => (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family }] } })).body.id as string;
    p1 = await patient('Côté');
    p2 = await patient('Roy');
    child = await patient('Côté-Roy');
    const rp = (await t.request('POST', '/fhir/RelatedPerson', { body: { resourceType: 'RelatedPerson', patient: { reference: `Patient/${child}` }, active: true } })).body.id;
    const schedule = async (body: Schedule) => (await t.request('POST', '/fhir/Schedule', { body })).body.id as string;
    publicSchedule = await schedule({
      resourceType: 'Schedule', active: true, actor: [{ reference: 'PractitionerRole/dr-a-role', display: 'Dre A' }],
      specialty: [{ coding: [{ system: 'urn:test:specialty', code: 'family' }] }],
      extension: [{ url: PUBLIC_BOOKING_URL, valueBoolean: true }, rulesOfHours('09:00:00', '12:00:00')],
    });
    const closed = await schedule({ resourceType: 'Schedule', active: true, actor: [{ reference: 'PractitionerRole/dr-b-role' }] });
    closedSlot = (await t.request('POST', '/fhir/Slot', { body: { resourceType: 'Slot', schedule: { reference: `Schedule/${closed}` }, status: 'free', start: '2026-07-03T14:00:00Z', end: '2026-07-03T14:20:00Z' } })).body.id as string;
    await createUser(t, { username: 'eloise', password: PASSWORD, displayName: 'Éloïse', role: 'patient', fhirUser: `Patient/${p1}` });
    await createUser(t, { username: 'remi', password: PASSWORD, displayName: 'Rémi', role: 'patient', fhirUser: `Patient/${p2}` });
    await createUser(t, { username: 'mom', password: PASSWORD, displayName: 'Mom', role: 'proxy', fhirUser: `RelatedPerson/${rp}` });
    const userToken = async (username: string) => (await codeFlow(t, { username, password: PASSWORD, scope: 'user/*.cruds' })).token?.access_token as string;
    tokens.set('p1', await userToken('eloise'));
    tokens.set('p2', await userToken('remi'));
    tokens.set('proxy', await userToken('mom'));
    // professionalToken's second factor runs on the real clock; this Carnet's runs on the test's.
    const staffToken = async (username: string, practitioner: string) => {
      const user = await createUser(t, { username, password: PASSWORD, displayName: username, role: 'physician', fhirUser: `Practitioner/${practitioner}`, practitionerRole: `PractitionerRole/${practitioner}-role` });
      return (await codeFlow(t, { username, password: PASSWORD, totpSecret: user.totp?.secret as string, scope: 'openid fhirUser user/*.cruds', clock: () => now })).token?.access_token as string;
    };
    tokens.set('staff A', await staffToken('dra', 'dr-a'));
    tokens.set('staff B', await staffToken('drb', 'dr-b'));
  });
  after(async () => t.close());

  const as = (who: string | null) => ({ token: who === null ? undefined : tokens.get(who) as string });
  const find = async (who: string, query: string) => t.request('GET', `/fhir/Appointment/$find?${query}`, as(who));
  const op = async (who: string | null, path: string, parameter: unknown[]) =>
    t.request('POST', `/fhir/${path}`, { body: { resourceType: 'Parameters', parameter }, ...(who === null ? {} : { token: tokens.get(who) as string }) });
  const slotRef = (id: string) => ({ name: 'slot', valueReference: { reference: `Slot/${id}` } });
  const patientRef = (id: string) => ({ name: 'patient', valueReference: { reference: `Patient/${id}` } });
  const openings = (response: { body: Bundle }) => (response.body.entry ?? []).map((e) => e.resource as Appointment);
  const slotOf = (a: Appointment) => (a.slot?.[0]?.reference as string).replace('Slot/', '');

  test('$find: earliest first, local times, from the rules, within the patient’s lead time; bad input is 400', async () => {
    const found = await find('p1', 'practitioner=Practitioner/dr-a&_count=3');
    assert.equal(found.status, 200, found.text);
    const list = openings(found);
    assert.deepEqual(list.map((a) => a.start), ['2026-07-01T09:00:00-04:00', '2026-07-01T09:20:00-04:00', '2026-07-01T09:40:00-04:00']);
    assert.ok(list.every((a) => a.status === 'proposed' && a.participant[0]?.actor?.reference === 'PractitionerRole/dr-a-role'));
    assert.equal(openings(await find('p1', 'organization=Organization/org-b')).length, 0, 'a schedule not open to the public is not offered to patients');
    assert.equal(openings(await find('staff B', 'organization=Organization/org-b')).length, 1, 'its clinic’s staff see it');
    assert.equal(openings(await find('p1', 'specialty=urn:test:specialty|family&start=2026-07-02&_count=1'))[0]?.start, '2026-07-02T09:00:00-04:00');
    for (const bad of ['practitioner=Practitioner/dr-a&start=2026-07-40', 'practitioner=Practitioner/dr-a&start=2026-07-02T09:00:00', 'practitioner=Practitioner/dr-a&start=2026-07-05&end=2026-07-04', '_count=2', 'practitioner=Practitioner/dr-a&visit-mode=phone']) {
      const r = await find('p1', bad);
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.resourceType, 'OperationOutcome');
    }
  });

  test('$hold keeps the slot from others until it expires; $book confirms it; the slot is then busy', async () => {
    const first = openings(await find('p1', 'practitioner=Practitioner/dr-a&start=2026-07-06&_count=1'))[0] as Appointment;
    const hold = await op('p1', 'Appointment/$hold', [slotRef(slotOf(first))]);
    assert.equal(hold.status, 201, hold.text);
    assert.equal(hold.body.status, 'pending');
    assert.equal(hold.body.extension.find((e: { url: string }) => e.url === HOLD_EXPIRES_URL).valueInstant, '2026-07-01T12:01:00.000Z');
    const again = openings(await find('p2', 'practitioner=Practitioner/dr-a&start=2026-07-06&_count=1'))[0] as Appointment;
    assert.notEqual(again.start, first.start, 'a held slot is not offered');
    const taken = await op('p2', 'Appointment/$book', [slotRef(slotOf(first))]);
    assert.equal(taken.status, 409);
    assert.match(taken.body.issue[0].diagnostics, /was taken/);
    const booked = await op('p1', 'Appointment/$book', [{ name: 'appointment', valueReference: { reference: `Appointment/${hold.body.id}` } }]);
    assert.equal(booked.status, 200, booked.text);
    assert.equal(booked.body.status, 'booked');
    assert.equal(booked.body.id, hold.body.id);
    assert.equal(((await t.request('GET', `/fhir/Slot/${slotOf(first)}`)).body as Slot).status, 'busy');
    // Cancel it again: the other tests count p1's future appointments.
    assert.equal((await op('p1', `Appointment/${hold.body.id}/$cancel`, [{ name: 'reason', valueString: 'test' }])).status, 200);
  });

  test('an expired hold frees the slot for the next booking, with nothing running meanwhile', async () => {
    const opening = openings(await find('p1', 'practitioner=Practitioner/dr-a&start=2026-07-07&_count=1'))[0] as Appointment;
    assert.equal((await op('p1', 'Appointment/$hold', [slotRef(slotOf(opening))])).status, 201);
    const saved = now;
    now = new Date(saved.getTime() + 2 * 60_000);
    try {
      const booked = await op('p2', 'Appointment/$book', [slotRef(slotOf(opening))]);
      assert.equal(booked.status, 201, booked.text);
      assert.equal((await op('p2', `Appointment/${booked.body.id}/$cancel`, [])).status, 200);
    } finally {
      now = saved;
    }
  });

  test('who may book: for oneself, a proxy for the person they act for, staff in their clinic; override only staff, audited', async () => {
    const [a, b] = openings(await find('p1', 'practitioner=Practitioner/dr-a&start=2026-07-08&_count=2')) as [Appointment, Appointment];
    assert.equal((await op('p1', 'Appointment/$book', [slotRef(slotOf(a)), patientRef(p2)])).status, 403, 'not for someone else');
    assert.equal((await op('p1', 'Appointment/$book', [slotRef(closedSlot)])).status, 403, 'not in a schedule closed to the public');
    assert.equal((await op('proxy', 'Appointment/$book', [slotRef(slotOf(a)), patientRef(p1)])).status, 403);
    const forChild = await op('proxy', 'Appointment/$book', [slotRef(slotOf(a)), patientRef(child)]);
    assert.equal(forChild.status, 201, forChild.text);
    assert.equal((await op('staff B', 'Appointment/$book', [slotRef(slotOf(b)), patientRef(p2)])).status, 403, 'another clinic’s staff');
    assert.equal((await op('staff B', 'Appointment/$book', [slotRef(closedSlot), patientRef(p2)])).status, 201, 'staff book anyone in their clinic');
    assert.equal((await op('p2', 'Appointment/$book', [slotRef(slotOf(a)), { name: 'override', valueBoolean: true }])).status, 403);
    const over = await op('staff A', 'Appointment/$book', [slotRef(slotOf(a)), patientRef(p2), { name: 'override', valueBoolean: true }]);
    assert.equal(over.status, 201, over.text);
    const { rows } = await t.carnet.db.query<{ content: string }>("SELECT content FROM audit_event WHERE content LIKE '%double booking on purpose%'");
    assert.equal(rows.length, 1, 'the override is in the audit trail');
    assert.match(rows[0]?.content ?? '', new RegExp(`Appointment/${over.body.id}`));
  });

  test('clinic rules for patients: at most two future appointments, cancel until 24 h before; staff are not bound', async () => {
    const list = openings(await find('p1', 'practitioner=Practitioner/dr-a&start=2026-07-13&_count=3'));
    const soon = openings(await find('p1', 'practitioner=Practitioner/dr-a&_count=1'))[0] as Appointment;
    const one = await op('p1', 'Appointment/$book', [slotRef(slotOf(soon))]);
    assert.equal(one.status, 201, one.text);
    const two = await op('p1', 'Appointment/$book', [slotRef(slotOf(list[0] as Appointment))]);
    assert.equal(two.status, 201);
    const three = await op('p1', 'Appointment/$book', [slotRef(slotOf(list[1] as Appointment))]);
    assert.equal(three.status, 422);
    assert.match(three.body.issue[0].diagnostics, /at most 2 future/);
    const late = await op('p1', `Appointment/${one.body.id}/$cancel`, [{ name: 'reason', valueString: 'empêchement' }]);
    assert.equal(late.status, 422, 'within 24 hours');
    assert.match(late.body.issue[0].diagnostics, /24 hours/);
    const byClinic = await op('staff A', `Appointment/${one.body.id}/$cancel`, [{ name: 'reason', valueString: 'appel du patient' }]);
    assert.equal(byClinic.status, 200);
    assert.equal(byClinic.body.status, 'cancelled');
    assert.equal(byClinic.body.cancelationReason.coding[0].code, 'prov');
    assert.equal(((await t.request('GET', `/fhir/Slot/${slotOf(soon)}`)).body as Slot).status, 'free', 'the slot is free again');
    assert.equal(openings(await find('p2', 'practitioner=Practitioner/dr-a&_count=1'))[0]?.start, soon.start, 'and offered again');
    assert.equal((await op('p2', `Appointment/${two.body.id}/$cancel`, [])).status, 404, 'another patient’s appointment does not exist for them');
    const mine = await op('p1', `Appointment/${two.body.id}/$cancel`, [{ name: 'reason', valueString: 'vacances' }]);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.cancelationReason.coding[0].code, 'pat');
    assert.equal((await op('p1', `Appointment/${two.body.id}/$cancel`, [])).status, 409, 'already cancelled');
  });

  test('$reschedule cancels and books in one transaction; $noshow is the clinic’s, once the appointment started', async () => {
    const [a, b] = openings(await find('p1', 'practitioner=Practitioner/dr-a&start=2026-07-20&_count=2')) as [Appointment, Appointment];
    const booked = await op('p1', 'Appointment/$book', [slotRef(slotOf(a))]);
    const moved = await op('p1', `Appointment/${booked.body.id}/$reschedule`, [slotRef(slotOf(b))]);
    assert.equal(moved.status, 201, moved.text);
    assert.equal(moved.body.start, b.start);
    assert.equal((await t.request('GET', `/fhir/Appointment/${booked.body.id}`)).body.status, 'cancelled');
    assert.equal(((await t.request('GET', `/fhir/Slot/${slotOf(a)}`)).body as Slot).status, 'free');
    const refused = await op('p1', `Appointment/${moved.body.id}/$reschedule`, [slotRef(closedSlot)]);
    assert.equal(refused.status, 403);
    assert.equal((await t.request('GET', `/fhir/Appointment/${moved.body.id}`)).body.status, 'booked', 'a refused reschedule changes nothing');
    assert.equal((await op('p1', `Appointment/${moved.body.id}/$noshow`, [])).status, 403);
    assert.equal((await op('staff A', `Appointment/${moved.body.id}/$noshow`, [])).status, 409, 'not started yet');
    // A slot the clinic adds for right now (staff are not bound by the patients' lead time).
    const start = new Date(now.getTime() + 2 * 60_000);
    const urgent = (await t.request('POST', '/fhir/Slot', { body: { resourceType: 'Slot', schedule: { reference: `Schedule/${publicSchedule}` }, status: 'free', start: start.toISOString(), end: new Date(start.getTime() + 15 * 60_000).toISOString() } })).body.id as string;
    const visit = await op('staff A', 'Appointment/$book', [slotRef(urgent), patientRef(p2)]);
    assert.equal(visit.status, 201, visit.text);
    const saved = now;
    // Within the tokens' lifetime (300 s on this clock).
    now = new Date(start.getTime() + 60_000);
    try {
      const noshow = await op('staff A', `Appointment/${visit.body.id}/$noshow`, []);
      assert.equal(noshow.status, 200, noshow.text);
      assert.equal(noshow.body.status, 'noshow');
    } finally {
      now = saved;
    }
    assert.equal((await op('p1', `Appointment/${moved.body.id}/$cancel`, [])).status, 200);
  });

  test('bad slots: unknown, past, invented rule openings — nothing written', async () => {
    const before = ((await t.request('GET', '/fhir/Appointment?_summary=count')).body as Bundle).total;
    assert.equal((await op('staff A', 'Appointment/$book', [slotRef('nope'), patientRef(p1)])).status, 404);
    assert.equal((await op('staff A', 'Appointment/$book', [slotRef(`r.${publicSchedule}.${Math.floor(Date.parse('2026-07-06T13:07:00Z') / 60_000).toString(36)}`), patientRef(p1)])).status, 404, 'not an opening of the rules');
    assert.equal((await op('staff A', 'Appointment/$book', [slotRef(`r.${publicSchedule}.${Math.floor(Date.parse('2026-06-30T13:00:00Z') / 60_000).toString(36)}`), patientRef(p1)])).status, 400, 'in the past');
    assert.equal((await op('staff A', 'Appointment/$book', [slotRef(slotOf(openings(await find('staff A', 'practitioner=Practitioner/dr-a&_count=1'))[0] as Appointment)), patientRef('nobody')])).status, 400);
    assert.equal(((await t.request('GET', '/fhir/Appointment?_summary=count')).body as Bundle).total, before);
  });

  test('50 parallel $book of one opening: one 201, 49 × 409; 50 openings in parallel: all 201', async () => {
    const list = openings(await find('staff A', 'practitioner=Practitioner/dr-a&start=2026-08-03&end=2026-08-31&_count=51'));
    assert.equal(list.length, 51);
    const one = slotOf(list[0] as Appointment);
    const results = await Promise.all(Array.from({ length: 50 }, () => op(null, 'Appointment/$book', [slotRef(one), patientRef(p2)])));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 49);
    assert.ok(results.filter((r) => r.status === 409).every((r) => /taken/.test(r.body.issue[0].diagnostics)));
    const many = await Promise.all(list.slice(1).map((a) => op(null, 'Appointment/$book', [slotRef(slotOf(a)), patientRef(p2)])));
    assert.deepEqual(many.map((r) => r.status), Array(50).fill(201));
  });
});
