import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listenOnSocket, startTestCarnet, type TestCarnet } from '../support/harness.js';

/** The same API over a real TCP socket, as a client on the network meets it. */
describe('HTTP over a socket', () => {
  let t: TestCarnet;
  let origin: string;

  before(async () => {
    t = await startTestCarnet();
    origin = await listenOnSocket(t);
  });
  after(() => t.close());

  test('create then read with plain application/json, as many clients send', async () => {
    const created = await fetch(`${origin}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await t.systemToken()}` },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Gagnon', given: ['Zoé'] }] }),
    });
    assert.equal(created.status, 201);
    assert.match(created.headers.get('content-type') ?? '', /^application\/fhir\+json/);
    const location = created.headers.get('location') ?? '';
    assert.match(location, /\/fhir\/Patient\/[^/]+\/_history\/1$/);
    const id = location.split('/')[5];
    const read = await fetch(`${origin}/fhir/Patient/${id}`, { headers: { authorization: `Bearer ${await t.systemToken()}` } });
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('etag'), 'W/"1"');
    const body = (await read.json()) as { name: { given: string[] }[] };
    assert.equal(body.name[0]?.given[0], 'Zoé');
  });

  test('HEAD answers headers without a body', async () => {
    const head = await fetch(`${origin}/fhir/metadata`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  test('unknown paths outside /fhir are OperationOutcomes too', async () => {
    const response = await fetch(`${origin}/nowhere`);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
  });

  test('health endpoint names the database kind', async () => {
    const health = (await (await fetch(`${origin}/healthz`)).json()) as { status: string; database: string };
    assert.equal(health.status, 'ok');
    assert.equal(health.database, process.env.DATABASE_URL ? 'postgres' : 'pglite');
  });
});
