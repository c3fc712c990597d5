import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Subscription } from '@medplum/fhirtypes';
import { professionalToken, seedDirectory } from '../support/auth.js';
import { countingDatabase, type CountingDatabase } from '../support/counting-database.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { AuditWriter } from '../../src/audit/writer.js';
import { groupCandidates, groupSearch, groupSearches, pinnedParameter, type Candidate } from '../../src/subscriptions/grouping.js';
import { SEARCH_LIMITS } from '../../src/fhir/search/parse/request.js';
import { matchingPlan } from '../../src/subscriptions/spec.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * Matching at scale: candidates that differ only by the patient they pin share one search per batch
 * (pure grouping, then end to end with a statement count that does not grow with the subscriptions),
 * and each subscription still gets exactly its own matches.
 */
const BASE = 'http://carnet.test/fhir';
const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
const VITALS = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] };

describe('grouping candidates (pure)', () => {
  test('the pinned parameter is found and taken out of the shared criteria', () => {
    assert.deepEqual(pinnedParameter('Observation', 'patient=Patient/p1&category=laboratory', ['Patient/p1'], BASE), { name: 'patient', rest: 'category=laboratory' });
    assert.deepEqual(pinnedParameter('Observation', 'category=laboratory&subject=Patient/p2', ['Patient/p2'], BASE), { name: 'subject', rest: 'category=laboratory' });
    assert.deepEqual(pinnedParameter('Observation', 'subject:Patient=p3', ['Patient/p3'], BASE), { name: 'subject', rest: '' });
    assert.deepEqual(pinnedParameter('Observation', 'patient=Patient/a,Patient/b', ['Patient/a', 'Patient/b'], BASE), { name: 'patient', rest: '' });
    // Two patient parameters: the one whose keys are the subscription's is the pin, the other stays a criterion.
    assert.deepEqual(pinnedParameter('Observation', 'patient=Patient/a&subject=Patient/b', ['Patient/a'], BASE), { name: 'patient', rest: 'subject=Patient%2Fb' });
    assert.equal(pinnedParameter('Observation', 'category=laboratory', ['Patient/p1'], BASE), undefined);
  });

  test('one group per owner, type, pinned parameter and shared criteria; its search names the batch’s patients', () => {
    const sub = (id: string, criteria: string, keys: string[] | null): Candidate => ({ id, resourceType: 'Observation', criteria, patientKeys: keys });
    const subs = [
      sub('a1', 'patient=Patient/p1&category=laboratory', ['Patient/p1']),
      sub('a2', 'category=laboratory&patient=Patient/p2', ['Patient/p2']),
      sub('a3', 'patient=Patient/p1&category=vital-signs', ['Patient/p1']),
      sub('b1', 'patient=Patient/p1&category=laboratory', ['Patient/p1']),
      sub('a4', 'category=laboratory', null),
      sub('a5', 'category=laboratory', null),
    ];
    const owner = (s: Candidate) => (s.id.startsWith('a') ? 'clinic-a' : 'clinic-b');
    const groups = groupCandidates(subs, owner, (s) => pinnedParameter(s.resourceType, s.criteria, s.patientKeys ?? [], BASE));
    assert.deepEqual(groups.map((g) => [g.ownerKey, g.pinned ?? '-', g.criteria, g.members.map((m) => m.id).join(',')]), [
      ['clinic-a', 'patient', 'category=laboratory', 'a1,a2'],
      ['clinic-a', 'patient', 'category=vital-signs', 'a3'],
      ['clinic-b', 'patient', 'category=laboratory', 'b1'],
      ['clinic-a', '-', 'category=laboratory', 'a4,a5'],
    ]);
    assert.equal(decodeURIComponent(groupSearch(groups[0] as never, ['Patient/p2', 'Patient/p1'])), 'category=laboratory&patient=Patient/p1,Patient/p2');
    assert.equal(groupSearch(groups[3] as never, ['Patient/p1']), 'category=laboratory');
  });

  test('a batch touching more patients than a search takes values splits the group’s search, each one a valid search', () => {
    const patients = Array.from({ length: 250 }, (_, i) => `Patient/p${i}`);
    const searches = groupSearches({ criteria: 'category=laboratory', pinned: 'patient' }, patients, SEARCH_LIMITS.valuesPerParameter);
    assert.deepEqual(searches.map((x) => x.patients.length), [100, 100, 50]);
    assert.deepEqual(searches.flatMap((x) => x.patients).sort(), [...patients].sort());
    for (const x of searches) matchingPlan('Observation', x.criteria, BASE, 200);
    assert.throws(() => matchingPlan('Observation', groupSearch({ criteria: 'category=laboratory', pinned: 'patient' }, patients), BASE, 200), /at most 100 values/);
    assert.deepEqual(groupSearches({ criteria: 'category=laboratory', pinned: undefined }, patients, 100).map((x) => x.criteria), ['category=laboratory']);
  });
});

