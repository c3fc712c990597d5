import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { ERROR_CODE_SYSTEM, ERROR_CODES, statusOf } from '../../src/fhir/outcomes.js';
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
  const codesOf = (outcome: OperationOutcome) => [...new Set((outcome.issue ?? []).flatMap((i) => i.details?.coding ?? []).filter((c) => c.system === ERROR_CODE_SYSTEM).map((c) => c.code))];

  test('each error answers its status with an OperationOutcome and writes nothing', async () => {
    const before = await count();
    const cases: [string, () => Promise<{ statusCode: number; body: string }>, number, string][] = [
      ['malformed JSON', () => raw('POST', '/fhir/Patient', '{"resourceType": "Patient",'), 400, 'invalid-json'],
      ['no resourceType', () => raw('POST', '/fhir/Patient', '{"name": []}'), 400, 'invalid'],
      ['unknown resourceType in the body', () => raw('POST', '/fhir/Patient', '{"resourceType": "Patientt"}'), 400, 'invalid'],
      ['body type differs from URL type', () => raw('POST', '/fhir/Patient', '{"resourceType": "Observation"}'), 400, 'invalid'],
      ['unknown type in the URL', () => raw('POST', '/fhir/Patientt', '{"resourceType": "Patientt"}'), 404, 'unknown-type'],
      ['a JSON array', () => raw('POST', '/fhir/Patient', '[]'), 400, 'invalid'],
      ['empty body', () => raw('POST', '/fhir/Patient', ''), 400, 'missing-body'],
      ['unsupported media type', () => raw('POST', '/fhir/Patient', '<Patient/>', 'application/fhir+xml'), 415, 'unsupported-media-type'],
      ['body too large', () => raw('POST', '/fhir/Patient', JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(5000) }] })), 413, 'too-large'],
      ['unknown element', () => raw('POST', '/fhir/Patient', '{"resourceType": "Patient", "colour": "blue"}'), 400, 'invalid'],
      ['method not allowed', () => raw('PATCH', '/fhir/Patient', '[]', 'application/json-patch+json'), 405, 'method-not-allowed'],
      ['XML asked for', async () => t.carnet.server.inject({ method: 'GET', url: '/fhir/metadata', headers: { accept: 'application/fhir+xml', ...(await auth()) } }), 406, 'not-acceptable'],
      ['_format xml', async () => t.carnet.server.inject({ method: 'GET', url: '/fhir/metadata?_format=xml', headers: await auth() }), 406, 'not-acceptable'],
      ['unknown path', async () => t.carnet.server.inject({ method: 'GET', url: '/fhir/Patient/1/_history/1/extra', headers: await auth() }), 404, 'no-route'],
      ['no token', () => t.carnet.server.inject({ method: 'GET', url: '/fhir/Patient' }), 401, 'token-required'],
      ['a token that is not one', () => t.carnet.server.inject({ method: 'GET', url: '/fhir/Patient', headers: { authorization: 'Bearer not-a-token' } }), 401, 'token-invalid'],
    ];
    for (const [name, run, status, code] of cases) {
      const r = await run();
      assert.equal(r.statusCode, status, `${name}: ${r.body.slice(0, 200)}`);
      const outcome = JSON.parse(r.body) as OperationOutcome;
      assert.equal(outcome.resourceType, 'OperationOutcome', name);
      assert.deepEqual(codesOf(outcome), [code], `${name}: ${r.body.slice(0, 300)}`);
    }
    assert.equal(await count(), before);
  });

  test('stable codes: a stale If-Match, an ambiguous conditional update, a failed patch, and inside a batch', async () => {
    const put = await t.request('PUT', '/fhir/Patient/coded', { body: { resourceType: 'Patient', id: 'coded', name: [{ family: 'Code' }] } });
    assert.equal(put.status, 201, put.text);
    const stale = await t.request('PUT', '/fhir/Patient/coded', { body: { resourceType: 'Patient', id: 'coded' }, headers: { 'if-match': 'W/"9"' } });
    assert.equal(stale.status, 412);
    assert.deepEqual(codesOf(stale.body), ['version-conflict']);
    await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Code' }] } });
    const ambiguous = await t.request('PUT', '/fhir/Patient?family=Code', { body: { resourceType: 'Patient', name: [{ family: 'Code' }] } });
    assert.equal(ambiguous.status, 412, ambiguous.text);
    assert.deepEqual(codesOf(ambiguous.body), ['multiple-matches']);
    const patch = await t.request('PATCH', '/fhir/Patient/coded', { body: [{ op: 'test', path: '/gender', value: 'male' }], headers: { 'content-type': 'application/json-patch+json' } });
    assert.equal(patch.status, 422, patch.text);
    assert.deepEqual(codesOf(patch.body), ['patch-failed']);
    const batch = await t.request('POST', '/fhir', { body: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patientt/1' } }] } });
    assert.equal(batch.status, 200, batch.text);
    assert.deepEqual(codesOf(batch.body.entry[0].response.outcome), ['unknown-type']);
  });

  test('docs/api.md lists every error code with its status', () => {
    const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    for (const [code, { category }] of Object.entries(ERROR_CODES)) {
      assert.ok(doc.includes(`| \`${code}\` | ${statusOf(category)} |`), `docs/api.md: ${code}`);
    }
  });
});
