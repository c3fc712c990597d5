import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/** Every REST interaction of the record store, through the real server and database. */
describe('FHIR interactions', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(async () => t.close());

  const patient = (family: string, extra: Partial<Patient> = {}): Patient => ({ resourceType: 'Patient', name: [{ family, given: ['Test'] }], ...extra });

  test('create: 201, server id, Location, ETag, Last-Modified, meta; a client id in the body is ignored', async () => {
    const r = await t.request('POST', '/fhir/Patient', { body: { ...patient('Bouchard'), id: 'client-chosen' } });
    assert.equal(r.status, 201);
    assert.notEqual(r.body.id, 'client-chosen');
    assert.equal(r.headers.location, `${t.base}/Patient/${r.body.id}/_history/1`);
    assert.equal(r.headers.etag, 'W/"1"');
    assert.ok(r.headers['last-modified']);
    assert.equal(r.body.meta.versionId, '1');
    assert.match(r.body.meta.lastUpdated, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test('read, vread, If-None-Match and If-Modified-Since (304), 404 for unknown ids and types', async () => {
    const created = await t.request('POST', '/fhir/Patient', { body: patient('Pelletier') });
    const id = created.body.id as string;
    const read = await t.request('GET', `/fhir/Patient/${id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.name[0].family, 'Pelletier');
    assert.equal(read.headers.etag, 'W/"1"');
    assert.equal((await t.request('GET', `/fhir/Patient/${id}`, { headers: { 'if-none-match': 'W/"1"' } })).status, 304);
    assert.equal((await t.request('GET', `/fhir/Patient/${id}`, { headers: { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() } })).status, 304);
    const vread = await t.request('GET', `/fhir/Patient/${id}/_history/1`);
    assert.equal(vread.status, 200);
    assert.equal(vread.body.meta.versionId, '1');
    assert.equal((await t.request('GET', `/fhir/Patient/${id}/_history/9`)).status, 404);
    assert.equal((await t.request('GET', '/fhir/Patient/nope')).status, 404);
    const unknownType = await t.request('GET', '/fhir/Patientt/1');
    assert.equal(unknownType.status, 404);
    assert.equal(unknownType.body.resourceType, 'OperationOutcome');
  });

  test('update: new versions, no version for identical content, update-as-create with the client id', async () => {
    const created = await t.request('POST', '/fhir/Patient', { body: patient('Lavoie') });
    const id = created.body.id as string;
    const updated = await t.request('PUT', `/fhir/Patient/${id}`, { body: { ...patient('Lavoie-Roy'), id } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.meta.versionId, '2');
    const same = await t.request('PUT', `/fhir/Patient/${id}`, { body: { ...patient('Lavoie-Roy'), id } });
    assert.equal(same.status, 200);
    assert.equal(same.body.meta.versionId, '2', 'identical content makes no new version');
    const asCreate = await t.request('PUT', '/fhir/Patient/chosen-by-client', { body: { ...patient('Girard'), id: 'chosen-by-client' } });
    assert.equal(asCreate.status, 201);
    assert.equal(asCreate.headers.location, `${t.base}/Patient/chosen-by-client/_history/1`);
  });

  test('update errors: id mismatch, missing id, wrong type, invalid resource — nothing written', async () => {
    const created = await t.request('POST', '/fhir/Patient', { body: patient('Côté') });
    const id = created.body.id as string;
    assert.equal((await t.request('PUT', `/fhir/Patient/${id}`, { body: { ...patient('X'), id: 'other' } })).status, 400);
    assert.equal((await t.request('PUT', `/fhir/Patient/${id}`, { body: patient('X') })).status, 400);
    assert.equal((await t.request('PUT', `/fhir/Patient/${id}`, { body: { resourceType: 'Observation', id } })).status, 400);
    const invalid = await t.request('PUT', `/fhir/Patient/${id}`, { body: { ...patient('X'), id, gender: 'bogus', birthDate: '1980-13-45' } });
    assert.equal(invalid.status, 400);
    const paths = invalid.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? []);
    assert.ok(paths.includes('Patient.gender') && paths.includes('Patient.birthDate'), JSON.stringify(paths));
    const read = await t.request('GET', `/fhir/Patient/${id}`);
    assert.equal(read.body.meta.versionId, '1');
    assert.equal(read.body.name[0].family, 'Côté');
  });

  test('If-Match: the current version is accepted, a stale one is 412 and writes nothing', async () => {
    const id = (await t.request('POST', '/fhir/Patient', { body: patient('Morin') })).body.id as string;
    const ok = await t.request('PUT', `/fhir/Patient/${id}`, { body: { ...patient('Morin-2'), id }, headers: { 'if-match': 'W/"1"' } });
    assert.equal(ok.status, 200);
    const stale = await t.request('PUT', `/fhir/Patient/${id}`, { body: { ...patient('Morin-3'), id }, headers: { 'if-match': 'W/"1"' } });
    assert.equal(stale.status, 412);
    assert.equal((await t.request('GET', `/fhir/Patient/${id}`)).body.name[0].family, 'Morin-2');
    assert.equal((await t.request('DELETE', `/fhir/Patient/${id}`, { headers: { 'if-match': 'W/"1"' } })).status, 412);
  });

  test('patch (JSON Patch): applied, validated, test operation and forbidden changes', async () => {
    const id = (await t.request('POST', '/fhir/Patient', { body: patient('Fortin') })).body.id as string;
    const authorization = `Bearer ${await t.systemToken()}`;
    const patch = (ops: unknown, headers: Record<string, string> = {}) => t.carnet.server.inject({
      method: 'PATCH', url: `/fhir/Patient/${id}`, headers: { 'content-type': 'application/json-patch+json', authorization, ...headers }, payload: JSON.stringify(ops),
    });
    const applied = await patch([{ op: 'replace', path: '/name/0/family', value: 'Fortin-Leblanc' }, { op: 'add', path: '/gender', value: 'female' }]);
    assert.equal(applied.statusCode, 200);
    assert.equal(JSON.parse(applied.body).meta.versionId, '2');
    assert.equal((await patch([{ op: 'test', path: '/gender', value: 'male' }, { op: 'remove', path: '/gender' }])).statusCode, 422);
    assert.equal((await patch([{ op: 'replace', path: '/id', value: 'x' }])).statusCode, 422);
    assert.equal((await patch([{ op: 'add', path: '/gender', value: 'bogus' }])).statusCode, 400, 'the patched resource is validated');
    assert.equal((await patch([{ op: 'replace', path: '/gender', value: 'male' }], { 'if-match': 'W/"1"' })).statusCode, 412);
    const read = await t.request('GET', `/fhir/Patient/${id}`);
    assert.equal(read.body.gender, 'female');
    assert.equal(read.body.meta.versionId, '2');
  });

  test('delete: 204, then 410 on read, history survives, deleting again writes nothing', async () => {
    const id = (await t.request('POST', '/fhir/Patient', { body: patient('Gauthier') })).body.id as string;
    assert.equal((await t.request('DELETE', `/fhir/Patient/${id}`)).status, 204);
    assert.equal((await t.request('GET', `/fhir/Patient/${id}`)).status, 410);
    assert.equal((await t.request('DELETE', `/fhir/Patient/${id}`)).status, 204);
    const history = (await t.request('GET', `/fhir/Patient/${id}/_history`)).body as Bundle;
    assert.deepEqual(history.entry?.map((e) => e.request?.method), ['DELETE', 'POST']);
    assert.equal((await t.request('GET', `/fhir/Patient/${id}/_history/2`)).status, 410);
    assert.equal((await t.request('GET', `/fhir/Patient/${id}/_history/1`)).status, 200);
    const recreated = await t.request('PUT', `/fhir/Patient/${id}`, { body: { ...patient('Gauthier'), id } });
    assert.equal(recreated.status, 201);
    assert.equal(recreated.body.meta.versionId, '3');
  });

  test('Prefer: return=minimal, representation, OperationOutcome', async () => {
    const minimal = await t.request('POST', '/fhir/Patient', { body: patient('A'), headers: { prefer: 'return=minimal' } });
    assert.equal(minimal.status, 201);
    assert.equal(minimal.text, '');
    assert.ok(minimal.headers.location);
    const outcome = await t.request('POST', '/fhir/Patient', { body: patient('B'), headers: { prefer: 'return=OperationOutcome' } });
    assert.equal(outcome.body.resourceType, 'OperationOutcome');
    assert.equal(outcome.body.issue[0].severity, 'information');
    const representation = await t.request('POST', '/fhir/Patient', { body: patient('C'), headers: { prefer: 'return=representation' } });
    assert.equal(representation.body.name[0].family, 'C');
  });

  test('history: instance, type and system; _count with next links, _since and _at', async () => {
    const id = (await t.request('POST', '/fhir/Organization', { body: { resourceType: 'Organization', name: 'v1' } })).body.id as string;
    const afterFirst = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    for (const name of ['v2', 'v3']) await t.request('PUT', `/fhir/Organization/${id}`, { body: { resourceType: 'Organization', id, name } });
    const instance = (await t.request('GET', `/fhir/Organization/${id}/_history`)).body as Bundle;
    assert.equal(instance.type, 'history');
    assert.deepEqual(instance.entry?.map((e) => (e.resource as { name?: string }).name), ['v3', 'v2', 'v1']);
    const paged = (await t.request('GET', `/fhir/Organization/${id}/_history?_count=2`)).body as Bundle;
    assert.equal(paged.entry?.length, 2);
    const next = paged.link?.find((l) => l.relation === 'next')?.url?.replace('http://carnet.test', '') as string;
    assert.deepEqual(((await t.request('GET', next)).body as Bundle).entry?.map((e) => (e.resource as { name?: string }).name), ['v1']);
    const since = (await t.request('GET', `/fhir/Organization/${id}/_history?_since=${encodeURIComponent(afterFirst)}`)).body as Bundle;
    assert.deepEqual(since.entry?.map((e) => (e.resource as { name?: string }).name), ['v3', 'v2']);
    const at = (await t.request('GET', `/fhir/Organization/${id}/_history?_at=${encodeURIComponent(afterFirst)}`)).body as Bundle;
    assert.ok(at.entry?.some((e) => (e.resource as { name?: string }).name === 'v1'), 'the version current at _at');
    assert.ok(((await t.request('GET', '/fhir/Organization/_history')).body as Bundle).entry?.length);
    assert.ok(((await t.request('GET', '/fhir/_history?_count=5')).body as Bundle).entry?.length === 5);
    assert.equal((await t.request('GET', '/fhir/_history?_bogus=1')).status, 400);
  });

  test('$validate: reports issues and stores nothing', async () => {
    const good = await t.request('POST', '/fhir/Patient/$validate', { body: patient('Valide') });
    assert.equal(good.status, 200);
    assert.equal(good.body.resourceType, 'OperationOutcome');
    const bad = await t.request('POST', '/fhir/Patient/$validate', { body: { resourceType: 'Patient', gender: 'bogus' } });
    assert.equal(bad.status, 200);
    assert.ok(bad.body.issue.some((i: { severity: string; expression?: string[] }) => i.severity === 'error' && i.expression?.includes('Patient.gender')));
    const asParameters = await t.request('POST', '/fhir/Patient/$validate', { body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', gender: 'bogus' } }] } });
    assert.ok(asParameters.body.issue.some((i: { severity: string }) => i.severity === 'error'));
    const search = (await t.request('GET', '/fhir/Patient?family=valide')).body as Bundle;
    assert.equal(search.entry?.length ?? 0, 0);
  });

  test('the CapabilityStatement states the interactions of the route registry', async () => {
    const cs = (await t.request('GET', '/fhir/metadata')).body;
    assert.equal(cs.resourceType, 'CapabilityStatement');
    assert.equal(cs.fhirVersion, '4.0.1');
    const patientResource = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    const codes = patientResource.interaction.map((i: { code: string }) => i.code).sort();
    for (const code of ['create', 'delete', 'history-instance', 'history-type', 'patch', 'read', 'search-type', 'update', 'vread']) assert.ok(codes.includes(code), code);
    assert.ok(patientResource.operation.some((o: { name: string }) => o.name === 'everything'));
    assert.ok(!cs.rest[0].resource.find((r: { type: string }) => r.type === 'Observation').operation.some((o: { name: string }) => o.name === 'everything'));
    assert.deepEqual(cs.rest[0].interaction.map((i: { code: string }) => i.code).sort(), ['batch', 'history-system', 'transaction']);
  });
});
