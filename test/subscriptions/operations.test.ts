import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, CapabilityStatement, Parameters, Subscription } from '@medplum/fhirtypes';
import { professionalToken, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * `$status` and `$events` (Subscriptions R5 Backport IG): a subscriber detects a gap in event numbers and
 * replays it — its owner only (what they report was chosen with the owner's access), audited.
 */
describe('Subscription $status and $events', () => {
  let t: TestCarnet;
  let rx: Receiver;
  let id: string;
  let drA: string;
  let nurseA: string;
  let drB: string;
  before(async () => {
    rx = await startReceiver();
    t = await startTestCarnet({ env: { CARNET_SUBSCRIPTION_ALLOWED_HOSTS: '127.0.0.1' } });
    await seedDirectory(t);
    drA = await professionalToken(t, 'dr-a', 'physician', 'dr-a');
    nurseA = await professionalToken(t, 'nurse-a', 'nurse', 'nurse-a');
    drB = await professionalToken(t, 'dr-b', 'physician', 'dr-b');
    await t.request('PUT', '/fhir/Patient/q1', { body: { resourceType: 'Patient', id: 'q1' } });
    const created = await t.request('POST', '/fhir/Subscription', { token: drA, body: {
      resourceType: 'Subscription', status: 'requested', reason: 'replay', criteria: 'Observation?patient=Patient/q1',
      channel: { type: 'rest-hook', endpoint: `${rx.url}/ops`, payload: 'application/fhir+json' },
    } satisfies Subscription });
    assert.equal(created.status, 201, created.text);
    id = created.body.id;
    for (const text of ['a', 'b', 'c']) {
      const r = await t.request('POST', '/fhir/Observation', { body: { resourceType: 'Observation', status: 'final', code: { text }, subject: { reference: 'Patient/q1' } } });
      assert.equal(r.status, 201);
    }
    await t.carnet.background.runOnce();
    assert.equal(rx.at('/ops').flatMap((x) => ((x.json as Bundle).entry ?? []).slice(1)).length, 3, 'three events notified');
  });
  after(async () => {
    await t.close();
    await rx.close();
  });

  const param = (p: Parameters, name: string) => p.parameter?.find((x) => x.name === name);
  const numbers = (b: Bundle) => (b.entry?.[0]?.resource as Parameters).parameter?.filter((x) => x.name === 'notification-event')
    .map((x) => x.part?.find((y) => y.name === 'event-number')?.valueString);

  test('$status: the status and how many events there have been', async () => {
    const r = await t.request('GET', `/fhir/Subscription/${id}/$status`, { token: drA });
    assert.equal(r.status, 200, r.text);
    const bundle = r.body as Bundle;
    assert.equal(bundle.type, 'searchset');
    const status = bundle.entry?.[0]?.resource as Parameters;
    assert.deepEqual([param(status, 'type')?.valueCode, param(status, 'status')?.valueCode, param(status, 'events-since-subscription-start')?.valueString], ['query-status', 'active', '3']);
    assert.equal(param(status, 'subscription')?.valueReference?.reference, `${t.base}/Subscription/${id}`);
  });

  test('$events replays by number, with the content asked', async () => {
    const r = await t.request('GET', `/fhir/Subscription/${id}/$events?eventsSinceNumber=2`, { token: drA });
    assert.equal(r.status, 200, r.text);
    const bundle = r.body as Bundle;
    assert.equal(bundle.type, 'history');
    assert.equal(param(bundle.entry?.[0]?.resource as Parameters, 'type')?.valueCode, 'query-event');
    assert.deepEqual(numbers(bundle), ['2', '3']);
    assert.deepEqual(bundle.entry?.slice(1).map((e) => (e.resource as { code: { text: string } }).code.text), ['b', 'c']);
    const delivered = rx.at('/ops').flatMap((x) => ((x.json as Bundle).entry ?? []).slice(1).map((e) => e.fullUrl));
    assert.deepEqual(bundle.entry?.slice(1).map((e) => e.fullUrl), delivered.slice(1), 'the same events as were notified');

    const ids = (await t.request('GET', `/fhir/Subscription/${id}/$events?eventsSinceNumber=1&eventsUntilNumber=1&content=id-only`, { token: drA })).body as Bundle;
    assert.deepEqual(numbers(ids), ['1']);
    assert.equal(ids.entry?.[1]?.resource, undefined);
    assert.equal(ids.entry?.[1]?.fullUrl, delivered[0]);
    const none = (await t.request('GET', `/fhir/Subscription/${id}/$events?eventsSinceNumber=9`, { token: drA })).body as Bundle;
    assert.deepEqual([numbers(none), none.entry?.length], [[], 1]);

    const trail = await t.carnet.db.query<{ patients: string[] }>(`SELECT patients FROM audit_event WHERE content LIKE '%"type":"operation","valueString":"events"%' ORDER BY id`);
    assert.deepEqual(trail.rows.map((r) => r.patients), [['q1'], ['q1'], []], 'each replay audited with the patients it showed');
  });

  test('bad parameters are 400; another subscription’s events are not for others', async () => {
    for (const q of ['eventsSinceNumber=abc', 'eventsSinceNumber=0', 'eventsSinceNumber=3&eventsUntilNumber=2', 'content=everything', 'since=1']) {
      const r = await t.request('GET', `/fhir/Subscription/${id}/$events?${q}`, { token: drA });
      assert.equal(r.status, 400, q);
      assert.equal(r.body.resourceType, 'OperationOutcome');
    }
    assert.equal((await t.request('GET', `/fhir/Subscription/${id}/$status?x=1`, { token: drA })).status, 400);
    assert.equal((await t.request('GET', '/fhir/Subscription/none/$status', { token: drA })).status, 404);
    assert.equal((await t.request('GET', `/fhir/Subscription/${id}`, { token: nurseA })).status, 200, 'a colleague reads the subscription');
    assert.equal((await t.request('GET', `/fhir/Subscription/${id}/$events`, { token: nurseA })).status, 403, 'but its events were chosen with dr-a’s access');
    assert.equal((await t.request('GET', `/fhir/Subscription/${id}/$status`, { token: drB })).status, 404, 'another organisation does not see it at all');
    assert.equal((await t.request('GET', `/fhir/Subscription/${id}/$events`)).status, 200, 'a platform client may');
  });

  test('the CapabilityStatement lists $status and $events on Subscription', async () => {
    const cs = (await t.request('GET', '/fhir/metadata', { token: null })).body as CapabilityStatement;
    const subscription = cs.rest?.[0]?.resource?.find((r) => r.type === 'Subscription');
    const ops = Object.fromEntries((subscription?.operation ?? []).map((o) => [o.name, o.definition]));
    assert.equal(ops.status, 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status');
    assert.equal(ops.events, 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-events');
    assert.equal(ops['get-ws-binding-token'], 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-get-ws-binding-token');
    assert.match(subscription?.documentation ?? '', /websocket/);
  });
});
