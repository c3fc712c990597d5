import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

const NAM = 'https://www.ramq.gouv.qc.ca/fhir/sid/nam';

describe('conditional operations', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(async () => t.close());

  test('conditional create: 201 once, then 200 with the existing resource; 412 when several match', async () => {
    const body = { resourceType: 'Patient', identifier: [{ system: NAM, value: 'BOUL80010112' }], name: [{ family: 'Boulanger' }] };
    const headers = { 'if-none-exist': `identifier=${NAM}|BOUL80010112` };
    const first = await t.request('POST', '/fhir/Patient', { body, headers });
    assert.equal(first.status, 201);
    const second = await t.request('POST', '/fhir/Patient', { body, headers });
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Doublon' }] } });
    await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Doublon' }] } });
    assert.equal((await t.request('POST', '/fhir/Patient', { body, headers: { 'if-none-exist': 'family=doublon' } })).status, 412);
  });

  test('conditional update: creates, then updates the single match; 412 for several; body id must agree', async () => {
    const criteria = `identifier=${encodeURIComponent(`${NAM}|LEBL75120312`)}`;
    const body = { resourceType: 'Patient', identifier: [{ system: NAM, value: 'LEBL75120312' }], name: [{ family: 'Leblanc' }] };
    const created = await t.request('PUT', `/fhir/Patient?${criteria}`, { body });
    assert.equal(created.status, 201);
    const updated = await t.request('PUT', `/fhir/Patient?${criteria}`, { body: { ...body, gender: 'male' } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.id, created.body.id);
    assert.equal(updated.body.meta.versionId, '2');
    assert.equal((await t.request('PUT', `/fhir/Patient?${criteria}`, { body: { ...body, id: 'someone-else' } })).status, 400);
    assert.equal((await t.request('PUT', '/fhir/Patient?family=doublon', { body })).status, 412);
  });

  test('conditional delete: deletes the single match, nothing to do when none, 412 for several', async () => {
    const id = (await t.request('POST', '/fhir/Organization', { body: { resourceType: 'Organization', name: 'À supprimer', identifier: [{ system: 'urn:x', value: 'del-1' }] } })).body.id as string;
    assert.equal((await t.request('DELETE', '/fhir/Organization?identifier=urn:x|del-1')).status, 204);
    assert.equal((await t.request('GET', `/fhir/Organization/${id}`)).status, 410);
    assert.equal((await t.request('DELETE', '/fhir/Organization?identifier=urn:x|del-1')).status, 204);
    assert.equal((await t.request('DELETE', '/fhir/Patient?family=doublon')).status, 412);
  });

  test('bad criteria are a 400', async () => {
    assert.equal((await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient' }, headers: { 'if-none-exist': 'colour=blue' } })).status, 400);
    assert.equal((await t.request('DELETE', '/fhir/Patient?birthdate=yesterday')).status, 400);
  });
});

describe('batch and transaction Bundles', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(async () => t.close());
  const post = (bundle: Bundle, headers: Record<string, string> = {}) => t.request('POST', '/fhir', { body: bundle, headers });

  test('transaction: urn:uuid references rewritten everywhere (extensions and contained included), one answer per entry', async () => {
    const entry: BundleEntry[] = [
      {
        fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111',
        resource: {
          resourceType: 'Observation', status: 'final', code: { text: 'Poids' }, subject: { reference: 'urn:uuid:22222222-2222-4222-8222-222222222222' },
          extension: [{ url: 'http://carnet.test/ext', valueReference: { reference: 'urn:uuid:22222222-2222-4222-8222-222222222222' } }],
        },
        request: { method: 'POST', url: 'Observation' },
      },
      { fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222', resource: { resourceType: 'Patient', name: [{ family: 'Nadeau' }] }, request: { method: 'POST', url: 'Patient' } },
    ];
    const r = await post({ resourceType: 'Bundle', type: 'transaction', entry });
    assert.equal(r.status, 200);
    const response = r.body as Bundle;
    assert.equal(response.type, 'transaction-response');
    assert.deepEqual(response.entry?.map((e) => e.response?.status), ['201 Created', '201 Created']);
    const patientLocation = response.entry?.[1]?.response?.location as string;
    const patientRef = patientLocation.replace(`${t.base}/`, '').replace(/\/_history\/\d+$/, '');
    const obs = response.entry?.[0]?.resource as { subject: { reference: string }; extension: { valueReference: { reference: string } }[] };
    assert.equal(obs.subject.reference, patientRef);
    assert.equal(obs.extension[0]?.valueReference.reference, patientRef);
  });

  test('transaction: conditional references and ifNoneExist resolve against stored resources', async () => {
    await t.request('POST', '/fhir/Practitioner', { body: { resourceType: 'Practitioner', identifier: [{ system: 'urn:cmq', value: '98765' }], name: [{ family: 'Tessier' }] } });
    const r = await post({ resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: 'urn:uuid:33333333-3333-4333-8333-333333333333', resource: { resourceType: 'Patient', identifier: [{ system: NAM, value: 'TESS01' }] }, request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${NAM}|TESS01` } },
      { resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'urn:uuid:33333333-3333-4333-8333-333333333333' }, participant: [{ individual: { reference: 'Practitioner?identifier=urn:cmq|98765' } }] }, request: { method: 'POST', url: 'Encounter' } },
    ] });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const encounter = (r.body as Bundle).entry?.[1]?.resource as { participant: { individual: { reference: string } }[] };
    assert.match(encounter.participant[0]?.individual.reference ?? '', /^Practitioner\/[^?]+$/);
    const again = await post({ resourceType: 'Bundle', type: 'transaction', entry: [
      { resource: { resourceType: 'Patient', identifier: [{ system: NAM, value: 'TESS01' }] }, request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${NAM}|TESS01` } },
    ] });
    assert.equal((again.body as Bundle).entry?.[0]?.response?.status, '200 OK');
  });

  test('transaction is all or nothing: one bad entry rolls everything back and is named', async () => {
    const before = ((await t.request('GET', '/fhir/Patient?_summary=count')).body as Bundle).total;
    const r = await post({ resourceType: 'Bundle', type: 'transaction', entry: [
      { resource: { resourceType: 'Patient', name: [{ family: 'Fantôme' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Patient', gender: 'bogus' as 'male' }, request: { method: 'POST', url: 'Patient' } },
    ] });
    assert.equal(r.status, 400);
    assert.ok(JSON.stringify(r.body).includes('Bundle.entry[1]'));
    assert.equal(((await t.request('GET', '/fhir/Patient?_summary=count')).body as Bundle).total, before);
    const dangling = await post({ resourceType: 'Bundle', type: 'transaction', entry: [
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/does-not-exist' } }, request: { method: 'POST', url: 'Observation' } },
    ] });
    assert.equal(dangling.status, 400);
    assert.match(JSON.stringify(dangling.body), /Patient\/does-not-exist/);
    const unresolved = await post({ resourceType: 'Bundle', type: 'transaction', entry: [
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:99999999-9999-4999-8999-999999999999' } }, request: { method: 'POST', url: 'Observation' } },
    ] });
    assert.equal(unresolved.status, 400);
  });

  test('transaction order: DELETE, POST, PUT/PATCH, then GET, whatever the entry order', async () => {
    const id = (await t.request('POST', '/fhir/Organization', { body: { resourceType: 'Organization', name: 'Ancienne' } })).body.id as string;
    const r = await post({ resourceType: 'Bundle', type: 'transaction', entry: [
      { request: { method: 'GET', url: `Organization/${id}` } },
      { resource: { resourceType: 'Organization', id, name: 'Nouvelle' }, request: { method: 'PUT', url: `Organization/${id}` } },
    ] });
    assert.equal(r.status, 200);
    assert.equal(((r.body as Bundle).entry?.[0]?.resource as { name: string }).name, 'Nouvelle', 'the read runs after the write');
  });

  test('batch: each entry on its own; a failure does not affect the others', async () => {
    const r = await post({ resourceType: 'Bundle', type: 'batch', entry: [
      { resource: { resourceType: 'Patient', name: [{ family: 'Batch-1' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Patient', gender: 'bogus' as 'male' }, request: { method: 'POST', url: 'Patient' } },
      { request: { method: 'GET', url: 'Patient?family=batch-1' } },
      { request: { method: 'GET', url: 'Patient/nobody' } },
    ] });
    assert.equal(r.status, 200);
    const entries = (r.body as Bundle).entry ?? [];
    assert.equal((r.body as Bundle).type, 'batch-response');
    assert.deepEqual(entries.map((e) => e.response?.status), ['201 Created', '400 Bad Request', '200 OK', '404 Not Found']);
    assert.equal(entries[1]?.response?.outcome?.resourceType, 'OperationOutcome');
    assert.equal(((entries[2]?.resource as Bundle).entry ?? []).length, 1);
  });

  test('bundle errors: wrong type, not a Bundle, a batch inside a batch', async () => {
    assert.equal((await post({ resourceType: 'Bundle', type: 'collection' } as Bundle)).status, 400);
    assert.equal((await t.request('POST', '/fhir', { body: { resourceType: 'Patient' } })).status, 400);
    const nested = await post({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: { resourceType: 'Bundle', type: 'batch' }, request: { method: 'POST', url: '' } } as BundleEntry] });
    assert.equal((nested.body as Bundle).entry?.[0]?.response?.status, '400 Bad Request');
  });
});
