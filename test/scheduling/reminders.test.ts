import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Appointment, Bundle, Communication } from '@medplum/fhirtypes';
import { REMINDER_KIND } from '../../src/scheduling/reminders.js';
import { FILTER_CRITERIA_URL } from '../../src/subscriptions/spec.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { startReceiver, type Receiver } from '../subscriptions/receiver.js';

/**
 * Reminders and changes are events Subscriptions deliver (issue #18): booked, cancelled and moved
 * appointments reach the appointment topic; a reminder job per booked appointment, 24 h before, moved and
 * cancelled with it, writes a Communication the appointment-reminder topic delivers. Injected clock.
 */
describe('appointment reminders and change events', () => {
  let t: TestCarnet;
  let rx: Receiver;
  let now = new Date('2026-07-01T12:00:00Z');
  let role: string;
  let schedule: string;
  const patient = 'rem-p1';
  before(async () => {
    rx = await startReceiver();
    t = await startTestCarnet({ clock: () => now, env: { CARNET_SUBSCRIPTION_ALLOWED_HOSTS: '127.0.0.1', CARNET_ACCESS_TOKEN_SECONDS: '86400' } });
    await t.request('PUT', `/fhir/Patient/${patient}`, { body: { resourceType: 'Patient', id: patient } });
    const practitioner = (await t.request('POST', '/fhir/Practitioner', { body: { resourceType: 'Practitioner' } })).body.id as string;
    role = (await t.request('POST', '/fhir/PractitionerRole', { body: { resourceType: 'PractitionerRole', practitioner: { reference: `Practitioner/${practitioner}` } } })).body.id as string;
    schedule = (await t.request('POST', '/fhir/Schedule', { body: { resourceType: 'Schedule', actor: [{ reference: `PractitionerRole/${role}` }] } })).body.id as string;
  });
  after(async () => {
    await t.close();
    await rx.close();
  });

  let n = 0;
  async function book(start: string): Promise<Appointment> {
    const end = new Date(Date.parse(start) + 20 * 60_000).toISOString();
    const slot = (await t.request('POST', '/fhir/Slot', { body: { resourceType: 'Slot', schedule: { reference: `Schedule/${schedule}` }, status: 'free', start, end } })).body.id as string;
    const r = await t.request('POST', '/fhir/Appointment/$book', { body: { resourceType: 'Parameters', parameter: [
      { name: 'slot', valueReference: { reference: `Slot/${slot}` } }, { name: 'patient', valueReference: { reference: `Patient/${patient}` } }] } });
    assert.equal(r.status, 201, r.text);
    n++;
    return r.body as Appointment;
  }
  const reminderJob = async (id: string) => (await t.carnet.db.query<{ state: string; run_at: Date | string; payload: string }>(
    'SELECT state, run_at, payload FROM job WHERE kind = $1 AND key = $2', [REMINDER_KIND, id])).rows[0];
  // Read in SQL: the clock jumps further than an access token lives.
  const reminders = async (id: string) => (await t.carnet.db.query<{ content: string }>(
    "SELECT content FROM resource WHERE resource_type = 'Communication' AND NOT deleted AND patient_id = $1", [patient])).rows
    .map((r) => JSON.parse(r.content) as Communication).filter((c) => c.about?.[0]?.reference === `Appointment/${id}`);
  const subscribe = async (path: string, criteria: string) => {
    const r = await t.request('POST', '/fhir/Subscription', { body: {
      resourceType: 'Subscription', status: 'requested', reason: 'reminders', criteria,
      _criteria: { extension: [{ url: FILTER_CRITERIA_URL, valueString: `${criteria.endsWith('reminder') ? 'Communication' : 'Appointment'}?patient=Patient/${patient}` }] },
      channel: { type: 'rest-hook', endpoint: `${rx.url}/${path}`, payload: 'application/fhir+json' },
    } });
    assert.equal(r.status, 201, r.text);
  };

  test('a booking arms a reminder 24 h before; it writes a Communication the reminder topic delivers', async () => {
    await subscribe('reminders', 'urn:carnet:SubscriptionTopic/appointment-reminder');
    await subscribe('changes', 'urn:carnet:SubscriptionTopic/appointment');
    await t.carnet.background.runOnce();
    const booked = await book('2026-07-10T13:00:00Z');
    const job = await reminderJob(booked.id as string);
    assert.equal(job?.state, 'pending');
    assert.equal(new Date(job.run_at).toISOString(), '2026-07-09T13:00:00.000Z');
    await t.carnet.background.runOnce();
    assert.equal((await reminders(booked.id as string)).length, 0, 'not before its time');
    now = new Date('2026-07-09T13:00:01Z');
    await t.carnet.background.runOnce();
    await t.carnet.background.runOnce();
    const [reminder, ...more] = await reminders(booked.id as string);
    assert.equal(more.length, 0);
    assert.equal(reminder?.recipient?.[0]?.reference, `Patient/${patient}`);
    assert.match(reminder?.payload?.[0]?.contentString ?? '', /^Rappel : vous avez un rendez-vous le vendredi 10 juillet 2026 à 09 h 00.*Reminder: .*Friday, July 10, 2026/);
    const delivered = rx.at('/reminders').flatMap((x) => ((x.json as Bundle).entry ?? []).slice(1).map((e) => e.resource?.id));
    assert.deepEqual(delivered, [reminder?.id]);
    assert.equal((await reminderJob(booked.id as string))?.state, 'done');
    assert.deepEqual(rx.at('/changes').flatMap((x) => ((x.json as Bundle).entry ?? []).slice(1).map((e) => e.resource?.id)), [booked.id], 'the booking reached the appointment topic');
  });

  test('cancelling cancels the reminder; rescheduling moves it to the new appointment; both reach the appointment topic', async () => {
    now = new Date('2026-07-01T12:00:00Z');
    const first = await book('2026-07-20T13:00:00Z');
    const cancelled = await t.request('POST', `/fhir/Appointment/${first.id}/$cancel`, { body: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'empêchement' }] } });
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal((await reminderJob(first.id as string))?.state, 'cancelled');
    const second = await book('2026-07-21T13:00:00Z');
    const slot = (await t.request('POST', '/fhir/Slot', { body: { resourceType: 'Slot', schedule: { reference: `Schedule/${schedule}` }, status: 'free', start: '2026-07-22T14:00:00Z', end: '2026-07-22T14:20:00Z' } })).body.id as string;
    const moved = await t.request('POST', `/fhir/Appointment/${second.id}/$reschedule`, { body: { resourceType: 'Parameters', parameter: [{ name: 'slot', valueReference: { reference: `Slot/${slot}` } }] } });
    assert.equal(moved.status, 201, moved.text);
    assert.equal((await reminderJob(second.id as string))?.state, 'cancelled');
    const next = await reminderJob(moved.body.id as string);
    assert.equal(new Date(next?.run_at ?? 0).toISOString(), '2026-07-21T14:00:00.000Z');
    // A REST update that moves a booked appointment re-arms its reminder at the new time.
    const later = { ...moved.body, start: '2026-07-23T14:00:00Z', end: '2026-07-23T14:20:00Z', slot: undefined };
    assert.equal((await t.request('PUT', `/fhir/Appointment/${moved.body.id}`, { body: later })).status, 200);
    assert.equal(new Date((await reminderJob(moved.body.id as string))?.run_at ?? 0).toISOString(), '2026-07-22T14:00:00.000Z');
    rx.at('/changes').length = 0;
    await t.carnet.background.runOnce();
    // Every event of every notification Bundle (several travel together when several wait).
    const changes = rx.at('/changes').flatMap((x) => ((x.json as Bundle).entry ?? []).slice(1).map((e) => e.resource as Appointment));
    const seen = new Set(changes.map((a) => `${a.id}:${a.status}`));
    for (const expected of [`${first.id}:cancelled`, `${second.id}:cancelled`, `${moved.body.id}:booked`]) assert.ok(seen.has(expected), `${expected} in ${[...seen].join(', ')}`);
    // The reminder of a time the appointment no longer has does nothing.
    now = new Date('2026-07-22T14:00:01Z');
    await t.carnet.background.runOnce();
    assert.equal((await reminders(moved.body.id as string)).length, 1);
  });

  test('booked less than 24 h ahead: reminded 2 h before, or right away within 2 h; an edit that does not move it re-sends nothing', async () => {
    // Within the access token's day (the clock of the earlier tests started on 1 July at noon).
    now = new Date('2026-07-02T06:00:00Z');
    const tomorrow = await book('2026-07-03T02:00:00Z');
    assert.equal(new Date((await reminderJob(tomorrow.id as string))?.run_at ?? 0).toISOString(), '2026-07-03T00:00:00.000Z', '20 h ahead: 2 h before');
    const soon = await book('2026-07-02T07:00:00Z');
    assert.equal(new Date((await reminderJob(soon.id as string))?.run_at ?? 0).toISOString(), '2026-07-02T06:00:00.000Z', '1 h ahead: right away');
    await t.carnet.background.runOnce();
    await t.carnet.background.runOnce();
    assert.equal((await reminders(soon.id as string)).length, 1);
    assert.equal((await reminders(tomorrow.id as string)).length, 0, 'not before its time');
    // An edit that keeps the time (a note added) neither re-arms nor re-sends.
    const current = (await t.request('GET', `/fhir/Appointment/${soon.id}`)).body as Appointment;
    assert.equal((await t.request('PUT', `/fhir/Appointment/${soon.id}`, { body: { ...current, comment: 'fauteuil roulant' } })).status, 200);
    assert.equal((await reminderJob(soon.id as string))?.state, 'done');
    await t.carnet.background.runOnce();
    assert.equal((await reminders(soon.id as string)).length, 1, 'one reminder per time');
    now = new Date('2026-07-03T00:00:01Z');
    await t.carnet.background.runOnce();
    await t.carnet.background.runOnce();
    assert.equal((await reminders(tomorrow.id as string)).length, 1);
    assert.equal((await reminders(soon.id as string)).length, 1);
  });
});
