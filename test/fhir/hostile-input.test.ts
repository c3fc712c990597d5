import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle } from '@medplum/fhirtypes';
import { listenOnSocket, startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * Issue #13, hostile and odd input through the real server and database: what was a 500 is a 4xx
 * OperationOutcome, and text is stored exactly as sent or refused.
 */
describe('hostile and odd input', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_MAX_BUNDLE_ENTRIES: '20' } });
  });
  after(async () => t.close());

  const isOutcome = (r: { status: number; body: { resourceType?: string } }, status: number, label: string): void => {
    assert.equal(r.status, status, label);
    assert.equal(r.body?.resourceType, 'OperationOutcome', label);
  };

  test('a NUL byte (%00) in an id or a search value is a 400, on reads, searches, writes and batch entries', async () => {
    for (const [method, url] of [
      ['GET', '/fhir/Patient/abc%00def'], ['GET', '/fhir/Patient?identifier=a%00b'], ['GET', '/fhir/Observation?code=x%00'],
      ['GET', '/fhir/Patient?na%00me=x'], ['DELETE', '/fhir/Patient/abc%00def'], ['GET', '/fhir/Patient/abc%00def/_history'],
      ['GET', '/fhir/Patient/%E0%A4%A'],
    ] as const) {
      isOutcome(await t.request(method, url), 400, `${method} ${url}`);
    }
    const put = await t.request('PUT', '/fhir/Patient/abc%00def', { body: { resourceType: 'Patient', id: 'abc\u0000def' } });
    isOutcome(put, 400, 'PUT');
    const conditional = await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient' }, headers: { 'if-none-exist': 'identifier=a%00b' } });
    isOutcome(conditional, 400, 'If-None-Exist');
    const batch = await t.request('POST', '/fhir', { body: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient?identifier=a%00b' } }] } });
    assert.equal(batch.status, 200);
    assert.match((batch.body as Bundle).entry?.[0]?.response?.status ?? '', /^400/);
  });

  test('JSON nested 10,000 deep is a 400 on create and on $validate', async () => {
    const deep = `{"resourceType":"Patient","extension":${'[{"url":"http://x.test","extension":'.repeat(10_000)}[]${'}]'.repeat(10_000)}}`;
    isOutcome(await t.request('POST', '/fhir/Patient', { body: deep, headers: { 'content-type': 'application/fhir+json' } }), 400, 'create');
    isOutcome(await t.request('POST', '/fhir/Patient/$validate', { body: deep, headers: { 'content-type': 'application/fhir+json' } }), 400, '$validate');
  });

  test('a JSON Patch on /__proto__ is a 400 and changes nothing', async () => {
    const id = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', active: true } })).body.id as string;
    for (const patch of [[{ op: 'add', path: '/__proto__/polluted', value: true }], [{ op: 'move', from: '/name', path: '/name/x' }]]) {
      const r = await t.request('PATCH', `/fhir/Patient/${id}`, { body: patch, headers: { 'content-type': 'application/json-patch+json' } });
      isOutcome(r, 400, JSON.stringify(patch));
    }
    assert.equal((await t.request('GET', `/fhir/Patient/${id}`)).body.meta.versionId, '1');
  });

  test('text is stored as sent: invalid UTF-8 refused, charset=iso-8859-1 decoded, an unknown charset is a 415', async () => {
    const json = '{"resourceType":"Patient","name":[{"family":"Béland"}]}';
    const invalid = Buffer.from(json, 'latin1'); // é as the single byte 0xE9: not UTF-8
    isOutcome(await t.request('POST', '/fhir/Patient', { body: invalid, headers: { 'content-type': 'application/fhir+json' } }), 400, 'invalid UTF-8');
    const latin1 = await t.request('POST', '/fhir/Patient', { body: invalid, headers: { 'content-type': 'application/fhir+json; charset=iso-8859-1' } });
    assert.equal(latin1.status, 201, latin1.text);
    assert.equal((await t.request('GET', `/fhir/Patient/${latin1.body.id}`)).body.name[0].family, 'Béland');
    isOutcome(await t.request('POST', '/fhir/Patient', { body: json, headers: { 'content-type': 'application/fhir+json; charset=koi8-r' } }), 415, 'charset');
  });

  test('a URL over 16 KB gets a 431 with an OperationOutcome (on a real socket: Node answers it before any route)', async () => {
    const origin = await listenOnSocket(t);
    const r = await fetch(`${origin}/fhir/Patient?name=${'a'.repeat(20_000)}`, { headers: { authorization: `Bearer ${await t.systemToken()}` } });
    assert.equal(r.status, 431);
    const body = (await r.json()) as { resourceType: string; issue: { code: string }[] };
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal(body.issue[0]?.code, 'too-costly');
  });

  test('repeated search parameters are bounded: 31 is a 400 too-costly, 30 is answered', async () => {
    const query = (n: number) => Array.from({ length: n }, () => 'name=a').join('&');
    const refused = await t.request('GET', `/fhir/Patient?${query(31)}`);
    isOutcome(refused, 400, '31 parameters');
    assert.equal(refused.body.issue[0].code, 'too-costly');
    assert.equal((await t.request('GET', `/fhir/Patient?${query(30)}`)).status, 200);
  });

  const patientCount = async (family: string): Promise<number> => (await t.request('GET', `/fhir/Patient?family=${family}&_summary=count`)).body.total;

  test('bdl-7: a transaction or batch with two entries sharing one fullUrl is a 400 and writes nothing', async () => {
    const fullUrl = 'urn:uuid:44444444-4444-4444-8444-444444444444';
    for (const type of ['transaction', 'batch']) {
      const entry = [0, 1].map(() => ({ fullUrl, resource: { resourceType: 'Patient', name: [{ family: 'Bdlsept' }] }, request: { method: 'POST', url: 'Patient' } }));
      const r = await t.request('POST', '/fhir', { body: { resourceType: 'Bundle', type, entry } });
      isOutcome(r, 400, type);
      assert.match(r.body.issue[0].diagnostics, /bdl-7/);
      assert.deepEqual(r.body.issue[0].expression, ['Bundle.entry[1].fullUrl']);
    }
    assert.equal(await patientCount('Bdlsept'), 0);
    // Different versions of one resource may share a fullUrl (bdl-7 counts fullUrl and meta.versionId).
    const versions = [1, 2].map((v) => ({ fullUrl: 'http://other.test/fhir/Patient/x', resource: { resourceType: 'Patient', meta: { versionId: String(v) }, name: [{ family: 'Bdlsept' }] }, request: { method: 'POST', url: 'Patient' } }));
    assert.equal((await t.request('POST', '/fhir', { body: { resourceType: 'Bundle', type: 'batch', entry: versions } })).status, 200);
  });

  test('a Bundle of more than CARNET_MAX_BUNDLE_ENTRIES entries is a 400 too-costly and writes nothing', async () => {
    const entries = (n: number) => Array.from({ length: n }, () => ({ resource: { resourceType: 'Patient', name: [{ family: 'Capped' }] }, request: { method: 'POST', url: 'Patient' } }));
    for (const type of ['transaction', 'batch']) {
      const r = await t.request('POST', '/fhir', { body: { resourceType: 'Bundle', type, entry: entries(21) } });
      isOutcome(r, 400, type);
      assert.equal(r.body.issue[0].code, 'too-costly');
    }
    assert.equal(await patientCount('Capped'), 0);
    assert.equal((await t.request('POST', '/fhir', { body: { resourceType: 'Bundle', type: 'transaction', entry: entries(20) } })).status, 200);
    assert.equal(await patientCount('Capped'), 20);
  });
});
