import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Subscription } from '@medplum/fhirtypes';
import { clientSecretToken, professionalToken, registerClient, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { signalAfterCommit } from '../../src/storage/commit-signals.js';
import { HEARTBEAT_PERIOD_URL, PAYLOAD_CONTENT_URL } from '../../src/subscriptions/spec.js';
import { consentDenying } from './fixtures.js';
import { signalType, startReceiver, type Receiver } from './receiver.js';

/**
 * The rest of a rest-hook subscription's life, end to end through the real server and a real HTTP
 * receiver: the Backport handshake and heartbeats (durable jobs, the injected clock), deletes as events,
 * the owner's rights re-checked when matching and delivering (revoked client, changed role, a consent
 * written after the subscription, withdrawn before delivery), who may subscribe (the pharmacist), the
 * endpoint rules outside demo mode and the audit of every notification.
 */
const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
const VITALS = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] };

type StatusParams = { parameter: { name: string; valueString?: string; valueCode?: string; part?: { name: string; valueString?: string }[] }[] };
const param = (b: Bundle, name: string) => {
  const p = (b.entry?.[0]?.resource as unknown as StatusParams).parameter.find((x) => x.name === name);
  return name === 'notification-event' ? p?.part?.find((x) => x.name === 'event-number')?.valueString : p?.valueString ?? p?.valueCode;
};

