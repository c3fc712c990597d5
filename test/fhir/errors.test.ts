import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/** Bad input: each gets its OperationOutcome and status, and nothing is written. */
describe('bad input', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_MAX_BODY_BYTES: '4096' } });
  });
  after(async () => t.close());
  const auth = async () => ({ authorization: `Bearer ${await t.systemToken()}` });
  const raw = async (method: string, url: string, payload: string, contentType = 'application/fhir+json', headers: Record<string, string> = {}) =>
    t.carnet.server.inject({ method: method as 'POST', url, headers: { 'content-type': contentType, ...(await auth()), ...headers }, payload });
  const count = async () => (await t.request('GET', '/fhir/Patient?_summary=count')).body.total as number;

  test('each error answers its status with an OperationOutcome and writes nothing', async () => {
    const before = await count();
    const cases: [string, () => Promise<{ statusCode: number; body: string }>, number][] = [
      ['malformed JSON', () => raw('POST', '/fhir/Patient', '{"resourceType": "Patient",'), 400],
      ['no resourceType', () => raw('POST', '/fhir/Patient', '{"name": []}'), 400],
      ['unknown resourceType in the body', () => raw('POST', '/fhir/Patient', '{"resourceType": "Patientt"}'), 400],
      ['body type differs from URL type', () => raw('POST', '/fhir/Patient', '{"resourceType": "Observation"}'), 400],
      ['unknown type in the URL', () => raw('POST', '/fhir/Patientt', '{"resourceType": "Patientt"}'), 404],
      ['a JSON array', () => raw('POST', '/fhir/Patient', '[]'), 400],
      ['empty body', () => raw('POST', '/fhir/Patient', ''), 400],
      ['unsupported media type', () => raw('POST', '/fhir/Patient', '<Patient/>', 'application/fhir+xml'), 415],
      ['body too large', () => raw('POST', '/fhir/Patient', JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(5000) }] })), 413],
      ['unknown element', () => raw('POST', '/fhir/Patient', '{"resourceType": "Patient", "colour": "blue"}'), 400],
      ['method not allowed', () => raw('PATCH', '/fhir/Patient', '[]', 'application/json-patch+json'), 405],
      ['XML asked for', async () => t.carnet.server.inject({ method: 'GET', url: '/fhir/metadata', headers: { accept: 'application/fhir+xml', ...(await auth()) } }), 406],
      ['_format xml', async () => t.carnet.server.inject({ method: 'GET', url: '/fhir/metadata?_format=xml', headers: await auth() }), 406],
      ['unknown path', async () => t.carnet.server.inject({ method: 'GET', url: '/fhir/Patient/1/_history/1/extra', headers: await auth() }), 404],
    ];
    for (const [name, run, status] of cases) {
      const r = await run();
      assert.equal(r.statusCode, status, `${name}: ${r.body.slice(0, 200)}`);
      assert.equal(JSON.parse(r.body).resourceType, 'OperationOutcome', name);
    }
    assert.equal(await count(), before);
  });
});
