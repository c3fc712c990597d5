import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Composition, OperationOutcome } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * A Bundle of type document stored as it is (`POST /fhir/Bundle`, `PUT Bundle/[id]`, or inside a transaction)
 * keeps the document rules of $ingest — bdl-7, bdl-9, bdl-10, bdl-11 (the Composition first), every section
 * entry inside — or is refused with a 400 naming the element, nothing written. Other Bundle types are untouched.
 */
const FIXTURE = new URL('../../../test/fixtures/documents/ips-bundle-minimal.json', import.meta.url);

describe('a document Bundle stored through the REST API', () => {
  let t: TestCarnet;
  let doc: Bundle;
  before(async () => {
    t = await startTestCarnet();
    doc = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Bundle;
  });
  after(() => t.close());
  const post = (body: unknown) => t.request('POST', '/fhir/Bundle', { body });
  const expression = (r: { body: OperationOutcome }) => r.body.issue?.[0]?.expression?.[0];
  const count = async () => ((await t.request('GET', '/fhir/Bundle?_summary=count')).body as Bundle).total;

  test('a well-formed document is stored', async () => {
    const r = await post(doc);
    assert.equal(r.status, 201, r.text.slice(0, 400));
  });

  test('refusals name the element; nothing is written', async () => {
    const before = await count();
    const without = (key: 'identifier' | 'timestamp') => Object.fromEntries(Object.entries(doc).filter(([k]) => k !== key));
    const noId = await post(without('identifier'));
    assert.equal(noId.status, 400);
    assert.equal(expression(noId), 'Bundle.identifier');
    assert.match(noId.body.issue[0].diagnostics ?? noId.body.issue[0].details?.text, /bdl-9/);
    assert.equal(expression(await post(without('timestamp'))), 'Bundle.timestamp');
    const swapped = { ...doc, entry: [doc.entry?.[1], doc.entry?.[0], ...(doc.entry ?? []).slice(2)] };
    const notFirst = await post(swapped);
    assert.equal(notFirst.status, 400);
    assert.equal(expression(notFirst), 'Bundle.entry[0].resource');
    const composition = structuredClone(doc.entry?.[0]?.resource) as Composition;
    (composition.section?.[0]?.entry ?? [])[0] = { reference: 'urn:uuid:00000000-0000-0000-0000-00000000dead' };
    const dangling = await post({ ...doc, entry: [{ ...doc.entry?.[0], resource: composition }, ...(doc.entry ?? []).slice(1)] });
    assert.equal(dangling.status, 400);
    assert.equal(expression(dangling), 'Bundle.entry[0].resource.section[0].entry[0]');
    const dup = await post({ ...doc, entry: [...(doc.entry ?? []), doc.entry?.[1]] });
    assert.equal(dup.status, 400);
    assert.match(expression(dup) ?? '', /^Bundle\.entry\[\d+\]\.fullUrl$/);
    const put = await t.request('PUT', '/fhir/Bundle/doc-1', { body: { ...without('identifier'), id: 'doc-1' } });
    assert.equal(put.status, 400);
    assert.equal(await count(), before, 'nothing written');
  });

  test('inside a transaction the entry is named; other Bundle types are not documents', async () => {
    // (A document without references: a transaction resolves urn:uuid references inside nested Bundles too.)
    const bare = { resourceType: 'Bundle', type: 'document', identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:5b0a3c1e-0000-4000-8000-000000000001' }, entry: [{ resource: { resourceType: 'Patient' } }] };
    const tx = await t.request('POST', '/fhir', { body: { resourceType: 'Bundle', type: 'transaction', entry: [
      { resource: { resourceType: 'Patient', name: [{ family: 'Ok' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: bare, request: { method: 'POST', url: 'Bundle' } },
    ] } });
    assert.equal(tx.status, 400, tx.text.slice(0, 300));
    assert.match(JSON.stringify(tx.body), /Bundle\.entry\[1\].*bdl-10/);
    assert.equal((await post({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient' } }] })).status, 201);
  });
});