describe('subscription lifecycle: handshake, heartbeat, deletes, the owner’s standing', () => {
  let t: TestCarnet;
  let rx: Receiver;
  let now = new Date();
  let drA: string;
  let pharmacist: string;
  let nurse: string;
  let drD: string;
  before(async () => {
    rx = await startReceiver();
    // Owners' standing kept ten minutes: only the changes' own signals can make these tests see them.
    t = await startTestCarnet({ clock: () => now, env: { CARNET_SUBSCRIPTION_ALLOWED_HOSTS: '127.0.0.1', CARNET_ACCESS_TOKEN_SECONDS: '86400', CARNET_SUBSCRIPTION_STANDING_MS: '600000' } });
    for (const id of ['p1', 'p2', 'p3', 'p4']) {
      const r = await t.request('PUT', `/fhir/Patient/${id}`, { body: { resourceType: 'Patient', id, name: [{ family: id }] } });
      assert.ok(r.status === 201 || r.status === 200, r.text);
    }
    await seedDirectory(t);
    // The second factor comes from the real clock: the injected one catches up first (a slow start left it behind the TOTP window).
    now = new Date();
    drA = await professionalToken(t, 'dr-a', 'physician', 'dr-a');
    pharmacist = await professionalToken(t, 'pharm', 'pharmacist', 'pharm', 'openid fhirUser user/*.cruds');
    nurse = await professionalToken(t, 'nurse-a', 'nurse', 'nurse-a');
    drD = await professionalToken(t, 'dr-d', 'physician', 'dr-b');
  });
  after(async () => {
    await t.close();
    await rx.close();
  });

  const run = () => t.carnet.background.runOnce();
  const later = (ms: number) => { now = new Date(now.getTime() + ms); };
  const content = (code: string) => ({ _payload: { extension: [{ url: PAYLOAD_CONTENT_URL, valueCode: code }] } });
  const subscription = (path: string, criteria: string, channel: Record<string, unknown> = {}): Subscription => ({
    resourceType: 'Subscription', status: 'requested', reason: 'lifecycle', criteria,
    channel: { type: 'rest-hook', endpoint: `${rx.url}${path}`, payload: 'application/fhir+json', ...channel } as Subscription['channel'],
  });
  const subscribe = async (body: Subscription, token?: string): Promise<string> => {
    const r = await t.request('POST', '/fhir/Subscription', { body, ...(token ? { token } : {}) });
    assert.equal(r.status, 201, r.text);
    await run();
    return r.body.id as string;
  };
  const observation = async (id: string, patient: string, category: unknown, token?: string) => {
    const r = await t.request('PUT', `/fhir/Observation/${id}`, {
      body: { resourceType: 'Observation', id, status: 'final', category: [category], code: { text: 'potassium' }, subject: { reference: `Patient/${patient}` } },
      ...(token ? { token } : {}),
    });
    assert.ok(r.status === 201 || r.status === 200, r.text);
  };
  const signalsAt = (path: string) => rx.signals.filter((r) => r.path === path);
  const read = async (id: string) => (await t.request('GET', `/fhir/Subscription/${id}`)).body as Subscription;

  test('activation sends the handshake first; the events follow it in order', async () => {
    rx.signalStatus = 200;
    const id = await subscribe(subscription('/hs', 'Observation?patient=Patient/p1&category=laboratory'));
    const [handshake] = signalsAt('/hs');
    assert.ok(handshake, 'a handshake arrived');
    const bundle = handshake.json as Bundle;
    assert.deepEqual([bundle.type, param(bundle, 'type'), param(bundle, 'events-since-subscription-start'), bundle.entry?.length], ['history', 'handshake', '0', 1]);
    await observation('hs1', 'p1', LAB);
    await run();
    assert.equal(rx.at('/hs').length, 1);
    assert.equal(signalsAt('/hs').length, 1, 'writing the status did not handshake again');
    assert.equal((await read(id)).status, 'active');
  });

  test('a failing handshake is retried at the head: events wait behind it', async () => {
    rx.signalStatus = 500;
    const id = await subscribe(subscription('/hs-fail', 'Observation?patient=Patient/p2&category=laboratory'));
    await observation('hf1', 'p2', LAB);
    await run();
    assert.equal(rx.at('/hs-fail').length, 0, 'the event waits for the handshake');
    rx.signalStatus = 200;
    later(60_000);
    await run();
    assert.equal(signalsAt('/hs-fail').length, 2);
    assert.equal(rx.at('/hs-fail').length, 1);
    assert.equal((await read(id)).status, 'active');
  });

  test('heartbeats every heartbeatPeriod when nothing else was sent, through the periodic job', async () => {
    const id = await subscribe(subscription('/hb', 'Observation?patient=Patient/p1&category=vital-signs', {
      extension: [{ url: HEARTBEAT_PERIOD_URL, valueUnsignedInt: 60 }],
    }));
    const beats = () => signalsAt('/hb').filter((r) => signalType(r.json) === 'heartbeat').length;
    assert.equal(beats(), 0);
    later(30_000);
    await run();
    assert.equal(beats(), 0, 'not yet due');
    later(40_000);
    await run();
    assert.equal(beats(), 1, 'due after 60 s of silence');
    const beat = signalsAt('/hb').at(-1)?.json as Bundle;
    assert.deepEqual([param(beat, 'type'), param(beat, 'status')], ['heartbeat', 'active']);
    later(30_000);
    await observation('hb1', 'p1', VITALS);
    await run();
    assert.equal(rx.at('/hb').length, 1);
    later(40_000);
    await run();
    assert.equal(beats(), 1, 'the event counted as something sent');
    later(30_000);
    await run();
    assert.equal(beats(), 2);
    const jobs = await t.carnet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM job WHERE kind = 'subscription.heartbeat'`);
    assert.equal(jobs.rows[0]?.n, 1, 'one periodic row, not a timer');

    const bad = await t.request('POST', '/fhir/Subscription', { body: subscription('/hb', 'Observation', { extension: [{ url: HEARTBEAT_PERIOD_URL, valueUnsignedInt: 1 }] }) });
    assert.equal(bad.status, 422, bad.text);
    assert.match(bad.body.issue[0].diagnostics, /heartbeatPeriod/);
    await t.request('DELETE', `/fhir/Subscription/${id}`);
  });

  test('a deleted resource that matched is an event (id-only: DELETE entry; full-resource: no resource); one that did not is not', async () => {
    await subscribe(subscription('/del-ids', 'Observation?patient=Patient/p3&category=laboratory', content('id-only')));
    await subscribe(subscription('/del-full', 'Observation?patient=Patient/p3&category=laboratory', content('full-resource')));
    await observation('d1', 'p3', LAB);
    await observation('d2', 'p3', VITALS);
    await run();
    assert.equal(rx.at('/del-full').length, 1);
    for (const id of ['d1', 'd2']) assert.equal((await t.request('DELETE', `/fhir/Observation/${id}`)).status, 204);
    await run();
    assert.equal(rx.at('/del-full').length, 2, 'only the delete of the matching result');
    const full = rx.at('/del-full')[1]?.json as Bundle;
    assert.deepEqual([full.entry?.[1]?.request?.method, full.entry?.[1]?.request?.url, full.entry?.[1]?.resource], ['DELETE', 'Observation/d1', undefined]);
    assert.equal(param(full, 'notification-event'), '2');
    const ids = rx.at('/del-ids')[1]?.json as Bundle;
    assert.deepEqual([ids.entry?.[1]?.fullUrl, ids.entry?.[1]?.request?.method], [`${t.base}/Observation/d1`, 'DELETE']);
    // A resource deleted then created again before the matcher looks: the later event stands.
    await observation('d3', 'p3', LAB);
    await run();
    await t.request('DELETE', '/fhir/Observation/d3');
    await observation('d3', 'p3', LAB);
    await run();
    assert.deepEqual(rx.at('/del-full').slice(2).map((r) => (r.json as Bundle).entry?.[1]?.request?.method), ['POST', 'POST'], 'two creates, no delete');
    assert.ok((await t.request('GET', '/fhir/Observation/d3')).status === 200, 'the savepoint left the resource as it is');
    assert.equal((await t.request('GET', '/fhir/Observation?_id=d1')).body.total ?? (await t.request('GET', '/fhir/Observation?_id=d1')).body.entry?.length ?? 0, 0, 'the deleted one is still deleted');
  });

  test('a revoked client stops its subscriptions, with the reason; nothing is sent', async () => {
    await registerClient(t, { id: 'clinic-sys', name: 'Clinic', kind: 'confidential', secret: 'clinic-sys-secret-0123456789abcdef', scope: 'system/Observation.rs system/Subscription.cruds', organization: 'Organization/org-a' });
    const token = await clientSecretToken(t, 'clinic-sys', 'clinic-sys-secret-0123456789abcdef', 'system/Observation.rs system/Subscription.cruds');
    rx.statusByPath.set('/revoked', 500);
    const id = await subscribe(subscription('/revoked', 'Observation?patient=Patient/p4'), token);
    await observation('rv1', 'p4', LAB);
    await run();
    assert.equal(rx.at('/revoked').length, 1, 'attempted once while the client was in good standing');
    await t.carnet.db.query(`UPDATE auth_client SET disabled = true WHERE id = 'clinic-sys'`);
    // Carnet has no route that disables a client: done in SQL, then announced as Carnet's own changes of owners are.
    signalAfterCommit(t.carnet.db, 'owners');
    rx.statusByPath.set('/revoked', 200);
    later(60_000);
    await run();
    await observation('rv2', 'p4', LAB);
    await run();
    later(10 * 60_000);
    await run();
    assert.equal(rx.at('/revoked').length, 1, 'nothing more once the client was revoked');
    const stopped = await read(id);
    assert.equal(stopped.status, 'error');
    assert.match(stopped.error ?? '', /clinic-sys was revoked/);
  });

  test('an account disabled through the admin API stops its subscriptions at once (the owners\u2019 cache is emptied by the change)', async () => {
    const id = await subscribe(subscription('/disabled', 'Observation?patient=Patient/p3&category=laboratory'), drD);
    await observation('ds1', 'p3', LAB);
    await run();
    assert.equal(rx.at('/disabled').length, 1, 'delivered while the account was in good standing (its standing now cached)');
    const users = await t.request('GET', '/auth/admin/users');
    assert.equal(users.status, 200, users.text);
    const user = (users.body as { users: { id: string; username: string }[] }).users.find((u) => u.username === 'dr-d');
    const disabled = await t.request('PATCH', `/auth/admin/users/${user?.id}`, { body: { disabled: true }, headers: { 'content-type': 'application/json' } });
    assert.equal(disabled.status, 204, disabled.text);
    await observation('ds2', 'p3', LAB);
    await run();
    assert.equal(rx.at('/disabled').length, 1, 'not matched once the account was disabled');
    assert.equal((await read(id)).status, 'active', 'nothing was pending: no delivery had a reason to report');
  });

  test('an owner whose role changed is told nothing more', async () => {
    await subscribe(subscription('/role', 'Observation?patient=Patient/p4&category=laboratory'), nurse);
    await observation('ro1', 'p4', LAB);
    await run();
    assert.equal(rx.at('/role').length, 1);
    await t.carnet.db.query(`UPDATE auth_user SET role = 'researcher' WHERE username = 'nurse-a'`);
    signalAfterCommit(t.carnet.db, 'owners');
    await observation('ro2', 'p4', LAB);
    await run();
    later(60_000);
    await run();
    assert.equal(rx.at('/role').length, 1, 'not matched for an owner who may no longer search it');
  });

  test('a consent written after the subscription hides later results — and a queued one is withdrawn, not even counted', async () => {
    rx.statusByPath.set('/consent', 500);
    const id = await subscribe(subscription('/consent', 'Observation?patient=Patient/p2&category=vital-signs', content('id-only')), drA);
    await observation('cs1', 'p2', VITALS);
    await run();
    assert.equal(rx.at('/consent').length, 1, 'cs1 matched while dr-a could see it; its delivery failed');
    const consent = await t.request('PUT', '/fhir/Consent/c-p2', {
      body: consentDenying('c-p2', 'p2', 'org-a'),
    });
    assert.ok(consent.status === 201 || consent.status === 200, consent.text);
    await observation('cs2', 'p2', VITALS);
    rx.statusByPath.set('/consent', 200);
    later(60_000);
    await run();
    assert.equal(rx.at('/consent').length, 1, 'neither the queued result nor the new one went out');
    const status = await t.request('GET', `/fhir/Subscription/${id}/$status`, { token: drA });
    assert.equal(param(status.body as Bundle, 'events-since-subscription-start'), '0', 'the withdrawn one is not counted');
    const events = await t.request('GET', `/fhir/Subscription/${id}/$events?eventsSinceNumber=1`, { token: drA });
    assert.equal(events.status, 200, events.text);
    assert.equal((events.body as Bundle).entry?.length, 1, 'no event to replay');
    // A later result dr-a may see (another patient's record is not involved): numbered from 1 again.
    await t.request('DELETE', '/fhir/Consent/c-p2');
    await observation('cs3', 'p2', VITALS);
    await run();
    const last = rx.at('/consent').at(-1)?.json as Bundle;
    assert.deepEqual([rx.at('/consent').length, param(last, 'notification-event'), last.entry?.[1]?.fullUrl], [2, '1', `${t.base}/Observation/cs3`]);
  });

  test('a pharmacist may subscribe to what it may search (new prescriptions), not beyond', async () => {
    const id = await subscribe(subscription('/pharmacy', 'MedicationRequest?patient=Patient/p1&status=active'), pharmacist);
    const written = await t.request('POST', '/fhir/MedicationRequest', { body: {
      resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' },
      medicationCodeableConcept: { text: 'amoxicilline 500 mg' },
    } });
    assert.equal(written.status, 201, written.text);
    await run();
    assert.equal(rx.at('/pharmacy').length, 1);
    assert.equal((await t.request('GET', `/fhir/Subscription/${id}`, { token: pharmacist })).status, 200, 'the pharmacy reads its own subscription');
    const encounter = await t.request('POST', '/fhir/Subscription', { body: subscription('/x', 'Encounter?patient=Patient/p1'), token: pharmacist });
    assert.equal(encounter.status, 403, encounter.text);
    assert.match(encounter.body.issue[0].diagnostics, /owner's access/);
  });

  test('every notification is audited: who was told what about whom, by which channel', async () => {
    const audit = await t.carnet.db.query<{ outcome: string; patients: string[]; agent: string; content: string }>(
      `SELECT outcome, patients, agent, content FROM audit_event WHERE action = 'subscription-notification' AND content LIKE '%/del-full%' ORDER BY id`,
    );
    const deletes = audit.rows.filter((r) => r.content.includes('"delete"'));
    assert.equal(deletes.length, 1, 'the delete notification');
    assert.deepEqual(deletes[0]?.patients, ['p3']);
    assert.ok(deletes[0]?.content.includes('Observation/d1/_history/2'));
    assert.ok(deletes[0]?.content.includes('rest-hook'));
    const sent = rx.at('/del-full').length + signalsAt('/del-full').length;
    assert.equal(audit.rows.filter((r) => r.outcome === '0').length, sent, 'one audit record per notification sent');
  });

  test('outside the allow-list: loopback, private and plain-http endpoints are refused', async () => {
    for (const endpoint of ['https://localhost/hook', 'https://[::1]/hook', 'https://192.168.1.10/hook', 'https://169.254.169.254/latest', 'http://clinic.example/hook', `${rx.url.replace('127.0.0.1', '127.0.0.2')}/x`]) {
      const r = await t.request('POST', '/fhir/Subscription', { body: { ...subscription('/x', 'Observation'), channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json' } } });
      assert.equal(r.status, 422, `${endpoint}: ${r.text}`);
    }
  });
});
