import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Subscription } from '@medplum/fhirtypes';
import { professionalToken, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { PAYLOAD_CONTENT_URL } from '../../src/subscriptions/spec.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * R4 rest-hook Subscriptions end to end, through the real server, the change events, the jobs and a real
 * HTTP receiver on the loopback (allow-listed): checking and activation, matching (criteria, "stops
 * matching", superseded versions, rolled-back writes), payloads, retries in order, error and recovery,
 * the owner's access under consent, and the audit trail.
 */
const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
const VITALS = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] };
const HIV = { coding: [{ system: 'http://snomed.info/sct', code: '86406008' }] };

describe('rest-hook subscriptions', () => {
  let t: TestCarnet;
  let rx: Receiver;
  let now = new Date();
  let drA: string;
  let drB: string;
  let drC: string;
  before(async () => {
    rx = await startReceiver();
    // Tokens that outlive the hours the retry tests move the clock on.
    t = await startTestCarnet({ clock: () => now, env: { CARNET_SUBSCRIPTION_ALLOWED_HOSTS: '127.0.0.1', CARNET_ACCESS_TOKEN_SECONDS: '86400' } });
    for (const id of ['p1', 'p2', 'p3']) {
      const r = await t.request('PUT', `/fhir/Patient/${id}`, { body: { resourceType: 'Patient', id, name: [{ family: id }] } });
      assert.ok(r.status === 201 || r.status === 200, r.text);
    }
    // Professionals log in with a second factor read from the real clock: before the tests move the injected one.
    await seedDirectory(t);
    // The second factor comes from the real clock: the injected one catches up first (a slow start left it behind the TOTP window).
    now = new Date();
    drA = await professionalToken(t, 'dr-a', 'physician', 'dr-a');
    drB = await professionalToken(t, 'dr-b', 'physician', 'dr-b');
    drC = await professionalToken(t, 'dr-c', 'physician', 'dr-b', 'openid fhirUser user/Subscription.cruds');
  });
  after(async () => {
    await t.close();
    await rx.close();
  });

  const run = () => t.carnet.background.runOnce();
  const later = (ms: number) => { now = new Date(now.getTime() + ms); };
  const subscription = (path: string, criteria: string, channel: Record<string, unknown> = {}): Subscription => ({
    resourceType: 'Subscription', status: 'requested', reason: 'results for the clinic', criteria,
    channel: { type: 'rest-hook', endpoint: `${rx.url}${path}`, payload: 'application/fhir+json', ...channel } as Subscription['channel'],
  });
  const subscribe = async (body: Subscription, token?: string): Promise<string> => {
    const r = await t.request('POST', '/fhir/Subscription', { body, ...(token ? { token } : {}) });
    assert.equal(r.status, 201, r.text);
    await run();
    return r.body.id as string;
  };
  const observation = async (id: string, patient: string, category: unknown, code: unknown = { text: 'glucose' }, token?: string) => {
    const r = await t.request('PUT', `/fhir/Observation/${id}`, {
      body: { resourceType: 'Observation', id, status: 'final', category: [category], code, subject: { reference: `Patient/${patient}` } }, ...(token ? { token } : {}),
    });
    assert.ok(r.status === 201 || r.status === 200, r.text);
  };
  const statusParam = (b: Bundle, name: string) => {
    const params = (b.entry?.[0]?.resource as { parameter: { name: string; valueString?: string; valueCode?: string; part?: { name: string; valueString?: string }[] }[] }).parameter;
    const p = params.find((x) => x.name === name);
    return name === 'notification-event' ? p?.part?.find((x) => x.name === 'event-number')?.valueString : p?.valueString ?? p?.valueCode;
  };
  const focusIds = (path: string) => rx.at(path).map((r) => `${(r.json as Bundle).entry?.[1]?.fullUrl?.split('/').slice(-2).join('/')}`);
  /** The event numbers a notification Bundle carries (several when the subscription had several waiting). */
  const eventNumbers = (b: Bundle) => ((b.entry?.[0]?.resource as { parameter: { name: string; part?: { name: string; valueString?: string }[] }[] }).parameter)
    .filter((p) => p.name === 'notification-event').map((p) => p.part?.find((x) => x.name === 'event-number')?.valueString);

  test('a subscription is checked, stored as requested, then made active by Carnet', async () => {
    const r = await t.request('POST', '/fhir/Subscription', { body: subscription('/activate', 'Observation?patient=Patient/p1') });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.status, 'requested');
    await run();
    const read = await t.request('GET', `/fhir/Subscription/${r.body.id}`);
    assert.equal(read.body.status, 'active');
    assert.equal(read.body.meta.versionId, '2', 'Carnet wrote the status as a version of its own');
    const search = await t.request('GET', '/fhir/Subscription?status=active');
    assert.ok(search.body.entry.some((e: { resource: { id: string } }) => e.resource.id === r.body.id));
    await t.request('DELETE', `/fhir/Subscription/${r.body.id}`);
  });

  test('a matching change is POSTed with the headers and the resource; others are not; a resource that stops matching is no match', async () => {
    await subscribe(subscription('/lab', 'Observation?patient=Patient/p1&category=laboratory', { header: ['Authorization: Bearer clinic-secret'] }));
    await observation('lab1', 'p1', LAB);
    await observation('vit1', 'p1', VITALS);
    await observation('lab2', 'p2', LAB);
    await run();
    assert.equal(rx.at('/lab').length, 1);
    const [first] = rx.at('/lab');
    assert.equal(first?.method, 'POST');
    assert.equal(first?.headers.authorization, 'Bearer clinic-secret');
    assert.equal(first?.headers['content-type'], 'application/fhir+json');
    const bundle = first?.json as Bundle;
    assert.equal(bundle.type, 'history');
    assert.equal(bundle.entry?.[1]?.resource?.id, 'lab1');
    assert.deepEqual([statusParam(bundle, 'events-since-subscription-start'), statusParam(bundle, 'notification-event'), statusParam(bundle, 'status')], ['1', '1', 'active']);
    assert.equal(bundle.entry?.[1]?.request?.method, 'POST', 'a create');

    await observation('lab1', 'p1', VITALS); // stops matching
    await observation('vit1', 'p1', LAB); // starts matching
    await run();
    assert.deepEqual(focusIds('/lab'), ['Observation/lab1', 'Observation/vit1']);
    assert.equal((rx.at('/lab')[1]?.json as Bundle).entry?.[1]?.request?.method, 'PUT');

    // Two versions before the matcher looks: one notification, of the version that stands.
    await observation('lab3', 'p1', LAB, { text: 'first' });
    await observation('lab3', 'p1', LAB, { text: 'second' });
    await run();
    const last = rx.at('/lab').at(-1)?.json as Bundle;
    assert.equal(rx.at('/lab').length, 3);
    assert.equal((last.entry?.[1]?.resource as { code: { text: string } }).code.text, 'second');
    assert.equal(statusParam(last, 'notification-event'), '3');
  });

  test('a rolled-back write notifies nothing', async () => {
    await subscribe(subscription('/rollback', 'Observation?patient=Patient/p2'));
    const r = await t.request('POST', '/fhir', {
      body: { resourceType: 'Bundle', type: 'transaction', entry: [
        { request: { method: 'POST', url: 'Observation' }, resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p2' } } },
        { request: { method: 'POST', url: 'Observation' }, resource: { resourceType: 'Observation', status: 'not-a-status', code: { text: 'x' } } },
      ] },
    });
    assert.equal(r.status, 400, r.text);
    await run();
    assert.equal(rx.at('/rollback').length, 0);
  });

  test('payloads: none (an empty POST), empty, id-only, full-resource', async () => {
    const content = (code: string) => ({ _payload: { extension: [{ url: PAYLOAD_CONTENT_URL, valueCode: code }] } });
    await subscribe(subscription('/none', 'Observation?patient=Patient/p2', { payload: undefined }));
    await subscribe(subscription('/empty', 'Observation?patient=Patient/p2', content('empty')));
    await subscribe(subscription('/ids', 'Observation?patient=Patient/p2', content('id-only')));
    await subscribe(subscription('/full', 'Observation?patient=Patient/p2', content('full-resource')));
    await observation('pay1', 'p2', LAB);
    await run();
    const [none] = rx.at('/none');
    assert.deepEqual([none?.body, none?.headers['content-type']], ['', undefined]);
    const empty = rx.at('/empty')[0]?.json as Bundle;
    assert.equal(empty.entry?.length, 1);
    assert.ok(!JSON.stringify(empty).includes('pay1'));
    const ids = rx.at('/ids')[0]?.json as Bundle;
    assert.deepEqual([ids.entry?.length, ids.entry?.[1]?.fullUrl, ids.entry?.[1]?.resource], [2, `${t.base}/Observation/pay1`, undefined]);
    const full = rx.at('/full')[0]?.json as Bundle;
    assert.equal(full.entry?.[1]?.resource?.id, 'pay1');
  });

  test('bad subscriptions are refused with an OperationOutcome, nothing half-created', async () => {
    const count = async () => (await t.request('GET', '/fhir/Subscription?_summary=count')).body.total as number;
    const rows = async () => Number((await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscription')).rows[0]?.n);
    const before = [await count(), await rows()];
    const cases: [Subscription, number, RegExp][] = [
      [subscription('/bad', 'Observation?unknown-param=1'), 422, /not a valid search/],
      [subscription('/bad', 'Observation?patient=Patient/p1', { type: 'email' }), 422, /rest-hook or websocket/],
      [subscription('/bad', 'Observation?patient=Patient/p1', { payload: 'application/fhir+xml' }), 422, /application\/fhir\+json/],
      [{ ...subscription('/bad', 'Observation'), channel: { type: 'rest-hook', endpoint: 'not a url', payload: 'application/fhir+json' } }, 400, /Invalid url/],
      [{ ...subscription('/bad', 'Observation'), channel: { type: 'rest-hook', endpoint: 'ftp://clinic.example/x' } }, 422, /https URL/],
      [{ ...subscription('/bad', 'Observation'), channel: { type: 'rest-hook', endpoint: 'http://clinic.example/hook' } }, 422, /https only/],
      [{ ...subscription('/bad', 'Observation'), channel: { type: 'rest-hook', endpoint: 'https://10.0.0.7/hook' } }, 422, /private/],
      [subscription('/bad', 'Observation', { header: ['Host: evil'] }), 422, /set by Carnet/],
    ];
    for (const [body, status, text] of cases) {
      const r = await t.request('POST', '/fhir/Subscription', { body });
      assert.equal(r.status, status, r.text);
      assert.equal(r.body.resourceType, 'OperationOutcome');
      assert.match(r.body.issue[0].diagnostics ?? r.body.issue[0].details?.text, text);
    }
    const existing = await subscribe(subscription('/bad-update', 'Observation?patient=Patient/p1'));
    const bad = await t.request('PUT', `/fhir/Subscription/${existing}`, { body: { ...subscription('/x', 'Observation?bogus=1'), id: existing } });
    assert.equal(bad.status, 422);
    assert.equal((await t.request('GET', `/fhir/Subscription/${existing}`)).body.criteria, 'Observation?patient=Patient/p1', 'the refused update changed nothing');
    assert.deepEqual([await count(), await rows()], [before[0] as number + 1, before[1] as number + 1]);
  });

  test('a failing endpoint: retried with backoff, in order, error with the reason, then resumes where it stopped', async () => {
    rx.statusByPath.set('/flaky', 500);
    const id = await subscribe(subscription('/flaky', 'Observation?patient=Patient/p3&category=laboratory'));
    await observation('f1', 'p3', LAB);
    await run();
    await observation('f2', 'p3', LAB);
    await run();
    assert.equal(rx.at('/flaky').length, 1, 'one attempt; the second notification waits behind the first');
    for (let i = 0; i < 4; i++) {
      later(5 * 60_000);
      await run();
    }
    assert.equal(rx.at('/flaky').length, 5);
    // The head is retried first; f2, matched meanwhile, rides in the same Bundle after it (in order).
    assert.deepEqual(rx.at('/flaky').map((r) => eventNumbers(r.json as Bundle).join(',')), ['1', '1,2', '1,2', '1,2', '1,2']);
    const failing = (await t.request('GET', `/fhir/Subscription/${id}`)).body as Subscription;
    assert.equal(failing.status, 'error');
    assert.equal(failing.error, 'the endpoint answered 500');

    rx.statusByPath.set('/flaky', 200);
    later(5 * 60_000);
    await run();
    assert.deepEqual(rx.at('/flaky').slice(5).map((r) => eventNumbers(r.json as Bundle)), [['1', '2']], 'both, in order, each once, in one Bundle');
    assert.deepEqual((rx.at('/flaky')[5]?.json as Bundle).entry?.slice(1).map((e) => e.fullUrl?.split('/').slice(-2).join('/')), ['Observation/f1', 'Observation/f2']);
    const recovered = (await t.request('GET', `/fhir/Subscription/${id}`)).body as Subscription;
    assert.deepEqual([recovered.status, recovered.error], ['active', undefined]);

    const audit = await t.carnet.db.query<{ outcome: string; patients: string[]; agent: string; content: string }>(
      `SELECT outcome, patients, agent, content FROM audit_event WHERE action = 'subscription-notification' AND content LIKE $1 ORDER BY id`, [`%Subscription/${id}"%`],
    );
    assert.deepEqual(audit.rows.map((r) => r.outcome), ['0', '8', ...Array(8).fill('8'), '0', '0'], 'every event of every attempt audited (the handshake first)');
    assert.ok(audit.rows[0]?.content.includes('handshake'));
    assert.deepEqual(audit.rows[0]?.patients, [], 'a handshake is about nobody');
    assert.deepEqual(audit.rows[10]?.patients, ['p3']);
    assert.equal(audit.rows[10]?.agent, 'client:test-bootstrap');
    assert.ok(audit.rows[10]?.content.includes('Observation/f1/_history/1'));
    assert.ok(audit.rows[11]?.content.includes('Observation/f2/_history/1'));
    assert.ok(!audit.rows.some((r) => r.content.includes('clinic-secret')));
  });

  test('subscriptions of one server share a delivery job; a failing one is retried alone while the others go on', async () => {
    await t.request('PUT', '/fhir/Patient/p9', { body: { resourceType: 'Patient', id: 'p9' } });
    const ids: string[] = [];
    for (const path of ['/batch-a', '/batch-b', '/batch-c']) ids.push(await subscribe(subscription(path, 'Observation?patient=Patient/p9&code:text=sodium')));
    const batches = async () => (await t.carnet.db.query<{ payload: string }>(
      `SELECT payload::text AS payload FROM job WHERE kind = 'subscription.deliver' AND key LIKE 'batch:%' AND payload::text LIKE $1 ORDER BY id`, [`%${ids[0]}%`],
    )).rows.map((r) => (JSON.parse(r.payload) as { items: { subscription: string; number: number }[] }).items.map((i) => `${i.subscription === ids[0] ? 'a' : i.subscription === ids[1] ? 'b' : 'c'}${i.number}`).sort());
    rx.statusByPath.set('/batch-b', 500);
    await observation('na1', 'p9', LAB, { text: 'sodium' });
    await run();
    assert.deepEqual(await batches(), [['a1', 'b1', 'c1']], 'one job for the three (same origin)');
    assert.deepEqual(['/batch-a', '/batch-b', '/batch-c'].map((p) => rx.at(p).map((r) => eventNumbers(r.json as Bundle).join(','))), [['1'], ['1'], ['1']]);
    rx.statusByPath.set('/batch-b', 200);
    later(5 * 60_000);
    await run();
    assert.deepEqual(['/batch-a', '/batch-b', '/batch-c'].map((p) => rx.at(p).length), [1, 2, 1], 'only the failed one again');
    assert.deepEqual(eventNumbers(rx.at('/batch-b')[1]?.json as Bundle), ['1']);
    await observation('na2', 'p9', LAB, { text: 'sodium' });
    await run();
    assert.deepEqual(await batches(), [['a1', 'b1', 'c1'], ['a2', 'b2', 'c2']], 'back in the shared job once caught up');
    assert.deepEqual(['/batch-a', '/batch-b', '/batch-c'].map((p) => rx.at(p).map((r) => eventNumbers(r.json as Bundle).join(','))), [['1', '2'], ['1', '1', '2'], ['1', '2']]);
    for (const id of ids) assert.equal((await t.request('GET', `/fhir/Subscription/${id}`)).body.status, 'active');
  });

  test('a client writing an erroring subscription again restarts delivery at once', async () => {
    rx.statusByPath.set('/revive', 503);
    const id = await subscribe(subscription('/revive', 'Observation?patient=Patient/p3&category=vital-signs'));
    await observation('r1', 'p3', VITALS);
    await run();
    for (let i = 0; i < 3; i++) {
      later(5 * 60_000);
      await run();
    }
    const failing = (await t.request('GET', `/fhir/Subscription/${id}`)).body as Subscription;
    assert.equal(failing.status, 'error');
    rx.statusByPath.set('/revive', 200);
    const fixed = await t.request('PUT', `/fhir/Subscription/${id}`, { body: { ...failing, status: 'requested', error: undefined } });
    assert.equal(fixed.status, 200, fixed.text);
    const sent = rx.at('/revive').length;
    await run(); // no clock change: the restarted job is due now
    assert.equal(rx.at('/revive').length, sent + 1);
    assert.equal((await t.request('GET', `/fhir/Subscription/${id}`)).body.status, 'active');
  });

  test('a subscription runs with its owner’s access: consent and sensitivity hide what the owner may not see', async () => {
    const consent = await t.request('PUT', '/fhir/Consent/c-p3', {
      body: {
        resourceType: 'Consent', id: 'c-p3', status: 'active', patient: { reference: 'Patient/p3' },
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        provision: { type: 'permit', provision: [{ type: 'deny', actor: [{ role: { text: 'actor' }, reference: { reference: 'Organization/org-b' } }] }] },
        policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
      },
    });
    assert.ok(consent.status === 201 || consent.status === 200, consent.text);
    await subscribe(subscription('/dr-a', 'Observation?patient=Patient/p3&code:text=potassium'), drA);
    await subscribe(subscription('/dr-b', 'Observation?patient=Patient/p3&code:text=potassium'), drB);
    await observation('k1', 'p3', LAB, { text: 'potassium' });
    await observation('k2', 'p3', LAB, { ...HIV, text: 'potassium' });
    await run();
    assert.deepEqual(focusIds('/dr-a'), ['Observation/k1'], 'the sensitive result is hidden from dr-a: not even its id');
    assert.deepEqual(rx.at('/dr-b').length, 0, 'p3 excluded organisation B: nothing, not even a count');
    assert.equal(statusParam(rx.at('/dr-a')[0]?.json as Bundle, 'events-since-subscription-start'), '1');

    const refused = await t.request('POST', '/fhir/Subscription', { body: subscription('/x', 'Observation?patient=Patient/p3'), token: drC });
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.body.issue[0].diagnostics, /owner's access/);
  });
});

describe('rest-hook subscriptions with the background running', () => {
  let t: TestCarnet;
  let rx: Receiver;
  before(async () => {
    rx = await startReceiver();
    // A poll too slow to matter: what arrives in time came from the commits' wake-ups.
    t = await startTestCarnet({ env: { CARNET_BACKGROUND: 'on', CARNET_BACKGROUND_POLL_MS: '60000', CARNET_SUBSCRIPTION_ALLOWED_HOSTS: '127.0.0.1' } });
  });
  after(async () => {
    await t.close();
    await rx.close();
  });

  test('commit → matcher → delivery job → endpoint, in order, without runOnce', async () => {
    await t.request('PUT', '/fhir/Patient/live', { body: { resourceType: 'Patient', id: 'live' } });
    const created = await t.request('POST', '/fhir/Subscription', { body: {
      resourceType: 'Subscription', status: 'requested', reason: 'live', criteria: 'Observation?patient=Patient/live',
      channel: { type: 'rest-hook', endpoint: `${rx.url}/live`, payload: 'application/fhir+json' },
    } });
    assert.equal(created.status, 201, created.text);
    for (let i = 1; i <= 5; i++) {
      const r = await t.request('POST', '/fhir/Observation', { body: { resourceType: 'Observation', status: 'final', code: { text: `n${i}` }, subject: { reference: 'Patient/live' } } });
      assert.equal(r.status, 201);
    }
    // One POST per event, or fewer carrying several when they came faster than a round trip: every one, in order.
    const texts = () => rx.at('/live').flatMap((r) => ((r.json as Bundle).entry ?? []).slice(1).map((e) => (e.resource as { code: { text: string } }).code.text));
    for (const end = Date.now() + 30_000; texts().length < 5 && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(texts(), ['n1', 'n2', 'n3', 'n4', 'n5']);
  });
});