describe('matching many subscriptions', () => {
  let t: TestCarnet;
  let counting: CountingDatabase;
  let rx: Receiver;
  let drA: string;
  let drB: string;
  const patients = Array.from({ length: 12 }, (_, i) => `q${i}`);
  let now = new Date();
  before(async () => {
    rx = await startReceiver();
    t = await startTestCarnet({
      clock: () => now, wrapDatabase: (db) => (counting = countingDatabase(db)).db,
      env: { CARNET_SUBSCRIPTION_ALLOWED_HOSTS: '127.0.0.1', CARNET_ACCESS_TOKEN_SECONDS: '86400', CARNET_SUBSCRIPTION_MAX_EVENTS: '3' },
    });
    for (const id of patients) {
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
    await rx.close();
  });

  const subscribe = async (path: string, criteria: string, token: string): Promise<void> => {
    const body: Subscription = {
      resourceType: 'Subscription', status: 'requested', reason: 'results', criteria,
      channel: { type: 'rest-hook', endpoint: `${rx.url}${path}`, payload: 'application/fhir+json' },
    };
    const r = await t.request('POST', '/fhir/Subscription', { body, token });
    assert.equal(r.status, 201, r.text);
  };
  let round = 0;
  /** One lab result per patient and a vital sign for q0; the statements the matcher ran for them. */
  const writeAndMatch = async (): Promise<string[]> => {
    round++;
    for (const p of patients) await observation(`lab-${p}-${round}`, p, LAB);
    await observation(`vit-q0-${round}`, 'q0', VITALS);
    if (t.carnet.ctx.audit instanceof AuditWriter) await t.carnet.ctx.audit.flush();
    counting.reset();
    await t.carnet.background.events.pass({ ignoreBackoff: true });
    // The matcher's own statements: the audit writer's sealing and the token service's revocation refresh run on their own clocks.
    const statements = counting.statements.filter((q) => !/audit_|auth_revocation/.test(q));
    await t.carnet.background.runOnce();
    return statements;
  };
  const observation = async (id: string, patient: string, category: unknown) => {
    const r = await t.request('PUT', `/fhir/Observation/${id}`, {
      body: { resourceType: 'Observation', id, status: 'final', category: [category], code: { text: 'potassium' }, subject: { reference: `Patient/${patient}` } },
    });
    assert.ok(r.status === 201 || r.status === 200, r.text);
  };
  const focus = (path: string) => rx.at(path).flatMap((r) => ((r.json as Bundle).entry ?? []).slice(1).map((e) => e.fullUrl?.split('/').pop()));

  test('subscriptions that differ by their patient share one search: the matcher’s statements do not grow with them', async () => {
    for (const p of patients.slice(0, 3)) await subscribe(`/lab/${p}`, `Observation?patient=Patient/${p}&category=laboratory`, drA);
    await t.carnet.background.runOnce();
    const few = await writeAndMatch();

    for (const p of patients.slice(3)) await subscribe(`/lab/${p}`, `Observation?patient=Patient/${p}&category=laboratory`, drA);
    await t.carnet.background.runOnce();
    const many = await writeAndMatch();
    const shape = (list: string[]) => list.map((q) => q.replace(/\s+/g, ' ').slice(0, 70)).join('\n');
    assert.ok(many.length <= few.length + 2, `3 subscriptions: ${few.length} statements, 12: ${many.length} (one search per group, notifications appended in bulk)\n${shape(few)}\n---\n${shape(many)}`);

    // Each has exactly its own patient's lab results, numbered from 1.
    for (const [i, p] of patients.entries()) {
      assert.deepEqual(focus(`/lab/${p}`), i < 3 ? [`lab-${p}-1`, `lab-${p}-2`] : [`lab-${p}-2`], p);
    }
    const last = rx.at('/lab/q0').at(-1)?.json as Bundle;
    const status = (last.entry?.[0]?.resource as { parameter: { name: string; valueString?: string }[] }).parameter;
    assert.equal(status.find((x) => x.name === 'events-since-subscription-start')?.valueString, '2');
  });

  test('other criteria and other owners are groups of their own, and still get only their matches', async () => {
    await subscribe('/vitals/q0', 'Observation?patient=Patient/q0&category=vital-signs', drA);
    await subscribe('/lab-b/q1', 'Observation?patient=Patient/q1&category=laboratory', drB);
    await subscribe('/all-lab', 'Observation?category=laboratory', drA);
    await t.carnet.background.runOnce();
    await writeAndMatch();
    assert.deepEqual(focus('/vitals/q0'), ['vit-q0-3']);
    assert.deepEqual(focus('/lab-b/q1'), ['lab-q1-3']);
    assert.deepEqual(focus('/all-lab').sort(), patients.map((p) => `lab-${p}-3`).sort());
    assert.deepEqual(focus('/lab/q5'), ['lab-q5-2', 'lab-q5-3']);
  });

  test('a subscription that fell behind catches up with several events per Bundle, in order, at most CARNET_SUBSCRIPTION_MAX_EVENTS each', async () => {
    await subscribe('/behind', 'Observation?patient=Patient/q2&category=laboratory', drA);
    await t.carnet.background.runOnce();
    rx.statusByPath.set('/behind', 500);
    for (let i = 1; i <= 5; i++) await observation(`behind-${i}`, 'q2', LAB);
    await t.carnet.background.runOnce();
    rx.statusByPath.set('/behind', 200);
    now = new Date(now.getTime() + 60_000);
    await t.carnet.background.runOnce();
    const numbers = (b: Bundle) => ((b.entry?.[0]?.resource as { parameter: { name: string; part?: { name: string; valueString?: string }[] }[] }).parameter)
      .filter((p) => p.name === 'notification-event').map((p) => p.part?.find((x) => x.name === 'event-number')?.valueString);
    const bundles = rx.at('/behind').map((r) => r.json as Bundle);
    assert.deepEqual(bundles.map(numbers), [['1', '2', '3'], ['1', '2', '3'], ['4', '5']], 'the failed attempt, its retry, then the rest');
    assert.deepEqual(bundles.slice(1).flatMap((b) => (b.entry ?? []).slice(1).map((e) => e.resource?.id)), [1, 2, 3, 4, 5].map((i) => `behind-${i}`));
    const status = (b: Bundle) => (b.entry?.[0]?.resource as { parameter: { name: string; valueString?: string }[] }).parameter.find((p) => p.name === 'events-since-subscription-start')?.valueString;
    assert.deepEqual(bundles.map(status), ['5', '5', '5']);
    // Each event is audited on its own: who was told what about whom.
    const audited = await t.carnet.db.query<{ outcome: string; n: number }>(
      `SELECT outcome, count(*)::int AS n FROM audit_event WHERE action = 'subscription-notification' AND content LIKE '%/behind"%' AND content NOT LIKE '%handshake%' GROUP BY outcome ORDER BY outcome`,
    );
    assert.deepEqual(audited.rows.map((r) => [r.outcome, r.n]), [['0', 5], ['8', 3]], 'five events told, three told of a failure');
  });
});
