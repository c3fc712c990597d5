import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Appointment, Bundle, OperationOutcome, Slot } from '@medplum/fhirtypes';
import { HOLD_EXPIRES_URL, OVERBOOKED_URL } from '../../src/scheduling/claims.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * The database refuses double bookings whatever the write path (issue #18): real parallel requests through
 * the server, on PGlite and (DATABASE_URL) PostgreSQL.
 */
describe('no double booking (schedule claims)', () => {
  let t: TestCarnet;
  let now = new Date('2026-07-01T12:00:00Z');
  let schedule: string;
  let role: string;
  let slotCount = 0;
  let patient: string;
  before(async () => {
    t = await startTestCarnet({ clock: () => now });
    patient = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Gagnon' }] } })).body.id as string;
    const practitioner = (await t.request('POST', '/fhir/Practitioner', { body: { resourceType: 'Practitioner', name: [{ family: 'Tremblay' }] } })).body.id as string;
    role = (await t.request('POST', '/fhir/PractitionerRole', { body: { resourceType: 'PractitionerRole', practitioner: { reference: `Practitioner/${practitioner}` } } })).body.id as string;
    schedule = (await t.request('POST', '/fhir/Schedule', { body: { resourceType: 'Schedule', actor: [{ reference: `PractitionerRole/${role}` }] } })).body.id as string;
  });
  after(async () => t.close());

  /** A new free 20-minute slot, each one later than the last (so practitioners' times never meet by accident). */
  const times = new Map<string, { start: string; end: string }>();
  async function newSlot(): Promise<string> {
    const start = new Date(Date.parse('2026-07-10T13:00:00Z') + slotCount++ * 20 * 60_000);
    const body: Slot = { resourceType: 'Slot', schedule: { reference: `Schedule/${schedule}` }, status: 'free', start: start.toISOString(), end: new Date(start.getTime() + 20 * 60_000).toISOString() };
    const response = await t.request('POST', '/fhir/Slot', { body });
    assert.equal(response.status, 201);
    times.set(response.body.id as string, { start: body.start, end: body.end });
    return response.body.id as string;
  }
  const appointment = (slot: string, extra: Partial<Appointment> = {}): Appointment => ({
    resourceType: 'Appointment', status: 'booked', slot: [{ reference: `Slot/${slot}` }], ...(times.get(slot) ?? {}),
    participant: [{ actor: { reference: `Patient/${patient}` }, status: 'accepted' }, { actor: { reference: `PractitionerRole/${role}` }, status: 'accepted' }],
    ...extra,
  });
  const claimsOfSlot = async (slot: string): Promise<number> =>
    Number((await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM schedule_claim WHERE slot_id = $1', [slot])).rows[0]?.n);

  test('50 parallel bookings of one slot: exactly one 201, 49 × 409 saying the slot was taken', async () => {
    const slot = await newSlot();
    const results = await Promise.all(Array.from({ length: 50 }, () => t.request('POST', '/fhir/Appointment', { body: appointment(slot) })));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 409).length, 49);
    for (const refused of results.filter((r) => r.status === 409)) {
      const outcome = refused.body as OperationOutcome;
      assert.equal(outcome.resourceType, 'OperationOutcome');
      assert.equal(outcome.issue[0]?.code, 'conflict');
      assert.match(outcome.issue[0]?.diagnostics ?? '', new RegExp(`Slot/${slot} was taken`));
    }
    const stored = (await t.request('GET', `/fhir/Appointment?slot=Slot/${slot}`)).body as Bundle;
    assert.equal(stored.entry?.length, 1, 'the refused bookings wrote nothing');
    assert.equal(await claimsOfSlot(slot), 1);
  });

  test('50 parallel bookings of 50 different slots all succeed', async () => {
    const slots: string[] = [];
    for (let i = 0; i < 50; i++) slots.push(await newSlot());
    const results = await Promise.all(slots.map((slot) => t.request('POST', '/fhir/Appointment', { body: appointment(slot) })));
    assert.deepEqual(results.map((r) => r.status), Array(50).fill(201));
  });

  test('an appointment overlapping the practitioner’s other appointment is refused, even without a slot', async () => {
    const slot = await newSlot();
    const booked = await t.request('POST', '/fhir/Appointment', { body: appointment(slot) });
    assert.equal(booked.status, 201);
    const { start, end } = times.get(slot) as { start: string; end: string };
    const overlapping = { ...appointment(slot), slot: undefined, start: new Date(Date.parse(start) + 5 * 60_000).toISOString(), end };
    const refused = await t.request('POST', '/fhir/Appointment', { body: overlapping });
    assert.equal(refused.status, 409);
    assert.match(refused.body.issue[0].diagnostics, /Practitioner\/.+ already has an appointment/);
    const overbooked = await t.request('POST', '/fhir/Appointment', { body: { ...overlapping, extension: [{ url: OVERBOOKED_URL, valueBoolean: true }] } });
    assert.equal(overbooked.status, 201, 'an override books on purpose');
    const audited = async (id: string) => (await t.carnet.db.query<{ content: string }>(
      "SELECT content FROM audit_event WHERE content LIKE '%double booking on purpose%' AND content LIKE $1", [`%Appointment/${id} overlaps %Appointment/${booked.body.id}%`])).rows;
    assert.equal((await audited(overbooked.body.id)).length, 1, 'the REST override is in the audit record of its write, naming what it overlaps');
    // An update (PUT) that moves an appointment over another one with the flag is an override too.
    const other = await newSlot();
    const elsewhere = await t.request('POST', '/fhir/Appointment', { body: { ...overlapping, ...times.get(other) } });
    assert.equal(elsewhere.status, 201);
    const moved = { ...elsewhere.body, start: overlapping.start, end: overlapping.end };
    assert.equal((await t.request('PUT', `/fhir/Appointment/${elsewhere.body.id}`, { body: moved })).status, 409, 'without the flag: refused');
    const flagged = await t.request('PUT', `/fhir/Appointment/${elsewhere.body.id}`, { body: { ...moved, extension: [{ url: OVERBOOKED_URL, valueBoolean: true }] } });
    assert.equal(flagged.status, 200);
    assert.equal((await audited(elsewhere.body.id)).length, 1);
    const plain = await newSlot();
    const apart = await t.request('POST', '/fhir/Appointment', { body: appointment(plain, { extension: [{ url: OVERBOOKED_URL, valueBoolean: true }] }) });
    assert.equal(apart.status, 201);
    assert.equal((await t.carnet.db.query("SELECT 1 FROM audit_event WHERE content LIKE $1", [`%Appointment/${apart.body.id} overlaps%`])).rows.length, 0, 'the flag over free time overrides nothing');
  });

  test('cancelling (update) and deleting free the time; the slot can be booked again', async () => {
    const slot = await newSlot();
    const first = await t.request('POST', '/fhir/Appointment', { body: appointment(slot) });
    assert.equal((await t.request('POST', '/fhir/Appointment', { body: appointment(slot) })).status, 409);
    const cancelled = await t.request('PUT', `/fhir/Appointment/${first.body.id}`, { body: { ...first.body, status: 'cancelled' } });
    assert.equal(cancelled.status, 200);
    assert.equal(await claimsOfSlot(slot), 0);
    const second = await t.request('POST', '/fhir/Appointment', { body: appointment(slot) });
    assert.equal(second.status, 201);
    assert.equal((await t.request('DELETE', `/fhir/Appointment/${second.body.id}`)).status, 204);
    assert.equal(await claimsOfSlot(slot), 0);
    assert.equal((await t.request('POST', '/fhir/Appointment', { body: appointment(slot) })).status, 201);
  });

  test('patch to booked claims too', async () => {
    const slot = await newSlot();
    await t.request('POST', '/fhir/Appointment', { body: appointment(slot) });
    const proposed = await t.request('POST', '/fhir/Appointment', { body: appointment(slot, { status: 'proposed' }) });
    assert.equal(proposed.status, 201, 'a proposal holds no time');
    const patched = await t.request('PATCH', `/fhir/Appointment/${proposed.body.id}`, {
      body: [{ op: 'replace', path: '/status', value: 'booked' }], headers: { 'content-type': 'application/json-patch+json' },
    });
    assert.equal(patched.status, 409);
  });

  test('transaction: a reschedule (cancel one, book its slot for another) commits; two bookings of one slot write nothing', async () => {
    const slot = await newSlot();
    const first = await t.request('POST', '/fhir/Appointment', { body: appointment(slot) });
    const reschedule: Bundle = {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: appointment(slot), request: { method: 'POST', url: 'Appointment' } },
        { resource: { ...first.body, status: 'cancelled' }, request: { method: 'PUT', url: `Appointment/${first.body.id}` } },
      ],
    };
    assert.equal((await t.request('POST', '/fhir', { body: reschedule })).status, 200);
    const other = await newSlot();
    const before = ((await t.request('GET', '/fhir/Appointment?_summary=count')).body as Bundle).total;
    const twice: Bundle = {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: appointment(other), request: { method: 'POST', url: 'Appointment' } },
        { resource: appointment(other), request: { method: 'POST', url: 'Appointment' } },
      ],
    };
    const refused = await t.request('POST', '/fhir', { body: twice });
    assert.equal(refused.status, 409);
    assert.equal(((await t.request('GET', '/fhir/Appointment?_summary=count')).body as Bundle).total, before);
    assert.equal(await claimsOfSlot(other), 0);
  });

  test('batch: each entry on its own — one of two bookings of a slot wins', async () => {
    const slot = await newSlot();
    const batch: Bundle = {
      resourceType: 'Bundle', type: 'batch',
      entry: [0, 1].map(() => ({ resource: appointment(slot), request: { method: 'POST' as const, url: 'Appointment' } })),
    };
    const response = await t.request('POST', '/fhir', { body: batch });
    assert.deepEqual((response.body as Bundle).entry?.map((e) => e.response?.status), ['201 Created', '409 Conflict']);
  });

  test('a hold blocks the slot until it expires, then frees it with nothing running', async () => {
    const slot = await newSlot();
    const expires = new Date(now.getTime() + 2 * 60_000).toISOString();
    const hold = await t.request('POST', '/fhir/Appointment', { body: appointment(slot, { status: 'pending', extension: [{ url: HOLD_EXPIRES_URL, valueInstant: expires }] }) });
    assert.equal(hold.status, 201);
    assert.equal((await t.request('POST', '/fhir/Appointment', { body: appointment(slot) })).status, 409, 'held by someone else');
    const saved = now;
    // Less than the access token's lifetime (300 s) on the same clock.
    now = new Date(saved.getTime() + 3 * 60_000);
    try {
      assert.equal((await t.request('POST', '/fhir/Appointment', { body: appointment(slot) })).status, 201, 'the expired hold no longer counts');
      const late = await t.request('PUT', `/fhir/Appointment/${hold.body.id}`, { body: { ...hold.body, status: 'booked' } });
      assert.equal(late.status, 409, 'confirming an expired hold whose slot was taken meanwhile fails');
    } finally {
      now = saved;
    }
  });

  test('bad input writes nothing: a missing or blocked slot, an end before the start', async () => {
    const missing = await t.request('POST', '/fhir/Appointment', { body: { ...appointment('does-not-exist'), start: '2026-07-10T09:00:00Z', end: '2026-07-10T09:20:00Z' } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.issue[0].diagnostics, /Slot\/does-not-exist does not exist/);
    const slot = await newSlot();
    const current = (await t.request('GET', `/fhir/Slot/${slot}`)).body as Slot;
    await t.request('PUT', `/fhir/Slot/${slot}`, { body: { ...current, status: 'busy-unavailable' } });
    const blocked = await t.request('POST', '/fhir/Appointment', { body: appointment(slot) });
    assert.equal(blocked.status, 400);
    assert.match(blocked.body.issue[0].diagnostics, /busy-unavailable/);
    const backwards = await t.request('POST', '/fhir/Appointment', { body: { ...appointment(slot), slot: undefined, start: '2026-07-10T10:00:00Z', end: '2026-07-10T09:00:00Z' } });
    assert.equal(backwards.status, 400);
  });

  test('a slot an appointment holds cannot be moved, blocked or deleted', async () => {
    const slot = await newSlot();
    await t.request('POST', '/fhir/Appointment', { body: appointment(slot) });
    const current = (await t.request('GET', `/fhir/Slot/${slot}`)).body as Slot;
    assert.equal((await t.request('PUT', `/fhir/Slot/${slot}`, { body: { ...current, status: 'busy' } })).status, 200, 'marking it busy is what booking does');
    const marked = (await t.request('GET', `/fhir/Slot/${slot}`)).body as Slot;
    const moved = await t.request('PUT', `/fhir/Slot/${slot}`, { body: { ...marked, start: new Date(Date.parse(marked.start) + 60_000).toISOString() } });
    assert.equal(moved.status, 409);
    assert.equal((await t.request('PUT', `/fhir/Slot/${slot}`, { body: { ...marked, status: 'busy-unavailable' } })).status, 409);
    assert.equal((await t.request('DELETE', `/fhir/Slot/${slot}`)).status, 409);
  });
});
