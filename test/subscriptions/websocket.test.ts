import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Parameters, Subscription } from '@medplum/fhirtypes';
import { WebSocket } from 'ws';
import { professionalToken, seedDirectory } from '../support/auth.js';
import { listenOnSocket, startTestCarnet, type TestCarnet } from '../support/harness.js';
import { HEARTBEAT_PERIOD_URL, PAYLOAD_CONTENT_URL } from '../../src/subscriptions/spec.js';
import { consentDenying } from './fixtures.js';
import { signalType } from './receiver.js';

/**
 * The websocket channel end to end (Backport websocket binding), with a real websocket client on a real
 * socket: $get-ws-binding-token for several subscriptions, bind-with-token, handshakes, notifications in
 * event order, heartbeats, consent filtering as for a rest-hook, the audit, and wrong or expired tokens
 * (an OperationOutcome and nothing else).
 */
const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };

interface Client {
  readonly messages: string[];
  readonly json: () => unknown[];
  send(text: string): void;
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: string[] = [];
    ws.on('message', (data) => messages.push(String(data)));
    ws.once('error', reject);
    ws.once('open', () => resolve({
      messages,
      json: () => messages.map((m) => { try { return JSON.parse(m) as unknown; } catch { return m; } }),
      send: (text) => ws.send(text),
      async waitFor(n, timeoutMs = 10_000) {
        const end = Date.now() + timeoutMs;
        while (messages.length < n) {
          if (Date.now() > end) throw new Error(`only ${messages.length} of ${n} websocket messages arrived: ${messages.join(' | ').slice(0, 500)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      close: () => ws.close(),
    }));
  });
}

type StatusParams = { parameter: { name: string; valueString?: string; valueCode?: string; valueReference?: { reference: string }; part?: { name: string; valueString?: string }[] }[] };
const param = (b: Bundle, name: string) => {
  const p = (b.entry?.[0]?.resource as unknown as StatusParams).parameter.find((x) => x.name === name);
  if (name === 'notification-event') return p?.part?.find((x) => x.name === 'event-number')?.valueString;
  return p?.valueString ?? p?.valueCode ?? p?.valueReference?.reference;
};

/** Each event of notification Bundles (several waiting notifications share one message): its number and entry. */
const eventsIn = (list: readonly Bundle[]) => list.flatMap((b) => (b.entry?.[0]?.resource as unknown as StatusParams).parameter
  .filter((x) => x.name === 'notification-event').map((x, k) => ({ bundle: b, number: x.part?.find((y) => y.name === 'event-number')?.valueString, entry: b.entry?.[k + 1] })));

describe('websocket subscriptions', () => {
  let t: TestCarnet;
  let wsUrl: string;
  let now = new Date();
  let drA: string;
  let drB: string;
  before(async () => {
    t = await startTestCarnet({ clock: () => now, env: { CARNET_ACCESS_TOKEN_SECONDS: '86400' } });
    wsUrl = `${(await listenOnSocket(t)).replace('http', 'ws')}/ws/subscriptions`;
    for (const id of ['w1', 'w2', 'w3']) {
      const r = await t.request('PUT', `/fhir/Patient/${id}`, { body: { resourceType: 'Patient', id, name: [{ family: id }] } });
      assert.ok(r.status === 201 || r.status === 200, r.text);
    }
    await seedDirectory(t);
    // The second factor comes from the real clock: the injected one catches up first (a slow start left it behind the TOTP window).
    now = new Date();
    drA = await professionalToken(t, 'dr-a', 'physician', 'dr-a');
    drB = await professionalToken(t, 'dr-b', 'physician', 'dr-b');
  });
  after(async () => {
    await t.close();
  });

  const settle = async () => {
    await t.carnet.background.runOnce();
    await t.carnet.subscriptionSockets.flush();
  };
  const websocket = (criteria: string, content = 'full-resource', extra: Record<string, unknown> = {}): Subscription => ({
    resourceType: 'Subscription', status: 'requested', reason: 'ward screen', criteria,
    channel: { type: 'websocket', payload: 'application/fhir+json', _payload: { extension: [{ url: PAYLOAD_CONTENT_URL, valueCode: content }] }, ...extra } as Subscription['channel'],
  });
  const subscribe = async (body: Subscription, token: string): Promise<string> => {
    const r = await t.request('POST', '/fhir/Subscription', { body, token });
    assert.equal(r.status, 201, r.text);
    await settle();
    return r.body.id as string;
  };
  const observation = async (id: string, patient: string) => {
    const r = await t.request('PUT', `/fhir/Observation/${id}`, {
      body: { resourceType: 'Observation', id, status: 'final', category: [LAB], code: { text: 'troponin' }, subject: { reference: `Patient/${patient}` } },
    });
    assert.ok(r.status === 201 || r.status === 200, r.text);
  };
  const bindingToken = async (ids: string[], token: string) => {
    const r = await t.request('GET', `/fhir/Subscription/$get-ws-binding-token?${ids.map((id) => `id=${id}`).join('&')}`, { token });
    return r;
  };
  const tokenOf = (p: Parameters) => p.parameter?.find((x) => x.name === 'token')?.valueString as string;

  test('one token binds several subscriptions; handshakes, then each one\'s notifications in event order', async () => {
    const s1 = await subscribe(websocket('Observation?patient=Patient/w1&category=laboratory'), drA);
    const s2 = await subscribe(websocket('Observation?patient=Patient/w2', 'id-only'), drA);
    const issued = await bindingToken([s1, s2], drA);
    assert.equal(issued.status, 200, issued.text);
    const params = issued.body as Parameters;
    assert.deepEqual(params.parameter?.map((p) => p.name), ['token', 'expiration', 'subscription', 'subscription', 'websocket-url']);
    assert.equal(params.parameter?.find((p) => p.name === 'websocket-url')?.valueUrl, 'ws://carnet.test/ws/subscriptions');
    assert.equal(Date.parse(params.parameter?.find((p) => p.name === 'expiration')?.valueDateTime as string), now.getTime() + 300_000);

    await observation('before-bind', 'w1'); // matched before the socket binds: delivered after the handshake
    await settle();
    const client = await connect(wsUrl);
    client.send(`bind-with-token: ${tokenOf(params)}`);
    await client.waitFor(3);
    const [h1, h2] = client.json() as Bundle[];
    assert.deepEqual([signalType(h1), signalType(h2)], ['handshake', 'handshake']);
    assert.deepEqual([param(h1 as Bundle, 'subscription'), param(h2 as Bundle, 'subscription')], [`${t.base}/Subscription/${s1}`, `${t.base}/Subscription/${s2}`]);

    for (let i = 1; i <= 4; i++) await observation(`ws-a${i}`, 'w1');
    await observation('ws-b1', 'w2');
    await settle();
    const received = () => eventsIn((client.json() as Bundle[]).slice(2));
    for (let i = 0; i < 500 && received().length < 6; i++) await new Promise((r) => setTimeout(r, 20));
    const events = (client.json() as Bundle[]).slice(2);
    const of = (sub: string) => eventsIn(events.filter((b) => param(b, 'subscription') === `${t.base}/Subscription/${sub}`));
    assert.deepEqual(of(s1).map((e) => [e.number, e.entry?.resource?.id]),
      [['1', 'before-bind'], ['2', 'ws-a1'], ['3', 'ws-a2'], ['4', 'ws-a3'], ['5', 'ws-a4']]);
    assert.deepEqual(of(s2).map((e) => [e.number, e.entry?.fullUrl, e.entry?.resource]), [['1', `${t.base}/Observation/ws-b1`, undefined]]);
    assert.ok(events.every((b) => signalType(b) === 'event-notification'));

    // A message goes out inside the transaction that records and audits it: the last ones may arrive just before it commits.
    const audited = async () => Number((await t.carnet.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_event WHERE action = 'subscription-notification' AND content LIKE '%websocket%' AND content LIKE $1`, [`%Subscription/${s1}"%`],
    )).rows[0]?.n);
    for (let i = 0; i < 100 && (await audited()) < 6; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await audited(), 6, 'the handshake and five notifications, each audited');
    client.close();
  });

  test('a wrong or expired token gets a websocket error message and nothing else', async () => {
    const sub = await subscribe(websocket('Observation?patient=Patient/w3'), drA);
    const good = tokenOf((await bindingToken([sub], drA)).body as Parameters);
    const wrong = await connect(wsUrl);
    wrong.send(`bind-with-token: ${good.slice(0, -2)}xx`);
    await wrong.waitFor(1);
    now = new Date(now.getTime() + 301_000);
    const expired = await connect(wsUrl);
    expired.send(`bind-with-token: ${good}`);
    await expired.waitFor(1);
    const garbage = await connect(wsUrl);
    garbage.send('hello');
    await garbage.waitFor(1);
    await observation('ws-c1', 'w3');
    await settle();
    await new Promise((r) => setTimeout(r, 200));
    for (const [client, text] of [[wrong, /not valid/], [expired, /expired/], [garbage, /bind-with-token/]] as const) {
      assert.equal(client.messages.length, 1, client.messages.join(' | '));
      const outcome = JSON.parse(client.messages[0] as string) as { resourceType: string; issue: { diagnostics: string }[] };
      assert.equal(outcome.resourceType, 'OperationOutcome');
      assert.match(outcome.issue[0]?.diagnostics ?? '', text);
      client.close();
    }
  });

  test('only the owner gets a token, only for websocket subscriptions', async () => {
    const mine = await subscribe(websocket('Observation?patient=Patient/w1'), drA);
    const other = await bindingToken([mine], drB);
    assert.ok(other.status === 403 || other.status === 404, other.text);
    const rest = await t.request('POST', '/fhir/Subscription', { body: {
      resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Observation?patient=Patient/w1',
      channel: { type: 'rest-hook', endpoint: 'https://clinic.example/hook', payload: 'application/fhir+json' },
    }, token: drA });
    assert.equal(rest.status, 201, rest.text);
    const wrongChannel = await bindingToken([rest.body.id as string], drA);
    assert.equal(wrongChannel.status, 422, wrongChannel.text);
    const none = await t.request('GET', '/fhir/Subscription/$get-ws-binding-token', { token: drA });
    assert.equal(none.status, 400, none.text);
    const instance = await t.request('POST', `/fhir/Subscription/${mine}/$get-ws-binding-token`, { body: { resourceType: 'Parameters' }, token: drA });
    assert.equal(instance.status, 200, instance.text);
  });

  test('the consent filter is the rest-hook\'s: a result hidden from the owner is not sent, not even counted', async () => {
    const consent = await t.request('PUT', '/fhir/Consent/c-w2', {
      body: consentDenying('c-w2', 'w2', 'org-b'),
    });
    assert.ok(consent.status === 201 || consent.status === 200, consent.text);
    const hidden = await subscribe(websocket('Observation?patient=Patient/w2&code:text=troponin'), drB);
    const seen = await subscribe(websocket('Observation?patient=Patient/w1&code:text=troponin', 'full-resource', {
      extension: [{ url: HEARTBEAT_PERIOD_URL, valueUnsignedInt: 10 }],
    }), drB);
    const client = await connect(wsUrl);
    client.send(`bind-with-token: ${tokenOf((await bindingToken([hidden, seen], drB)).body as Parameters)}`);
    await client.waitFor(2);
    await observation('ws-hidden', 'w2');
    await observation('ws-seen', 'w1');
    await settle();
    await client.waitFor(3);
    await new Promise((r) => setTimeout(r, 100));
    const bundles = (client.json() as Bundle[]).slice(2);
    assert.deepEqual(bundles.map((b) => [param(b, 'subscription'), b.entry?.[1]?.resource?.id]), [[`${t.base}/Subscription/${seen}`, 'ws-seen']]);
    assert.ok(!client.messages.join('').includes('ws-hidden'));
    const status = await t.request('GET', `/fhir/Subscription/${hidden}/$status`, { token: drB });
    assert.equal(param(status.body as Bundle, 'events-since-subscription-start'), '0');

    now = new Date(now.getTime() + 11_000);
    await t.carnet.subscriptionSockets.flush();
    await client.waitFor(4);
    const beat = client.json()[3] as Bundle;
    assert.deepEqual([signalType(beat), param(beat, 'subscription')], ['heartbeat', `${t.base}/Subscription/${seen}`]);
    client.close();
  });
});
