import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * Issue #13: a decimal keeps its precision through every way in and out — 1.50 stays 1.50 and a 400-digit
 * value is not rounded (it was stored as 1.5 and as the nearest double).
 */
const LONG = `3.${'1415926535'.repeat(40)}`;
const json = { 'content-type': 'application/fhir+json' };

const observation = (value: string, extra = ''): string =>
  `{"resourceType":"Observation","status":"final","code":{"text":"poids"}${extra},"valueQuantity":{"value":${value},"unit":"kg"},"component":[{"code":{"text":"x"},"valueQuantity":{"value":${LONG}}}]}`;

describe('decimals keep their precision', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(async () => t.close());

  const kept = (text: string, value: string, label: string): void => {
    assert.ok(text.includes(`"value":${value}`), `${label}: ${value} in ${text.slice(0, 300)}`);
    assert.ok(text.includes(`"value":${LONG}`), `${label}: the 400-digit value`);
  };

  test('create, read, search, history: 1.50 stays 1.50 and 400 digits stay 400 digits', async () => {
    const created = await t.request('POST', '/fhir/Observation', { body: observation('1.50'), headers: json });
    assert.equal(created.status, 201, created.text);
    kept(created.text, '1.50', 'create response');
    const id = created.body.id as string;
    kept((await t.request('GET', `/fhir/Observation/${id}`)).text, '1.50', 'read');
    kept((await t.request('GET', `/fhir/Observation?_id=${id}`)).text, '1.50', 'search');
    kept((await t.request('GET', `/fhir/Observation/${id}/_history`)).text, '1.50', 'history');
    assert.equal((await t.request('GET', `/fhir/Observation?_id=${id}&value-quantity=1.5`)).body.entry?.length, 1, 'still found by its value');
  });

  test('an update from 1.5 to 1.50 is a new version; a PATCH value keeps its precision', async () => {
    const id = (await t.request('POST', '/fhir/Observation', { body: observation('1.5'), headers: json })).body.id as string;
    const updated = await t.request('PUT', `/fhir/Observation/${id}`, { body: observation('1.50', `,"id":"${id}"`), headers: json });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.body.meta.versionId, '2', 'precision is content');
    const patched = await t.request('PATCH', `/fhir/Observation/${id}`, {
      body: '[{"op":"replace","path":"/valueQuantity/value","value":2.50},{"op":"add","path":"/status","value":"amended"}]',
      headers: { 'content-type': 'application/json-patch+json' },
    });
    assert.equal(patched.status, 200, patched.text);
    kept(patched.text, '2.50', 'patch response');
    kept((await t.request('GET', `/fhir/Observation/${id}`)).text, '2.50', 'read after patch');
    // A patch that leaves the value alone keeps the stored precision.
    await t.request('PATCH', `/fhir/Observation/${id}`, { body: '[{"op":"replace","path":"/status","value":"corrected"}]', headers: { 'content-type': 'application/json-patch+json' } });
    kept((await t.request('GET', `/fhir/Observation/${id}`)).text, '2.50', 'read after an unrelated patch');
  });

  test('a transaction stores and answers decimals as written', async () => {
    const bundle = `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:8c2e7e0a-0b1c-4f7e-9a51-2f0d3b6c1a01","resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},{"resource":${observation('0.10', ',"subject":{"reference":"urn:uuid:8c2e7e0a-0b1c-4f7e-9a51-2f0d3b6c1a01"}')},"request":{"method":"POST","url":"Observation"}}]}`;
    const response = await t.request('POST', '/fhir', { body: bundle, headers: { ...json, prefer: 'return=representation' } });
    assert.equal(response.status, 200, response.text);
    kept(response.text, '0.10', 'transaction-response');
    const location = response.body.entry[1].response.location as string;
    const path = /Observation\/[^/]+/.exec(location)?.[0] ?? '';
    kept((await t.request('GET', `/fhir/${path}`)).text, '0.10', 'read');
  });
});
