import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/** Real parallel requests: no lost update, one resource per conditional create, failed transactions leave nothing. */
describe('concurrency', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(async () => t.close());

  test('parallel patches of one resource: every one is applied, versions are consecutive', async () => {
    const id = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Compteur', given: ['g'] }] } })).body.id as string;
    const n = 20;
    const authorization = `Bearer ${await t.systemToken()}`;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => t.carnet.server.inject({
      method: 'PATCH', url: `/fhir/Patient/${id}`, headers: { 'content-type': 'application/json-patch+json', authorization },
      payload: JSON.stringify([{ op: 'add', path: '/name/0/given/-', value: `g${i}` }]),
    })));
    assert.deepEqual(results.map((r) => r.statusCode), Array(n).fill(200));
    const final = await t.request('GET', `/fhir/Patient/${id}`);
    assert.equal(final.body.name[0].given.length, n + 1, 'no update lost');
    assert.equal(final.body.meta.versionId, String(n + 1));
    const versions = ((await t.request('GET', `/fhir/Patient/${id}/_history?_count=100`)).body as Bundle).entry?.map((e) => Number(e.resource?.meta?.versionId));
    assert.deepEqual(versions, Array.from({ length: n + 1 }, (_, i) => n + 1 - i));
  });

  test('parallel updates with If-Match: exactly one wins per version', async () => {
    const id = (await t.request('POST', '/fhir/Organization', { body: { resourceType: 'Organization', name: 'v1' } })).body.id as string;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => t.request('PUT', `/fhir/Organization/${id}`, {
      body: { resourceType: 'Organization', id, name: `racer ${i}` }, headers: { 'if-match': 'W/"1"' },
    })));
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 200).length, 1);
    assert.equal(statuses.filter((s) => s === 412).length, 7);
  });

  test('parallel conditional creates of the same identifier make one resource', async () => {
    const body = { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'same-person' }] };
    const results = await Promise.all(Array.from({ length: 10 }, () => t.request('POST', '/fhir/Patient', { body, headers: { 'if-none-exist': 'identifier=urn:mrn|same-person' } })));
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    assert.equal(results.filter((r) => r.status === 200).length, 9);
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    assert.equal(((await t.request('GET', '/fhir/Patient?identifier=urn:mrn|same-person')).body as Bundle).entry?.length, 1);
  });

  test('failed transactions in parallel with good ones leave no trace', async () => {
    const before = ((await t.request('GET', '/fhir/Observation?_summary=count')).body as Bundle).total as number;
    const tx = (good: boolean, i: number): Bundle => ({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: { resourceType: 'Observation', status: 'final', code: { text: `t${i}` } }, request: { method: 'POST', url: 'Observation' } },
        { resource: { resourceType: 'Observation', status: (good ? 'final' : 'bogus') as 'final', code: { text: `t${i}` } }, request: { method: 'POST', url: 'Observation' } },
      ],
    });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => t.request('POST', '/fhir', { body: tx(i % 2 === 0, i) })));
    assert.deepEqual(results.map((r) => r.status), Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 200 : 400)));
    const after = ((await t.request('GET', '/fhir/Observation?_summary=count')).body as Bundle).total as number;
    assert.equal(after - before, 12, 'two observations for each of the six good transactions, none from the bad ones');
    const { rows } = await t.carnet.db.query("SELECT count(*)::int AS n FROM resource_version WHERE resource_type = 'Observation'");
    assert.equal(Number((rows[0] as { n: number }).n), after, 'no history rows from rolled back transactions');
  });
});
