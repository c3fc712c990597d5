import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Subscription } from '@medplum/fhirtypes';
import { retryDelayMs } from '../../src/jobs/backoff.js';
import { FhirError } from '../../src/fhir/outcomes.js';
import { endpointProblem, isPrivateAddress } from '../../src/subscriptions/endpoint.js';
import { notificationBundle } from '../../src/subscriptions/notification.js';
import { matchingPlan, parseSubscription, patientKeys, PAYLOAD_CONTENT_URL } from '../../src/subscriptions/spec.js';
import type { Owner } from '../../src/subscriptions/owner.js';
import { OwnerStanding, ownerProblem } from '../../src/subscriptions/standing.js';
import type { Queryable } from '../../src/storage/database.js';
import { DELIVERY_ATTEMPTS, DELIVERY_BACKOFF, nextState } from '../../src/subscriptions/status.js';

/** The pure parts of subscriptions: the spec and the matching plan, endpoints, status, backoff, the notification. */
const BASE = 'http://carnet.test/fhir';

function subscription(overrides: Partial<Subscription> = {}, channel: Record<string, unknown> = {}): Subscription {
  return {
    resourceType: 'Subscription', status: 'requested', reason: 'results', criteria: 'Observation?patient=Patient/p1&category=laboratory',
    channel: { type: 'rest-hook', endpoint: 'https://clinic.example/hook', payload: 'application/fhir+json', ...channel } as Subscription['channel'],
    ...overrides,
  };
}

function refusal(fn: () => unknown): { status: number; text: string; expression?: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof FhirError, String(error));
    return { status: error.status, text: error.message, ...(error.issues[0]?.expression?.[0] ? { expression: error.issues[0].expression[0] } : {}) };
  }
  assert.fail('expected a refusal');
}

describe('subscription spec', () => {
  test('criteria split into the index type and a search; channel, headers and payload read', () => {
    const spec = parseSubscription(subscription({}, { header: ['Authorization: Bearer abc', 'X-Clinic:  42 '] }), BASE);
    assert.equal(spec.resourceType, 'Observation');
    assert.equal(spec.criteria, 'patient=Patient/p1&category=laboratory');
    assert.deepEqual(spec.channel.headers, [{ name: 'Authorization', value: 'Bearer abc' }, { name: 'X-Clinic', value: '42' }]);
    assert.deepEqual([spec.channel.content, spec.channel.mime], ['full-resource', 'application/fhir+json']);
    assert.equal(parseSubscription(subscription({ criteria: 'Observation' }), BASE).criteria, '', 'a type alone: every change of it');
  });

  test('payload: none (R4 empty POST), or the backport content code', () => {
    const none = parseSubscription(subscription({}, { payload: undefined }), BASE).channel;
    assert.deepEqual([none.content, none.mime], ['empty', undefined]);
    for (const content of ['empty', 'id-only', 'full-resource'] as const) {
      const c = parseSubscription(subscription({}, { _payload: { extension: [{ url: PAYLOAD_CONTENT_URL, valueCode: content }] } }), BASE).channel;
      assert.equal(c.content, content);
    }
    assert.match(refusal(() => parseSubscription(subscription({}, { _payload: { extension: [{ url: PAYLOAD_CONTENT_URL, valueCode: 'all' }] } }), BASE)).text, /not one of empty/);
    assert.match(refusal(() => parseSubscription(subscription({}, { payload: 'application/fhir+xml' }), BASE)).text, /not "application\/fhir\+xml"/);
  });

  test('what a client can get wrong is a 422 naming the element', () => {
    const cases: [Partial<Subscription>, Record<string, unknown>, string, RegExp][] = [
      [{ criteria: 'Observation?nonsense=1' }, {}, 'Subscription.criteria', /not a valid search/],
      [{ criteria: 'Blob?x=1' }, {}, 'Subscription.criteria', /not a FHIR resource type/],
      [{ criteria: 'Observation?patient=Patient/1&_include=Observation:patient' }, {}, 'Subscription.criteria', /shapes a result page/],
      [{ criteria: 'Subscription?status=active' }, {}, 'Subscription.criteria', /not notified/],
      [{ criteria: '' }, {}, 'Subscription.criteria', /required/],
      [{ status: 'paused' as never }, {}, 'Subscription.status', /requested, active/],
      [{}, { type: 'message' }, 'Subscription.channel.type', /not "message"/],
      [{}, { type: 'email' }, 'Subscription.channel.type', /rest-hook or websocket/],
      [{}, { endpoint: undefined }, 'Subscription.channel.endpoint', /required/],
      [{}, { header: ['no colon'] }, 'Subscription.channel.header[0]', /Name: value/],
      [{}, { header: ['Host: evil.example'] }, 'Subscription.channel.header[0]', /set by Carnet/],
      [{}, { header: ['X-A: b\r\nX-B: c'] }, 'Subscription.channel.header[0]', /line breaks/],
    ];
    for (const [overrides, channel, expression, text] of cases) {
      const r = refusal(() => parseSubscription(subscription(overrides, channel), BASE));
      assert.equal(r.status, 422, JSON.stringify(overrides));
      assert.equal(r.expression, expression, r.text);
      assert.match(r.text, text);
    }
  });

  test('the matching plan is the criteria without paging, includes or sort', () => {
    const plan = matchingPlan('Observation', 'patient=Patient/p1&category=laboratory', BASE, 50);
    assert.equal(plan.resourceType, 'Observation');
    assert.equal(plan.conditions.length, 2);
    assert.deepEqual([plan.count, plan.total, plan.sort, plan.include, plan.revinclude, plan.cursor], [50, 'none', [], [], [], undefined]);
    assert.equal(matchingPlan('Observation', '', BASE, 1).conditions.length, 0);
  });
});

describe('the index: patients the criteria pin', () => {
  const keys = (type: string, criteria: string) => patientKeys(matchingPlan(type, criteria, BASE, 1));
  test('patient or subject references to Patients pin them; anything else pins none', () => {
    assert.deepEqual(keys('Observation', 'patient=Patient/p1&category=laboratory'), ['Patient/p1']);
    assert.deepEqual(keys('Observation', 'subject=Patient/p2,Patient/p1'), ['Patient/p1', 'Patient/p2']);
    assert.deepEqual(keys('DiagnosticReport', 'patient=Patient/p1'), ['Patient/p1']);
    assert.deepEqual(keys('Condition', 'patient=Patient/p1'), ['Patient/p1']);
    assert.equal(keys('Observation', 'category=laboratory'), undefined);
    assert.equal(keys('Observation', 'patient:missing=false'), undefined, 'a presence test pins nothing');
    assert.equal(keys('Observation', 'subject=Group/g1'), undefined);
    assert.equal(keys('Observation', 'performer=Patient/p1'), undefined, 'the performer does not decide the compartment');
    assert.equal(keys('Appointment', 'patient=Patient/p1'), undefined, 'an Appointment\'s compartment is its first Patient actor, not necessarily this one');
  });
});

describe('rest-hook endpoints', () => {
  const none = { allowedHosts: [] };
  test('https to a public host, nothing else outside the allow-list', () => {
    assert.equal(endpointProblem('https://clinic.example/hook', none), undefined);
    assert.match(endpointProblem('not a url', none) ?? '', /not an absolute URL/);
    assert.match(endpointProblem('ftp://clinic.example/x', none) ?? '', /https URL/);
    assert.match(endpointProblem('http://clinic.example/hook', none) ?? '', /https only/);
    assert.match(endpointProblem('https://user:pw@clinic.example/hook', none) ?? '', /credentials/);
    for (const host of ['localhost', 'a.localhost', '127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '[::1]', '[fd00::1]', '[fe80::1]', '[::ffff:10.0.0.1]', '0.0.0.0']) {
      assert.match(endpointProblem(`https://${host}/hook`, none) ?? '', /loopback or private/, host);
    }
    assert.equal(endpointProblem('https://172.32.0.1/hook', none), undefined, 'just outside 172.16/12');
  });

  test('the allow-list admits its hosts over http, by host or host:port', () => {
    assert.equal(endpointProblem('http://127.0.0.1:9999/hook', { allowedHosts: ['127.0.0.1'] }), undefined);
    assert.equal(endpointProblem('http://127.0.0.1:9999/hook', { allowedHosts: ['127.0.0.1:9999'] }), undefined);
    assert.match(endpointProblem('http://127.0.0.1:9998/hook', { allowedHosts: ['127.0.0.1:9999'] }) ?? '', /https only/);
    assert.equal(endpointProblem('http://[::1]:80/', { allowedHosts: ['::1'] }), undefined);
    assert.equal(endpointProblem('http://LocalHost/x', { allowedHosts: ['localhost'] }), undefined);
  });

  test('private addresses', () => {
    assert.deepEqual(['8.8.8.8', '2001:db8::1', '100.63.0.1', '::ffff:8.8.8.8', '::ffff:808:808'].map(isPrivateAddress), [false, false, false, false, false]);
    assert.deepEqual(['100.64.0.1', '::', '224.0.0.1', 'fc00::'].map(isPrivateAddress), [true, true, true, true]);
  });
});

describe('subscription status', () => {
  test('requested → active; repeated failures → error with the reason; a delivery → active again', () => {
    let s = nextState(undefined, { kind: 'written', requested: 'requested' });
    assert.deepEqual([s.status, s.changed, s.restart], ['active', true, true]);
    s = nextState(s, { kind: 'failed', error: 'the endpoint answered 500' });
    s = nextState(s, { kind: 'failed', error: 'the endpoint answered 500' });
    assert.deepEqual([s.status, s.failures, s.changed], ['active', 2, false]);
    s = nextState(s, { kind: 'failed', error: 'the endpoint answered 503' });
    assert.deepEqual([s.status, s.failures, s.lastError, s.changed], ['error', 3, 'the endpoint answered 503', true]);
    s = nextState(s, { kind: 'failed', error: 'timeout' });
    assert.deepEqual([s.status, s.changed], ['error', false]);
    s = nextState(s, { kind: 'delivered' });
    assert.deepEqual([s.status, s.failures, s.lastError, s.changed], ['active', 0, null, true]);
  });

  test('a client writing it again reactivates it and restarts delivery; off stops it', () => {
    const error = { status: 'error' as const, failures: 9, lastError: 'x' };
    const again = nextState(error, { kind: 'written', requested: 'active' });
    assert.deepEqual([again.status, again.failures, again.restart], ['active', 0, true]);
    const edit = nextState({ status: 'active', failures: 1, lastError: 'x' }, { kind: 'written', requested: 'active' });
    assert.deepEqual([edit.status, edit.restart, edit.changed], ['active', false, false], 'an edit of an active one does not restart delivery');
    const off = nextState(again, { kind: 'written', requested: 'off' });
    assert.deepEqual([off.status, off.restart], ['off', false]);
    assert.equal(nextState(off, { kind: 'delivered' }).status, 'off', 'a late delivery does not turn it back on');
    assert.equal(nextState(off, { kind: 'written', requested: 'requested' }).restart, true);
  });

  test('delivery backoff: doubling from 1 s to a 5-minute ceiling with jitter, about two hours of attempts', () => {
    const low = () => 0;
    const high = () => 0.999999;
    assert.deepEqual([1, 2, 3].map((a) => retryDelayMs(a, DELIVERY_BACKOFF, low)), [500, 1000, 2000]);
    assert.equal(retryDelayMs(30, DELIVERY_BACKOFF, high), 300_000);
    assert.equal(retryDelayMs(30, DELIVERY_BACKOFF, low), 150_000, 'never sooner than half the step');
    let total = 0;
    for (let a = 1; a < DELIVERY_ATTEMPTS; a++) total += retryDelayMs(a, DELIVERY_BACKOFF, () => 0.5);
    assert.ok(total > 1.5 * 3_600_000 && total < 3 * 3_600_000, `${total / 3_600_000} h`);
  });
});

describe('notification bundle', () => {
  const input = {
    fhirBaseUrl: BASE, subscriptionId: 's1', status: 'active' as const, eventsSinceStart: 7, now: new Date('2026-01-01T00:00:01Z'), bundleId: 'b1',
    events: [{
      number: 5, at: '2026-01-01T00:00:00.000Z', focus: { resourceType: 'Observation', id: 'o1', versionId: 2, kind: 'update' as const },
      resource: JSON.stringify({ resourceType: 'Observation', id: 'o1', status: 'final' }),
    }],
  };
  test('a history Bundle: the SubscriptionStatus first, then the focus by content', () => {
    const full = notificationBundle({ ...input, content: 'full-resource' });
    assert.equal(full.type, 'history');
    const status = full.entry?.[0]?.resource as { parameter: { name: string; valueString?: string; valueCode?: string; part?: { name: string; valueString?: string; valueReference?: { reference: string } }[] }[] };
    const param = (name: string) => status.parameter.find((p) => p.name === name);
    assert.equal(param('events-since-subscription-start')?.valueString, '7');
    assert.equal(param('type')?.valueCode, 'event-notification');
    assert.equal(param('notification-event')?.part?.find((p) => p.name === 'event-number')?.valueString, '5');
    assert.equal(param('notification-event')?.part?.find((p) => p.name === 'focus')?.valueReference?.reference, `${BASE}/Observation/o1/_history/2`);
    assert.deepEqual(full.entry?.[1], { fullUrl: `${BASE}/Observation/o1`, resource: { resourceType: 'Observation', id: 'o1', status: 'final' }, request: { method: 'PUT', url: 'Observation/o1' }, response: { status: '200' } });
    const ids = notificationBundle({ ...input, content: 'id-only' });
    assert.equal(ids.entry?.[1]?.resource, undefined);
    assert.equal(ids.entry?.[1]?.fullUrl, `${BASE}/Observation/o1`);
    const empty = notificationBundle({ ...input, content: 'empty' });
    assert.equal(empty.entry?.length, 1);
    assert.ok(!JSON.stringify(empty).includes('o1'), 'empty names no resource');
  });
});

describe('owners\u2019 standing, cached per process', () => {
  const owner: Owner = { kind: 'client', subject: 'lab', clientId: 'lab', role: 'system', display: 'Lab', patients: [], scope: 'system/Observation.rs', platform: false };
  /** A database that answers the client look-up (enabled or not) and counts the statements. */
  const auth = () => {
    const state = { reads: 0, disabled: false };
    const q: Queryable = {
      query: async <R>() => {
        state.reads++;
        const row = { id: 'lab', name: 'Lab', kind: 'confidential', redirect_uris: [], scope: 'system/Observation.rs', platform: false, trusted: false, disabled: state.disabled };
        return { rows: [row] as R[], rowCount: 1 };
      },
    };
    return { q, state };
  };

  test('read once per window; a change’s signal (clear) or the end of the window reads again', async () => {
    let clock = 0;
    const shared = new OwnerStanding(5000, () => clock);
    const { q, state } = auth();
    assert.equal(await ownerProblem(q, owner, 'Observation', shared), undefined);
    assert.equal(await ownerProblem(q, owner, 'Observation', shared), undefined);
    assert.equal(state.reads, 1, 'the second delivery asked no query');
    state.disabled = true;
    assert.equal(await ownerProblem(q, owner, 'Observation', shared), undefined, 'within the window, a change made behind Carnet’s back is not seen yet');
    shared.clear();
    assert.match(await ownerProblem(q, owner, 'Observation', shared) ?? '', /client lab was revoked/);
    state.disabled = false;
    clock += 5001;
    assert.equal(await ownerProblem(q, owner, 'Observation', shared), undefined, 'read again after the window');
    assert.equal(state.reads, 3);
  });

  test('a read that raced a change is not kept; a window of 0 keeps nothing', async () => {
    const shared = new OwnerStanding(5000, () => 0);
    const { q, state } = auth();
    const racing: Queryable = { query: async <R>(sql: string, params?: readonly unknown[]) => { shared.clear(); return q.query<R>(sql, params); } };
    await ownerProblem(racing, owner, 'Observation', shared);
    await ownerProblem(q, owner, 'Observation', shared);
    assert.equal(state.reads, 2);
    const none = new OwnerStanding(0, () => 0);
    await ownerProblem(q, owner, 'Observation', none);
    await ownerProblem(q, owner, 'Observation', none);
    assert.equal(state.reads, 4);
  });
});
